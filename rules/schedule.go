package rules

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// OnApproval is the basis of a step that runs as soon as its change is
// approved: its At is zero, so a plan re-made a minute later is the same
// plan.
const OnApproval = "on approval"

// Schedule gives every step of a plan its own time, from the rules behind
// that step (Step.Rules, looked up in byID; disabled rules still count,
// since a leaver's access was granted by rules that may since have been
// switched off), in the person's zone as EffectiveAt reads it:
//
//   - join, rehire: an account or grant runs at the earliest joiner
//     moment of its rules (no rule: the start date at 09:00; no valid
//     start date: on approval); anything else on approval;
//   - leave: a revoke runs at the earliest leaver moment of the rule that
//     granted it (no rule: the termination date at 17:00; "immediately"
//     or no valid termination date: on approval); an account is disabled
//     or deleted after the last of its app's revokes, so nobody loses an
//     account while a grant in it is still theirs;
//   - move: every step on approval.
//
// A step due "now" gets a zero At and the basis OnApproval, never the
// planning moment. Steps are then ordered by app, time, operation and
// entitlement, so within an app (whose steps run in order) nothing due
// later holds up something due earlier.
//
// The returned Timing is the change's: the earliest step's (At zero when
// some step runs on approval).
func Schedule(kind ChangeKind, steps []Step, byID map[int64]Rule, p Person, tz, orgTZ string, now time.Time) ([]Step, Timing) {
	loc, zone := location(tz, orgTZ)
	out := make([]Step, len(steps))
	copy(out, steps)
	cands := make([]candidate, len(out))
	for i, st := range out {
		cands[i] = stepMoment(kind, st, rulesOf(st.Rules, byID), p, loc, now)
	}
	if kind == KindLeave {
		accountsAfterRevokes(out, cands, now)
	}
	for i := range out {
		c := cands[i]
		out[i].At, out[i].When = time.Time{}, OnApproval
		if !c.immediate {
			out[i].At = c.at.UTC().Truncate(time.Second)
			out[i].When = c.describe()
		} else if c.basis != "" && c.basis != OnApproval {
			out[i].When = OnApproval + " (" + strings.TrimPrefix(c.describe(), "now: ") + ")"
		}
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := out[a], out[b]
		return cmp.Or(cmp.Compare(x.AppID, y.AppID), x.At.Compare(y.At), cmp.Compare(opOrder(x.Op), opOrder(y.Op)), cmp.Compare(x.EntitlementID, y.EntitlementID))
	})
	sorted := make([]Step, len(out))
	sortedCands := make([]candidate, len(out))
	for i, j := range order {
		sorted[i], sortedCands[i] = out[j], cands[j]
	}
	return sorted, changeTiming(sortedCands, loc, zone)
}

// changeTiming is the Timing of the earliest step.
func changeTiming(cs []candidate, loc *time.Location, zone Timing) Timing {
	if len(cs) == 0 {
		zone.Basis, zone.Local = OnApproval, OnApproval
		return zone
	}
	best := cs[0]
	for _, c := range cs[1:] {
		switch {
		case best.immediate:
		case c.immediate || c.at.Before(best.at):
			best = c
		}
	}
	zone.RuleID, zone.RuleName, zone.Basis = best.ruleID, best.ruleName, best.basis
	zone.Note = joinNotes(zone.Note, best.note)
	if best.immediate {
		zone.At, zone.Local = time.Time{}, OnApproval
		if best.basis == "" {
			zone.Basis = OnApproval
		}
		return zone
	}
	zone.At = best.at.UTC().Truncate(time.Second)
	zone.Local = zone.At.In(loc).Format("2006-01-02 15:04 MST")
	return zone
}

// stepMoment is when one step runs, before accounts are lined up behind
// their revokes.
func stepMoment(kind ChangeKind, st Step, rs []Rule, p Person, loc *time.Location, now time.Time) candidate {
	switch {
	case (kind == KindJoin || kind == KindRehire) && st.Op != OpRevoke:
		return joinerMoment(ranked(rs), p, loc, now)
	case kind == KindLeave:
		return leaverMoment(ranked(rs), p, loc, now)
	default:
		return candidate{at: now, immediate: true, basis: OnApproval}
	}
}

// accountsAfterRevokes moves each disable and delete of a leaver's plan to
// the last of its app's revokes, when the app has any.
func accountsAfterRevokes(steps []Step, cands []candidate, now time.Time) {
	last := map[int64]candidate{}
	for i, st := range steps {
		if st.Op != OpRevoke {
			continue
		}
		if l, ok := last[st.AppID]; !ok || later(cands[i], l) {
			last[st.AppID] = cands[i]
		}
	}
	for i, st := range steps {
		if st.Op != OpDisable && st.Op != OpDelete {
			continue
		}
		if l, ok := last[st.AppID]; ok {
			cands[i] = l
			cands[i].basis = "after the app's last revoke: " + l.describe()
			cands[i].ruleID, cands[i].ruleName = 0, ""
		}
	}
}

// later reports whether a runs after b (a step on approval runs first).
func later(a, b candidate) bool {
	switch {
	case a.immediate:
		return false
	case b.immediate:
		return true
	}
	return a.at.After(b.at)
}

// rulesOf looks the rules up by id, skipping unknown ones. Disabled rules
// are returned enabled: their timing still applies to what they granted.
func rulesOf(ids []int64, byID map[int64]Rule) []Rule {
	out := make([]Rule, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			r.Enabled = true
			out = append(out, r)
		}
	}
	return out
}

// describe is a candidate's basis with the rule it came from, e.g.
// `termination date at 17:00, from "Leavers"`.
func (c candidate) describe() string {
	if c.ruleName == "" {
		return c.basis
	}
	if c.immediate {
		return c.basis + `, rule "` + c.ruleName + `"`
	}
	return c.basis + ` (rule "` + c.ruleName + `")`
}
