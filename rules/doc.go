// Package rules is Roster's pure provisioning engine: given a person and
// the enabled rules, it computes the desired access, diffs it against
// what the person has, times each change in the person's time zone, and
// explains why. It imports only the standard library: no database, no
// HTTP, so every decision can be table-tested and fuzzed.
//
// The engine arrives with the people and rules work (issue 3).
package rules
