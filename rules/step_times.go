package rules

import (
	"slices"
	"strings"
	"time"
)

// StepTime is one step of a plan as a summary of its times names it.
type StepTime struct {
	App  string    // the app's name, e.g. "GitHub"
	Item string    // the entitlement's name, e.g. "admin"; "" when the step is about the account
	At   time.Time // when the step runs, UTC; zero: on approval
}

// StepGroup is the steps of a plan due at one time, by name: an app's name
// alone stands for all its steps in the group when the group holds its
// account step ("Slack": the account and what is in it), otherwise each
// entitlement is named ("GitHub admin").
type StepGroup struct {
	Names []string
	At    time.Time // zero: on approval
	When  string    // At in words: "on approval", "30 Jun 17:00 Europe/Berlin"
}

// String reads the group as "GitHub admin: on approval".
func (g StepGroup) String() string { return strings.Join(g.Names, ", ") + ": " + g.When }

// Times writes the times of one person's steps in their zone, the one
// Schedule times them in (the person's zone, else the organisation's,
// else UTC), with the zone's name: "30 Jun 17:00 Europe/Berlin". The year
// is left out for a moment in the current year.
type Times struct {
	loc    *time.Location
	source string
	now    time.Time
}

// TimesIn reads times in tz, the person's IANA zone, falling back to
// orgTZ and then UTC exactly as Schedule does; now decides which year
// goes without saying.
func TimesIn(tz, orgTZ string, now time.Time) Times {
	loc, zone := location(tz, orgTZ)
	return Times{loc: loc, source: zone.ZoneSource, now: now}
}

// Zone is the zone's name, e.g. "Europe/Berlin".
func (t Times) Zone() string { return t.loc.String() }

// ZoneSource says whose zone it is: "person", "organisation" or
// "default" (UTC, when neither is set or valid).
func (t Times) ZoneSource() string { return t.source }

// Format is one moment in words: "on approval" for a zero time, else
// "30 Jun 17:00 Europe/Berlin" ("30 Jun 2027 17:00 Europe/Berlin" in
// another year than now's).
func (t Times) Format(at time.Time) string {
	if at.IsZero() {
		return OnApproval
	}
	local := at.In(t.loc)
	layout := "2 Jan 2006 15:04"
	if local.Year() == t.now.In(t.loc).Year() {
		layout = "2 Jan 15:04"
	}
	return local.Format(layout) + " " + t.Zone()
}

// Groups gathers steps by the time they run, on approval first and then
// soonest first, each group naming its steps in plan order.
func (t Times) Groups(steps []StepTime) []StepGroup {
	var groups []StepGroup
	for _, st := range steps {
		i := slices.IndexFunc(groups, func(g StepGroup) bool { return g.At.Equal(st.At) })
		if i < 0 {
			groups = append(groups, StepGroup{At: st.At, When: t.Format(st.At)})
			i = len(groups) - 1
		}
		name := st.App
		if st.Item != "" && !accountAt(st.App, st.At, steps) {
			name += " " + st.Item
		}
		if !slices.Contains(groups[i].Names, name) {
			groups[i].Names = append(groups[i].Names, name)
		}
	}
	slices.SortStableFunc(groups, func(a, b StepGroup) int { return a.At.Compare(b.At) })
	return groups
}

// Summary is when a plan's steps run, in one line: a single time when
// they all run together ("30 Jun 17:00 Europe/Berlin"), else each group
// of steps with its time ("GitHub admin: on approval · Slack, Laptop
// return: 30 Jun 17:00 Europe/Berlin"). A plan without steps runs on
// approval.
func (t Times) Summary(steps []StepTime) string {
	groups := t.Groups(steps)
	switch len(groups) {
	case 0:
		return OnApproval
	case 1:
		return groups[0].When
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = g.String()
	}
	return strings.Join(parts, " · ")
}

// accountAt reports whether the app's account step runs at at, when the
// app's name stands for all its steps then.
func accountAt(app string, at time.Time, steps []StepTime) bool {
	return slices.ContainsFunc(steps, func(st StepTime) bool { return st.App == app && st.Item == "" && st.At.Equal(at) })
}
