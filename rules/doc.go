// Package rules is Roster's pure provisioning engine: given a person and
// the rules, it computes the desired access, diffs it against what the
// person has, times each change in the person's time zone, and explains
// why. It imports only the standard library: no database, no HTTP, so
// every decision can be table-tested and fuzzed.
//
// The pipeline, one call per step:
//
//	Evaluate   one rule against one person, condition by condition
//	Resolve    every enabled rule → Desired (union of grants, conflicts settled)
//	Plan       Desired against the actual accounts and grants → []Step
//	EffectiveAt when the change takes effect, in UTC, and why
//	Why        the stored explanation; Why.Summary is its one-line English form
//
// For many people, Compile prepares a rule set once (ranked, values
// folded, lists split, dates parsed, each named attribute given a slot)
// and Compiled.Resolve evaluates it per person, reading each attribute of
// the person once however many rules test it; Resolve is Compile then
// Compiled.Resolve, so the two cannot disagree.
//
// Conditions compare strings case-insensitively after trimming spaces.
// The "groups" attribute is multi-valued: equals, in, contains and starts
// with hold when some group satisfies them, their negations when none
// does, and is empty means no groups. Before and after compare
// YYYY-MM-DD dates ("today" is Env.Today) and are false when either side
// is not a date.
//
// When several rules grant the same entitlement, the person gets it once;
// each parameter takes the value of the highest-priority rule that sets it
// (equal priority: the lower rule ID), and parameters set to different
// values are reported as conflicts.
//
// Wall times and daylight saving. A rule's "HH:MM" is a wall time in the
// person's zone. Go's time.Date leaves the result unspecified for a wall
// time that does not exist or exists twice, and in practice differs by
// zone (02:30 on a spring-forward Sunday becomes 01:30 EST in New York but
// 03:30 CEST in Berlin). The engine therefore settles both cases itself,
// the same way everywhere: a time in a spring-forward gap moves forward by
// the length of the gap (02:30 → 03:30), and a time that occurs twice when
// clocks go back is the first occurrence (01:30 EDT, not 01:30 EST). The
// Timing note says when either happened.
//
// Evaluating many people: Compile prepares a rule set once (ranked,
// condition values folded, lists split, dates parsed) and
// Compiled.Resolve gives exactly Resolve's answer; Matches, Canonical and
// Value serve counting (the rules editor's live preview). FuzzEvaluate
// holds every fast path to Evaluate's verdict.
package rules
