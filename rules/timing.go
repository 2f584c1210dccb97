package rules

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Timing explains when a change takes effect: whose timing won, and the
// wall time and zone used.
type Timing struct {
	At         time.Time `json:"at"`                  // the effective moment, UTC
	RuleID     int64     `json:"rule_id,omitempty"`   // the rule whose timing won; 0 for a default
	RuleName   string    `json:"rule_name,omitempty"` // its name
	Basis      string    `json:"basis"`               // e.g. "2 days before the start date at 09:00", "immediately"
	Local      string    `json:"local"`               // At as a wall time in Zone: "2026-03-31 17:00 JST"
	Zone       string    `json:"zone"`                // the IANA zone used
	ZoneSource string    `json:"zone_source"`         // "person", "organisation" or "default" (UTC)
	Note       string    `json:"note,omitempty"`      // fallbacks and daylight-saving adjustments
}

// String reads the timing for people, e.g.
// `2026-03-31 17:00 JST (Asia/Tokyo): termination date at 17:00, from "Leavers"`.
func (t Timing) String() string {
	s := fmt.Sprintf("%s (%s): %s", t.Local, t.Zone, t.Basis)
	if t.RuleName != "" {
		s += fmt.Sprintf(", from %q", t.RuleName)
	}
	if t.Note != "" {
		s += " (" + t.Note + ")"
	}
	return s
}

// Zone sources.
const (
	zonePerson       = "person"
	zoneOrganisation = "organisation"
	zoneDefault      = "default"
)

// EffectiveAt computes when a change takes effect, in UTC, from the timing
// of rules (pass the rules behind the change: for a leaver, those that
// granted the access being removed, since a leaver often matches nothing
// any more; disabled rules are ignored). Wall times are read in tz, the
// person's IANA zone; an empty or invalid tz falls back to orgTZ, and an
// invalid orgTZ to UTC.
//
//   - join, rehire: the start date + OffsetDays at LocalTime; the earliest
//     moment among the rules wins (no rule: the start date at 09:00; no
//     valid start date: now).
//   - leave: at_date is the termination date at LocalTime, days_after the
//     termination date + Days at LocalTime, immediately is now; the
//     earliest wins (no rule: at_date 17:00; no valid termination date: now).
//   - move, and anything else: now.
//
// Equal moments go to the higher-priority rule. Daylight-saving gaps and
// overlaps are settled as the package documentation describes. The result
// may be in the past; the scheduler runs overdue work at once.
func EffectiveAt(kind ChangeKind, rules []Rule, p Person, tz, orgTZ string, now time.Time) (time.Time, Timing) {
	loc, zone := location(tz, orgTZ)
	var c candidate
	switch kind {
	case KindJoin, KindRehire:
		c = joinerMoment(ranked(rules), p, loc, now)
	case KindLeave:
		c = leaverMoment(ranked(rules), p, loc, now)
	default:
		c = candidate{at: now, basis: "now: a move takes effect at once"}
	}
	at := c.at.UTC()
	zone.At = at
	zone.RuleID, zone.RuleName, zone.Basis = c.ruleID, c.ruleName, c.basis
	zone.Local = at.In(loc).Format("2006-01-02 15:04 MST")
	zone.Note = joinNotes(zone.Note, c.note)
	return at, zone
}

// candidate is one rule's proposal for the effective moment.
type candidate struct {
	at       time.Time
	ruleID   int64
	ruleName string
	basis    string
	note     string
	// immediate: the step runs on approval (no date, or "immediately").
	immediate bool
}

// earliest keeps the first of the earliest moments, so ties go to the
// higher-ranked rule.
func earliest(cs []candidate) candidate {
	best := cs[0]
	for _, c := range cs[1:] {
		if c.at.Before(best.at) {
			best = c
		}
	}
	return best
}

func joinerMoment(rules []*Rule, p Person, loc *time.Location, now time.Time) candidate {
	raw := p.Value(startDateAttr)
	start, ok := parseDate(raw)
	if !ok {
		return candidate{at: now, immediate: true, basis: "now: " + missingDate("start date", raw)}
	}
	prefix := ""
	if len(rules) == 0 {
		prefix, rules = "default: ", []*Rule{{Joiner: JoinerTiming{LocalTime: DefaultJoinerTime}}}
	}
	cs := make([]candidate, 0, len(rules))
	for _, r := range rules {
		clock, note := clockOf(r.Joiner.LocalTime, DefaultJoinerTime)
		day := start.AddDate(0, 0, r.Joiner.OffsetDays)
		at, dst := wallTime(day, clock, loc)
		cs = append(cs, candidate{
			at: at, ruleID: r.ID, ruleName: r.Name,
			basis: prefix + relativeTo(r.Joiner.OffsetDays, "start date") + " at " + clock,
			note:  joinNotes(note, dst),
		})
	}
	return earliest(cs)
}

func leaverMoment(rules []*Rule, p Person, loc *time.Location, now time.Time) candidate {
	raw := p.Value(terminationDateAttr)
	end, hasDate := parseDate(raw)
	prefix := ""
	if len(rules) == 0 {
		prefix, rules = "default: ", []*Rule{{Leaver: LeaverTiming{Mode: LeaveAtDate, LocalTime: DefaultLeaverTime}}}
	}
	cs := make([]candidate, 0, len(rules))
	for _, r := range rules {
		c := candidate{ruleID: r.ID, ruleName: r.Name}
		switch {
		case r.Leaver.Mode == LeaveImmediately:
			c.at, c.basis, c.immediate = now, "immediately", true
		case !hasDate:
			c.at, c.basis, c.immediate = now, "now: "+missingDate("termination date", raw), true
		default:
			days := 0
			if r.Leaver.Mode == LeaveDaysAfter && r.Leaver.Days > 0 {
				days = r.Leaver.Days
			}
			clock, note := clockOf(r.Leaver.LocalTime, DefaultLeaverTime)
			at, dst := wallTime(end.AddDate(0, 0, days), clock, loc)
			c.at, c.note = at, joinNotes(note, dst)
			c.basis = prefix + relativeTo(days, "termination date") + " at " + clock
		}
		cs = append(cs, c)
	}
	return earliest(cs)
}

// location loads the zone to read wall times in, and says which it is.
func location(tz, orgTZ string) (*time.Location, Timing) {
	var note string
	if loc, ok := loadZone(tz); ok {
		return loc, Timing{Zone: loc.String(), ZoneSource: zonePerson}
	} else if strings.TrimSpace(tz) != "" {
		note = fmt.Sprintf("person's time zone %q is not valid", tz)
	}
	if loc, ok := loadZone(orgTZ); ok {
		return loc, Timing{Zone: loc.String(), ZoneSource: zoneOrganisation, Note: note}
	} else if strings.TrimSpace(orgTZ) != "" {
		note = joinNotes(note, fmt.Sprintf("organisation time zone %q is not valid", orgTZ))
	}
	return time.UTC, Timing{Zone: "UTC", ZoneSource: zoneDefault, Note: note}
}

// loadZone loads an IANA zone. "" and "Local" are refused: UTC is not a
// choice anyone made, and the server's zone is not the person's.
func loadZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return nil, false
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), loc.(*time.Location) != nil
	}
	// time.LoadLocation reads and parses the zone file on every call;
	// planning 100,000 people asks for the same few zones each time.
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	if zoneCount.Load() < maxZones {
		if _, loaded := zones.LoadOrStore(name, loc); !loaded {
			zoneCount.Add(1)
		}
	}
	return loc, loc != nil
}

// zones caches loadZone's answers, unknown names included, up to
// maxZones names (there are about 600 IANA zones; HR data with a
// misspelled zone per person must not grow it for ever).
var (
	zones     sync.Map
	zoneCount atomic.Int64
)

const maxZones = 2000

// wallTime is the moment the clock reads clock ("HH:MM") on day in loc.
// A time in a spring-forward gap moves forward by the gap; a time that
// occurs twice is the first occurrence. The note says which happened.
func wallTime(day time.Time, clock string, loc *time.Location) (time.Time, string) {
	hour, minute, _ := parseClock(clock)
	y, m, d := day.Date()
	t := time.Date(y, m, d, hour, minute, 0, 0, loc)
	wall := time.Date(y, m, d, hour, minute, 0, 0, time.UTC).Unix() // the wall clock read as if UTC
	_, offset := t.Zone()
	got := t.Unix() + int64(offset)
	start, end := t.ZoneBounds()
	when := fmt.Sprintf("%s on %s in %s", clock, day.Format(time.DateOnly), loc)

	if got == wall { // the wall time exists; it may exist twice
		first, twice := t, false
		if !start.IsZero() { // an earlier occurrence in the period before?
			_, prevOffset := start.Add(-time.Second).Zone()
			earlier := time.Unix(wall-int64(prevOffset), 0).In(loc)
			if _, o := earlier.Zone(); earlier.Before(start) && o == prevOffset {
				first, twice = earlier, true
			}
		}
		if !twice && !end.IsZero() { // a later one in the period after?
			_, nextOffset := end.Zone()
			later := time.Unix(wall-int64(nextOffset), 0).In(loc)
			_, o := later.Zone()
			twice = !later.Before(end) && o == nextOffset
		}
		if twice {
			return first, when + " occurs twice (clocks go back); used the first, " + first.Format("15:04 MST")
		}
		return t, ""
	}
	// In a gap: read the wall time with the offset in force before the
	// transition, which lands the same distance after it.
	before := offset // Go placed t before the transition
	if got > wall && !start.IsZero() {
		_, before = start.Add(-time.Second).Zone() // Go placed t after it
	}
	moved := time.Unix(wall-int64(before), 0).In(loc)
	return moved, when + " does not exist (clocks go forward); used " + moved.Format("15:04 MST")
}

// clockOf returns a rule's wall time, or the default with a note when the
// rule's is empty or not HH:MM.
func clockOf(s, def string) (string, string) {
	if s == "" {
		return def, ""
	}
	if !validClock(s) {
		return def, fmt.Sprintf("time %q is not HH:MM; used %s", s, def)
	}
	return s, ""
}

func relativeTo(days int, date string) string {
	switch {
	case days == 0:
		return date
	case days == 1:
		return "1 day after the " + date
	case days == -1:
		return "1 day before the " + date
	case days > 0:
		return fmt.Sprintf("%d days after the %s", days, date)
	}
	return fmt.Sprintf("%d days before the %s", -days, date)
}

func missingDate(what, raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "no " + what
	}
	return fmt.Sprintf("%s %q is not a date", what, raw)
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
