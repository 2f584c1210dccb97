package web

import (
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/views/teamupdates"
)

// times reads a person's times in their zone, or else the organisation's,
// as the planner timed their steps.
func (cat *catalogue) times(p *models.Person, now time.Time) rules.Times {
	return rules.TimesIn(p.Timezone, cat.orgTZ, now)
}

// stepTimes names a change's steps with the time each is due.
func (cat *catalogue) stepTimes(ch *models.Change) []rules.StepTime {
	out := make([]rules.StepTime, len(ch.Plan))
	for i, st := range ch.Plan {
		out[i] = rules.StepTime{App: cat.appName(st.AppID), At: st.Due(ch.EffectiveAt)}
		if st.EntitlementID != 0 {
			out[i].Item = cat.entitlementName(st.EntitlementID)
		}
	}
	return out
}

// effective is when a change's steps run, in the person's zone: one time
// when they run together, else each group of steps with its time. A
// change without steps takes effect at its effective time.
func (cat *catalogue) effective(ch *models.Change, p *models.Person, now time.Time) teamupdates.When {
	times := cat.times(p, now)
	groups := times.Groups(cat.stepTimes(ch))
	if len(groups) == 0 {
		groups = []rules.StepGroup{{At: ch.EffectiveAt, When: times.Format(ch.EffectiveAt)}}
	}
	var w teamupdates.When
	for _, g := range groups {
		w.Groups = append(w.Groups, teamupdates.StepTime{Names: g.Names, When: g.When, ISO: isoTime(g.At)})
	}
	return w
}

// isoTime is a moment for a <time> element, "" for on approval.
func isoTime(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return at.UTC().Format(time.RFC3339)
}

// overdue reports whether a pending change has a step whose time has
// passed: it then runs as soon as it is approved. A step due on approval
// is never overdue.
func overdue(ch *models.Change, now time.Time) bool {
	if len(ch.Plan) == 0 {
		return ch.EffectiveAt.Before(now)
	}
	for _, st := range ch.Plan {
		if at := st.Due(ch.EffectiveAt); !at.IsZero() && at.Before(now) {
			return true
		}
	}
	return false
}
