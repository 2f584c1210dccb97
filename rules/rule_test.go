package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func validRule() Rule {
	return Rule{
		ID: 1, Name: "Engineering", Enabled: true, Priority: 10, Match: MatchAll,
		Conditions: []Condition{{Attribute: "department", Operator: Equals, Value: "Engineering"}},
		Grants:     []Grant{{AppID: 1, EntitlementID: 2, Params: map[string]string{"role": "dev"}}},
		Joiner:     JoinerTiming{OffsetDays: -1, LocalTime: "08:30"},
		Leaver:     LeaverTiming{Mode: LeaveAtDate, LocalTime: "17:00"},
		Approval:   ApprovalReview,
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(r *Rule)
		fields []string // FieldError.Field of every problem, in order
		msgs   []string // substrings of the messages
	}{
		{"valid", func(r *Rule) {}, nil, nil},
		{"defaults are valid", func(r *Rule) {
			r.Match, r.Approval, r.Leaver, r.Joiner = "", "", LeaverTiming{}, JoinerTiming{}
		}, nil, nil},
		{"no conditions is valid", func(r *Rule) { r.Conditions = nil }, nil, nil},
		{"is_empty needs no value", func(r *Rule) {
			r.Conditions = []Condition{{Attribute: "manager_id", Operator: IsEmpty}}
		}, nil, nil},
		{"before today is valid", func(r *Rule) {
			r.Conditions = []Condition{{Attribute: "start_date", Operator: Before, Value: " Today"}}
		}, nil, nil},
		{"empty name", func(r *Rule) { r.Name = "  " }, []string{"name"}, []string{"name is empty"}},
		{"unknown operator", func(r *Rule) { r.Conditions[0].Operator = "like" },
			[]string{"conditions.0.operator"}, []string{`condition 1: unknown operator "like"`}},
		{"empty attribute", func(r *Rule) { r.Conditions[0].Attribute = " " },
			[]string{"conditions.0.attribute"}, []string{"condition 1: attribute is empty"}},
		{"before with a non-date", func(r *Rule) {
			r.Conditions = append(r.Conditions, Condition{Attribute: "start_date", Operator: Before, Value: "2026-02-30"})
		}, []string{"conditions.1.value"}, []string{`condition 2: "is before" needs a date (YYYY-MM-DD) or "today", got "2026-02-30"`}},
		{"after with nothing", func(r *Rule) { r.Conditions[0] = Condition{Attribute: "start_date", Operator: After} },
			[]string{"conditions.0.value"}, []string{`"is after" needs a date`}},
		{"in with an empty list", func(r *Rule) { r.Conditions[0] = Condition{Attribute: "location", Operator: In, Value: " , "} },
			[]string{"conditions.0.value"}, []string{`condition 1: "is one of" needs a comma-separated list`}},
		{"not_in with an empty list", func(r *Rule) { r.Conditions[0] = Condition{Attribute: "location", Operator: NotIn} },
			[]string{"conditions.0.value"}, []string{`"is not one of" needs a comma-separated list`}},
		{"contains nothing", func(r *Rule) { r.Conditions[0] = Condition{Attribute: "title", Operator: Contains, Value: " "} },
			[]string{"conditions.0.value"}, []string{`condition 1: "contains" needs a value`}},
		{"no grants", func(r *Rule) { r.Grants = nil }, []string{"grants"}, []string{"no grants"}},
		{"grant without app or entitlement", func(r *Rule) { r.Grants = []Grant{{}} },
			[]string{"grants.0.app_id", "grants.0.entitlement_id"}, []string{"grant 1: no app", "grant 1: no entitlement"}},
		{"duplicate grant", func(r *Rule) { r.Grants = append(r.Grants, Grant{AppID: 1, EntitlementID: 2}) },
			[]string{"grants.1.entitlement_id"}, []string{"grant 2: same app and entitlement as grant 1"}},
		{"unnamed parameter", func(r *Rule) { r.Grants[0].Params[""] = "x" },
			[]string{"grants.0.params"}, []string{"grant 1: a parameter has no name"}},
		{"bad joiner time", func(r *Rule) { r.Joiner.LocalTime = "9:00" },
			[]string{"joiner.local_time"}, []string{`joiner time "9:00" is not HH:MM`}},
		{"joiner time 24:00", func(r *Rule) { r.Joiner.LocalTime = "24:00" }, []string{"joiner.local_time"}, nil},
		{"bad leaver time", func(r *Rule) { r.Leaver.LocalTime = "17:60" },
			[]string{"leaver.local_time"}, []string{`leaver time "17:60" is not HH:MM`}},
		{"negative days after", func(r *Rule) { r.Leaver = LeaverTiming{Mode: LeaveDaysAfter, Days: -2} },
			[]string{"leaver.days"}, []string{"must be 0 to 3650, got -2"}},
		{"too many days after", func(r *Rule) { r.Leaver = LeaverTiming{Mode: LeaveDaysAfter, Days: 3651} }, []string{"leaver.days"}, nil},
		{"ten years after", func(r *Rule) { r.Leaver = LeaverTiming{Mode: LeaveDaysAfter, Days: 3650} }, nil, nil},
		{"joiner offset out of range", func(r *Rule) { r.Joiner.OffsetDays = -3651 },
			[]string{"joiner.offset_days"}, []string{"joiner offset must be within 3650 days of the start date, got -3651"}},
		{"negative days ignored when at date", func(r *Rule) { r.Leaver = LeaverTiming{Mode: LeaveAtDate, Days: -2} }, nil, nil},
		{"priority out of range", func(r *Rule) { r.Priority = 1_000_001 },
			[]string{"priority"}, []string{"priority must be from -1000000 to 1000000, got 1000001"}},
		{"lowest priority", func(r *Rule) { r.Priority = -1_000_000 }, nil, nil},
		{"unknown match", func(r *Rule) { r.Match = "most" },
			[]string{"match"}, []string{`unknown match "most" (want all or any)`}},
		{"unknown approval", func(r *Rule) { r.Approval = "maybe" },
			[]string{"approval"}, []string{`unknown approval "maybe" (want review or auto)`}},
		{"unknown leaver mode", func(r *Rule) { r.Leaver.Mode = "never" },
			[]string{"leaver.mode"}, []string{`unknown leaver mode "never"`}},
		{"every problem at once", func(r *Rule) {
			*r = Rule{Match: "x", Approval: "y", Conditions: []Condition{{Operator: "z"}}, Joiner: JoinerTiming{LocalTime: "x"}}
		}, []string{"name", "match", "conditions.0.attribute", "conditions.0.operator", "grants", "joiner.local_time", "approval"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := validRule()
			tt.edit(&r)
			err := r.Validate()
			var fields []string
			for _, fe := range FieldErrors(err) {
				fields = append(fields, fe.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields = %q, want %q (err: %v)", fields, tt.fields, err)
			}
			if (err == nil) != (len(tt.fields) == 0) {
				t.Errorf("err = %v, want an error: %v", err, len(tt.fields) > 0)
			}
			for _, m := range tt.msgs {
				if err == nil || !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	if got := FieldErrors(nil); got != nil {
		t.Errorf("FieldErrors(nil) = %v", got)
	}
	single := &FieldError{Field: "name", Message: "name is empty"}
	if got := FieldErrors(single); len(got) != 1 || got[0] != single {
		t.Errorf("FieldErrors(single) = %v", got)
	}
	if got := FieldErrors(errors.New("other")); got != nil {
		t.Errorf("FieldErrors(other) = %v", got)
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		hour, minute int
		ok           bool
	}{
		{"00:00", 0, 0, true},
		{"09:05", 9, 5, true},
		{"23:59", 23, 59, true},
		{"24:00", 0, 0, false},
		{"12:60", 0, 0, false},
		{"9:00", 0, 0, false},
		{"09:0a", 0, 0, false},
		{"09-00", 0, 0, false},
		{"", 0, 0, false},
		{"09:00 ", 0, 0, false},
	}
	for _, tt := range tests {
		h, m, ok := parseClock(tt.in)
		if ok != tt.ok || ok && (h != tt.hour || m != tt.minute) {
			t.Errorf("parseClock(%q) = %d, %d, %v; want %d, %d, %v", tt.in, h, m, ok, tt.hour, tt.minute, tt.ok)
		}
	}
}
