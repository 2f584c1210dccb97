package rules

import (
	"strings"
	"testing"
	"time"
)

func joiner(id int64, name string, prio, offset int, clock string) Rule {
	return Rule{ID: id, Name: name, Enabled: true, Priority: prio, Joiner: JoinerTiming{OffsetDays: offset, LocalTime: clock}}
}

func leaver(id int64, name string, prio int, mode LeaverMode, days int, clock string) Rule {
	return Rule{ID: id, Name: name, Enabled: true, Priority: prio, Leaver: LeaverTiming{Mode: mode, Days: days, LocalTime: clock}}
}

func TestEffectiveAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("somewhere", 3600))
	starts := func(date string) Person { return Person{Attributes: map[string]string{"start_date": date}} }
	ends := func(date string) Person { return Person{Attributes: map[string]string{"termination_date": date}} }
	tests := []struct {
		name       string
		kind       ChangeKind
		rules      []Rule
		p          Person
		tz, orgTZ  string
		want       string // RFC 3339, UTC
		rule       string // the winning rule's name
		basis      string
		local      string // Timing.Local, when checked
		zoneSource string // Timing.ZoneSource, when checked
		note       string // a substring of Timing.Note; "" means no note
	}{
		{
			name: "the Tokyo leaver", kind: KindLeave, p: ends("2026-03-31"), tz: "Asia/Tokyo", orgTZ: "Europe/Berlin",
			rules: []Rule{leaver(1, "Leavers", 0, LeaveAtDate, 0, "17:00")},
			want:  "2026-03-31T08:00:00Z", rule: "Leavers", basis: "termination date at 17:00",
			local: "2026-03-31 17:00 JST", zoneSource: "person",
		},
		{
			name: "leaver without rules: termination date at 17:00", kind: KindLeave, p: ends("2026-03-31"), tz: "Asia/Tokyo",
			want: "2026-03-31T08:00:00Z", basis: "default: termination date at 17:00",
		},
		{
			name: "days after", kind: KindLeave, p: ends("2026-03-31"), tz: "Asia/Tokyo",
			rules: []Rule{leaver(1, "Grace", 0, LeaveDaysAfter, 3, "18:00")},
			want:  "2026-04-03T09:00:00Z", rule: "Grace", basis: "3 days after the termination date at 18:00",
		},
		{
			name: "immediately", kind: KindLeave, p: ends("2026-03-31"), tz: "Asia/Tokyo",
			rules: []Rule{leaver(1, "Cards", 0, LeaveAtDate, 0, "17:00"), leaver(2, "Admins", 0, LeaveImmediately, 0, "")},
			want:  "2026-03-01T11:00:00Z", rule: "Admins", basis: "immediately",
		},
		{
			name: "earliest leaver timing wins", kind: KindLeave, p: ends("2026-03-31"), tz: "Europe/Berlin",
			rules: []Rule{leaver(1, "Late", 50, LeaveDaysAfter, 1, "09:00"), leaver(2, "Early", 0, LeaveAtDate, 0, "")},
			want:  "2026-03-31T15:00:00Z", rule: "Early", basis: "termination date at 17:00",
		},
		{
			name: "leaver without a termination date: now", kind: KindLeave, p: Person{}, tz: "Asia/Tokyo",
			rules: []Rule{leaver(1, "Leavers", 0, LeaveAtDate, 0, "17:00")},
			want:  "2026-03-01T11:00:00Z", basis: "now: no termination date",
		},
		{
			name: "leaver with a bad termination date: now", kind: KindLeave, p: ends("31/03/2026"),
			want: "2026-03-01T11:00:00Z", basis: `now: termination date "31/03/2026" is not a date`,
		},
		{
			name: "joiner at the default time", kind: KindJoin, p: starts("2026-04-01"), tz: "Europe/Berlin",
			want: "2026-04-01T07:00:00Z", basis: "default: start date at 09:00", local: "2026-04-01 09:00 CEST",
		},
		{
			name: "negative joiner offset", kind: KindJoin, p: starts("2026-04-01"), tz: "Europe/Berlin",
			rules: []Rule{joiner(1, "Laptops", 0, -2, "09:00")},
			want:  "2026-03-30T07:00:00Z", rule: "Laptops", basis: "2 days before the start date at 09:00",
		},
		{
			name: "negative offset across the Berlin switch", kind: KindJoin, p: starts("2026-03-30"), tz: "Europe/Berlin",
			rules: []Rule{joiner(1, "Laptops", 0, -3, "09:00")},
			want:  "2026-03-27T08:00:00Z", basis: "3 days before the start date at 09:00", local: "2026-03-27 09:00 CET",
		},
		{
			name: "earliest joiner timing wins, ties to the higher priority", kind: KindRehire, p: starts("2026-04-01"), tz: "UTC",
			rules: []Rule{
				joiner(1, "Start", 0, 0, "09:00"),
				joiner(2, "Eve low", 1, -1, "17:00"),
				joiner(3, "Eve high", 5, -1, "17:00"),
				{ID: 4, Name: "Disabled", Joiner: JoinerTiming{OffsetDays: -10}},
			},
			want: "2026-03-31T17:00:00Z", rule: "Eve high", basis: "1 day before the start date at 17:00",
		},
		{
			name: "joiner without a start date: now", kind: KindJoin, p: Person{}, tz: "Europe/Berlin",
			rules: []Rule{joiner(1, "Start", 0, 0, "09:00")},
			want:  "2026-03-01T11:00:00Z", basis: "now: no start date",
		},
		{
			name: "a rule's bad time falls back to the default", kind: KindJoin, p: starts("2026-04-01"), tz: "UTC",
			rules: []Rule{joiner(1, "Odd", 0, 1, "9am")},
			want:  "2026-04-02T09:00:00Z", basis: "1 day after the start date at 09:00", note: `time "9am" is not HH:MM; used 09:00`,
		},
		{
			name: "a mover: now", kind: KindMove, p: starts("2026-04-01"), tz: "Asia/Tokyo",
			rules: []Rule{joiner(1, "Start", 0, 0, "09:00")},
			want:  "2026-03-01T11:00:00Z", basis: "now: a move takes effect at once", local: "2026-03-01 20:00 JST",
		},

		// Time zone fallbacks.
		{
			name: "no person zone: the organisation's", kind: KindJoin, p: starts("2026-04-01"), orgTZ: "Asia/Tokyo",
			want: "2026-04-01T00:00:00Z", zoneSource: "organisation",
		},
		{
			name: "invalid person zone: the organisation's", kind: KindJoin, p: starts("2026-04-01"), tz: "Mars/Olympus", orgTZ: "Asia/Tokyo",
			want: "2026-04-01T00:00:00Z", zoneSource: "organisation", note: `person's time zone "Mars/Olympus" is not valid`,
		},
		{
			name: "Local is not a zone anyone chose", kind: KindJoin, p: starts("2026-04-01"), tz: "Local", orgTZ: "Asia/Tokyo",
			want: "2026-04-01T00:00:00Z", zoneSource: "organisation", note: `person's time zone "Local" is not valid`,
		},
		{
			name: "both invalid: UTC", kind: KindJoin, p: starts("2026-04-01"), tz: "../etc/passwd", orgTZ: "Nowhere",
			want: "2026-04-01T09:00:00Z", zoneSource: "default", note: `organisation time zone "Nowhere" is not valid`,
		},
		{
			name: "nothing: UTC", kind: KindJoin, p: starts("2026-04-01"),
			want: "2026-04-01T09:00:00Z", zoneSource: "default", local: "2026-04-01 09:00 UTC",
		},

		// Daylight saving in New York: forward 2026-03-08 02:00, back 2026-11-01 02:00.
		{
			name: "New York, spring forward, 09:00", kind: KindJoin, p: starts("2026-03-08"), tz: "America/New_York",
			rules: []Rule{joiner(1, "R", 0, 0, "09:00")}, want: "2026-03-08T13:00:00Z", local: "2026-03-08 09:00 EDT",
		},
		{
			name: "New York, spring forward, 02:30 is in the gap", kind: KindJoin, p: starts("2026-03-08"), tz: "America/New_York",
			rules: []Rule{joiner(1, "R", 0, 0, "02:30")}, want: "2026-03-08T07:30:00Z", local: "2026-03-08 03:30 EDT",
			note: "02:30 on 2026-03-08 in America/New_York does not exist (clocks go forward); used 03:30 EDT",
		},
		{
			name: "New York, the day before, via an offset into the gap", kind: KindJoin, p: starts("2026-03-09"), tz: "America/New_York",
			rules: []Rule{joiner(1, "R", 0, -1, "02:30")}, want: "2026-03-08T07:30:00Z", note: "does not exist",
		},
		{
			name: "New York, fall back, 09:00", kind: KindLeave, p: ends("2026-11-01"), tz: "America/New_York",
			rules: []Rule{leaver(1, "R", 0, LeaveAtDate, 0, "09:00")}, want: "2026-11-01T14:00:00Z", local: "2026-11-01 09:00 EST",
		},
		{
			name: "New York, fall back, 01:30 happens twice: the first", kind: KindLeave, p: ends("2026-11-01"), tz: "America/New_York",
			rules: []Rule{leaver(1, "R", 0, LeaveAtDate, 0, "01:30")}, want: "2026-11-01T05:30:00Z", local: "2026-11-01 01:30 EDT",
			note: "01:30 on 2026-11-01 in America/New_York occurs twice (clocks go back); used the first, 01:30 EDT",
		},

		// Daylight saving in Berlin: forward 2026-03-29 02:00, back 2026-10-25 03:00.
		{
			name: "Berlin, spring forward, 09:00", kind: KindJoin, p: starts("2026-03-29"), tz: "Europe/Berlin",
			rules: []Rule{joiner(1, "R", 0, 0, "09:00")}, want: "2026-03-29T07:00:00Z", local: "2026-03-29 09:00 CEST",
		},
		{
			name: "Berlin, spring forward, 02:30 is in the gap", kind: KindJoin, p: starts("2026-03-29"), tz: "Europe/Berlin",
			rules: []Rule{joiner(1, "R", 0, 0, "02:30")}, want: "2026-03-29T01:30:00Z", local: "2026-03-29 03:30 CEST",
			note: "does not exist (clocks go forward); used 03:30 CEST",
		},
		{
			name: "Berlin, fall back, 09:00", kind: KindLeave, p: ends("2026-10-25"), tz: "Europe/Berlin",
			rules: []Rule{leaver(1, "R", 0, LeaveAtDate, 0, "09:00")}, want: "2026-10-25T08:00:00Z", local: "2026-10-25 09:00 CET",
		},
		{
			name: "Berlin, fall back, 02:30 happens twice: the first", kind: KindLeave, p: ends("2026-10-25"), tz: "Europe/Berlin",
			rules: []Rule{leaver(1, "R", 0, LeaveAtDate, 0, "02:30")}, want: "2026-10-25T00:30:00Z", local: "2026-10-25 02:30 CEST",
			note: "occurs twice (clocks go back); used the first, 02:30 CEST",
		},

		// Lord Howe Island shifts by half an hour: back 2026-04-05 02:00, forward 2026-10-04 02:00.
		{
			name: "Lord Howe, half-hour overlap: the first", kind: KindLeave, p: ends("2026-04-05"), tz: "Australia/Lord_Howe",
			rules: []Rule{leaver(1, "R", 0, LeaveAtDate, 0, "01:45")}, want: "2026-04-04T14:45:00Z", note: "occurs twice",
		},
		{
			name: "Lord Howe, half-hour gap: forward by half an hour", kind: KindJoin, p: starts("2026-10-04"), tz: "Australia/Lord_Howe",
			rules: []Rule{joiner(1, "R", 0, 0, "02:15")}, want: "2026-10-03T15:45:00Z", note: "does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			at, timing := EffectiveAt(tt.kind, tt.rules, tt.p, tt.tz, tt.orgTZ, now)
			if got := at.Format(time.RFC3339); got != tt.want {
				t.Errorf("EffectiveAt = %s, want %s (%s)", got, tt.want, timing)
			}
			if at.Location() != time.UTC {
				t.Errorf("EffectiveAt is in %s, want UTC", at.Location())
			}
			if !timing.At.Equal(at) {
				t.Errorf("Timing.At = %s, want %s", timing.At, at)
			}
			if tt.rule != "" && timing.RuleName != tt.rule {
				t.Errorf("winning rule = %q, want %q", timing.RuleName, tt.rule)
			}
			if tt.basis != "" && timing.Basis != tt.basis {
				t.Errorf("basis = %q, want %q", timing.Basis, tt.basis)
			}
			if tt.local != "" && timing.Local != tt.local {
				t.Errorf("local = %q, want %q", timing.Local, tt.local)
			}
			if tt.zoneSource != "" && timing.ZoneSource != tt.zoneSource {
				t.Errorf("zone source = %q, want %q", timing.ZoneSource, tt.zoneSource)
			}
			if tt.note == "" && timing.Note != "" || !strings.Contains(timing.Note, tt.note) {
				t.Errorf("note = %q, want %q", timing.Note, tt.note)
			}
		})
	}
}

func TestTimingString(t *testing.T) {
	t.Parallel()
	_, timing := EffectiveAt(KindLeave, []Rule{leaver(1, "Leavers", 0, LeaveAtDate, 0, "17:00")},
		Person{Attributes: map[string]string{"termination_date": "2026-03-31"}}, "Asia/Tokyo", "", time.Now())
	want := `2026-03-31 17:00 JST (Asia/Tokyo): termination date at 17:00, from "Leavers"`
	if got := timing.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestTimingStringWithNote(t *testing.T) {
	t.Parallel()
	_, timing := EffectiveAt(KindJoin, nil, Person{Attributes: map[string]string{"start_date": "2026-03-29"}}, "Nowhere", "Europe/Berlin", time.Now())
	want := `2026-03-29 09:00 CEST (Europe/Berlin): default: start date at 09:00 (person's time zone "Nowhere" is not valid)`
	if got := timing.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
