// Package hrsync turns a full snapshot of an HR source into people and
// their history: it detects joiners, movers, leavers, rehires and leaves
// of absence (Detect), decides whether the safety brake holds the run
// (Brake), and applies, holds or discards runs through the store (Syncer).
//
// A snapshot is complete: a person the source knew who is missing from it
// has left. That is why an empty snapshot, or one with unusually many
// leavers, is held for an owner or admin to confirm instead of applied:
// a broken export must never read as "everyone left".
package hrsync
