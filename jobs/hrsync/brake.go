package hrsync

import (
	"fmt"

	"github.com/rosterhq/roster/models"
)

// Brake decides whether a run must be held for an owner or admin to
// confirm. incoming is the number of records the source returned.
//
// An empty snapshot of a source that has anyone not terminated is held:
// an empty response is a broken export far more often than a company
// with nobody left. Otherwise the run is held when its leavers are more
// than src.BrakeMinLeavers people and more than src.BrakePercent % of
// r.ActiveBefore. Thresholds of zero hold every run with a leaver.
func Brake(src *models.Source, incoming int, r Result) (held bool, reason string) {
	if incoming == 0 && r.ActiveBefore > 0 {
		return true, fmt.Sprintf("the source returned nobody, but it has %s", people(r.ActiveBefore, "active person", "active people"))
	}
	leavers := r.Counts.Leavers
	if leavers > src.BrakeMinLeavers && leavers*100 > src.BrakePercent*r.ActiveBefore {
		return true, fmt.Sprintf("%s is more than %s and more than %d%% of %s",
			people(leavers, "leaver", "leavers"), people(src.BrakeMinLeavers, "person", "people"),
			src.BrakePercent, people(r.ActiveBefore, "active person", "active people"))
	}
	return false, ""
}

// people writes a count with the right noun: "1 leaver", "42 leavers".
func people(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
