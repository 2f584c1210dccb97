// Package hrsync turns a full snapshot of an HR source into people and
// their history: it detects joiners, movers, leavers, rehires and leaves
// of absence (Detect), decides whether the safety brake holds the run
// (Brake), and applies, holds or discards runs through the store (Syncer).
//
// A snapshot is complete: a person the source knew who is missing from it
// has left. That is why an empty snapshot, one that lost a column most
// people had, or one that would take access from unusually many people
// (leavers, leaves of absence, movers losing grants under the current
// rules), is held for an owner or admin to confirm instead of applied: a
// broken export must never read as "everyone left" or "everyone moved".
package hrsync
