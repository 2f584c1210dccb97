package rules

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzEvaluate checks that no input makes a condition panic, and that each
// negated operator is exactly the negation of its positive one, for plain
// attributes and for groups alike.
func FuzzEvaluate(f *testing.F) {
	f.Add("Engineering", "equals", " engineering ", "", false, "2026-03-15")
	f.Add("Berlin", "in", "Paris, berlin", "a;b", false, "")
	f.Add("", "is_empty", "", "", true, "")
	f.Add("2026-04-01", "before", "today", "", false, "2026-05-01")
	f.Add("Senior Engineer", "contains", "ENGINEER", "x;Senior Engineer", true, "")
	f.Add("\xff\xfe", "starts_with", "\xff", ";;", true, "bad")
	f.Fuzz(func(t *testing.T, actual, op, want, groups string, onGroups bool, today string) {
		attr := "title"
		p := Person{Attributes: map[string]string{attr: actual}}
		if onGroups {
			attr = "groups"
			p = Person{Groups: strings.Split(groups, ";")}
		}
		env := Env{Today: today}
		holds := func(o Operator) bool {
			r := Rule{Conditions: []Condition{{Attribute: attr, Operator: o, Value: want}}}
			ev := Evaluate(r, p, env)
			if len(ev.Conditions) != 1 || ev.Conditions[0].Matched != ev.Matched {
				t.Fatalf("evaluation of one condition is inconsistent: %+v", ev)
			}
			if Matches(r, p, env) != ev.Matched {
				t.Fatalf("Matches disagrees with Evaluate on %+v", r)
			}
			enabled := r
			enabled.Enabled = true
			compiled := Compile([]Rule{enabled})
			held := make([]bool, 1)
			matched, known := compiled.matches(0, p, env, nil, held)
			if matched != ev.Matched {
				t.Fatalf("the compiled rule disagrees with Evaluate on %+v for %+v", r, p)
			}
			if got := compiled.evaluate(0, p, env, nil, held, known); !reflect.DeepEqual(got, ev) {
				t.Fatalf("the compiled evaluation %+v differs from Evaluate's %+v", got, ev)
			}
			if got := compiled.evaluate(0, p, env, make(values, compiled.slots), held, 0); !reflect.DeepEqual(got, ev) {
				t.Fatalf("the compiled evaluation %+v, working out every verdict, differs from Evaluate's %+v", got, ev)
			}
			// The quick date reading agrees with time.Parse.
			if q, ok := parseDateOnly(want); ok {
				tp, err := time.Parse(time.DateOnly, want)
				if err != nil || !tp.Equal(q) || tp.Location() != q.Location() {
					t.Fatalf("parseDateOnly(%q) = %v, time.Parse gives %v, %v", want, q, tp, err)
				}
			}
			// The engine reads only AttributeKeys: a person holding just
			// those gets the same verdict.
			only := Person{Attributes: map[string]string{}, Groups: p.Groups}
			for _, k := range AttributeKeys(r) {
				if v, ok := p.Attributes[k]; ok {
					only.Attributes[k] = v
				}
			}
			if Matches(r, only, env) != ev.Matched {
				t.Fatalf("a person holding only AttributeKeys gets a different verdict on %+v", r)
			}
			// Canonical values give the same verdicts.
			canon := Person{Attributes: map[string]string{}}
			for k, v := range p.Attributes {
				canon.Attributes[k] = Value(v)
			}
			for _, g := range p.Groups {
				canon.Groups = append(canon.Groups, Value(g))
			}
			if canon.Groups == nil {
				canon.Groups = p.Groups
			}
			if Matches(Canonical(r), canon, env) != ev.Matched {
				t.Fatalf("canonical values change the verdict on %+v for %+v", r, p)
			}
			return ev.Matched
		}
		_ = holds(Operator(op)) // any operator, known or not, must not panic
		_ = Rule{Name: "x", Conditions: []Condition{{Attribute: attr, Operator: Operator(op), Value: want}}}.Validate()
		for _, pair := range [][2]Operator{{Equals, NotEquals}, {In, NotIn}, {IsEmpty, IsNotEmpty}} {
			if holds(pair[0]) == holds(pair[1]) {
				t.Errorf("%s and %s agree on %q (groups %v) with %q", pair[0], pair[1], actual, onGroups, want)
			}
		}
		if holds(Before) && holds(After) {
			t.Errorf("%q is both before and after %q", actual, want)
		}
	})
}

// FuzzEffectiveAt checks that no timing, date or zone makes EffectiveAt
// panic, and that the result is always in UTC and matches the explanation.
func FuzzEffectiveAt(f *testing.F) {
	f.Add("leave", "Asia/Tokyo", "Europe/Berlin", "2026-03-01", "2026-03-31", -2, "09:00", "at_date", 0, "17:00", int64(1767225600))
	f.Add("join", "America/New_York", "", "2026-03-08", "", 0, "02:30", "days_after", 3, "01:30", int64(0))
	f.Add("rehire", "Europe/Berlin", "UTC", "2026-10-25", "2026-10-25", 1, "02:30", "immediately", -1, "25:00", int64(-1))
	f.Add("move", "Local", "../zoneinfo", "9999-12-31", "0000-01-01", 1<<40, "", "", 1<<40, "", int64(1)<<50)
	f.Fuzz(func(t *testing.T, kind, tz, orgTZ, start, end string, offset int, joinAt, mode string, days int, leaveAt string, nowUnix int64) {
		p := Person{Attributes: map[string]string{"start_date": start, "termination_date": end}}
		r := Rule{ID: 1, Name: "R", Enabled: true,
			Joiner: JoinerTiming{OffsetDays: offset, LocalTime: joinAt},
			Leaver: LeaverTiming{Mode: LeaverMode(mode), Days: days, LocalTime: leaveAt}}
		fallback := Rule{ID: 2, Name: "Default", Enabled: true}
		at, timing := EffectiveAt(ChangeKind(kind), []Rule{r, fallback}, p, tz, orgTZ, time.Unix(nowUnix, 0))
		if at.Location() != time.UTC {
			t.Errorf("EffectiveAt is in %s, want UTC", at.Location())
		}
		if !timing.At.Equal(at) || timing.Basis == "" || timing.Zone == "" {
			t.Errorf("Timing %+v does not explain %s", timing, at)
		}
	})
}
