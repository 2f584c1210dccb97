package hrsync

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/models"
)

// Losses is what a run would take away, under the current rules.
type Losses struct {
	// Leavers, Leaves and Movers are the people who would lose access:
	// every leaver, everyone going on leave of absence, and the movers
	// who would lose at least one grant.
	Leavers int
	Leaves  int
	Movers  int
	// Revocations counts the grants revoked and the accounts disabled or
	// deleted that the run would add (planner.AccessTaken).
	Revocations int
}

// People is how many people would lose access.
func (l Losses) People() int { return l.Leavers + l.Leaves + l.Movers }

// percentFloor is the fewest people the percentage threshold holds a run
// for (or the people threshold, when that is lower): in a source of a
// handful of people one leaver is 20% or more, and the percentage alone
// would hold every run.
const percentFloor = 3

// Brake decides whether a run must be held for an owner or admin to
// confirm. incoming is the number of records the source returned.
//
// An empty snapshot of a source that has anyone not terminated is held:
// an empty response is a broken export far more often than a company
// with nobody left. So is a snapshot that lost a column (r.Dropped).
// Otherwise the run is held when the people who would lose access are at
// least src.Brake.People, or at least src.Brake.Percent % of
// r.ActiveBefore (and at least percentFloor people), or when its
// revocations are at least src.Brake.Revocations: each threshold holds on
// its own, and thresholds of zero hold every run that takes anything away.
func Brake(src *models.Source, incoming int, r Result) (held bool, reason string) {
	if incoming == 0 && r.ActiveBefore > 0 {
		return true, fmt.Sprintf("the source returned nobody, but it has %s", people(r.ActiveBefore, "active person", "active people"))
	}
	var reasons []string
	for _, d := range r.Dropped {
		reasons = append(reasons, d.String())
	}
	b, l := src.Brake, r.Losses
	if n := l.People(); n > 0 && (n >= b.People || n >= min(percentFloor, b.People) && n*100 >= b.Percent*r.ActiveBefore) {
		reasons = append(reasons, fmt.Sprintf("%s would lose access (%s), %s of %s; the brake holds at %s or %d%%",
			people(n, "person", "people"), l.breakdown(), percentOf(n, r.ActiveBefore),
			people(r.ActiveBefore, "active person", "active people"), people(b.People, "person", "people"), b.Percent))
	}
	if n := l.Revocations; n > 0 && n >= b.Revocations {
		reasons = append(reasons, fmt.Sprintf("%s would be taken away; the brake holds at %s",
			people(n, "grant or account", "grants and accounts"), num(b.Revocations)))
	}
	return len(reasons) > 0, strings.Join(reasons, "; and ")
}

// breakdown says who would lose access: "42 leavers, 270 movers losing
// grants".
func (l Losses) breakdown() string {
	var parts []string
	if l.Leavers > 0 {
		parts = append(parts, people(l.Leavers, "leaver", "leavers"))
	}
	if l.Leaves > 0 {
		parts = append(parts, people(l.Leaves, "going on leave", "going on leave"))
	}
	if l.Movers > 0 {
		parts = append(parts, people(l.Movers, "mover losing grants", "movers losing grants"))
	}
	return strings.Join(parts, ", ")
}

// percentOf writes n as a whole percentage of total, rounded down: "12%",
// or "under 1%" for a share that rounds to nothing.
func percentOf(n, total int) string {
	if total <= 0 {
		return "100%"
	}
	p := n * 100 / total
	if p == 0 && n > 0 {
		return "under 1%"
	}
	return strconv.Itoa(p) + "%"
}

// people writes a count with the right noun: "1 leaver", "1,042 leavers".
func people(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

// num writes a count with thousands separators: 100000 → "100,000".
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
