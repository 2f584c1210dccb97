package rules

import (
	"slices"
	"testing"
)

func TestOperatorsAndLabels(t *testing.T) {
	t.Parallel()
	want := []string{"equals", "is not", "is one of", "is not one of", "contains", "starts with", "is empty", "is not empty", "is before", "is after"}
	ops := Operators()
	if len(ops) != len(want) {
		t.Fatalf("Operators() has %d entries, want %d", len(ops), len(want))
	}
	for i, op := range ops {
		if got := op.Label(); got != want[i] {
			t.Errorf("%s.Label() = %q, want %q", op, got, want[i])
		}
		if !op.Valid() {
			t.Errorf("%s.Valid() = false", op)
		}
		if got, want := op.TakesValue(), op != IsEmpty && op != IsNotEmpty; got != want {
			t.Errorf("%s.TakesValue() = %v, want %v", op, got, want)
		}
	}
	if Operator("like").Valid() || Operator("").Valid() {
		t.Error("unknown operators are valid")
	}
	if got := Operator("like").Label(); got != "like" {
		t.Errorf("unknown operator label = %q, want the raw name", got)
	}
	ops[0] = "changed"
	if Operators()[0] != Equals {
		t.Error("Operators() shares its slice with callers")
	}
}

func TestConditionOperators(t *testing.T) {
	t.Parallel()
	p := Person{Attributes: map[string]string{
		"department":       "  Engineering ",
		"title":            "Senior Software Engineer",
		"location":         "Berlin",
		"manager_id":       "",
		"start_date":       "2026-04-01",
		"termination_date": "not a date",
		"shirt_size":       "XL", // custom attribute
	}}
	env := Env{Today: "2026-03-15"}
	tests := []struct {
		attr string
		op   Operator
		val  string
		want bool
	}{
		{"department", Equals, "engineering", true},
		{"department", Equals, "  ENGINEERING  ", true},
		{"department", Equals, "Engineer", false},
		{"department", NotEquals, "engineering", false},
		{"department", NotEquals, "Sales", true},
		{"location", In, "Paris, berlin ,London", true},
		{"location", In, "Paris,London", false},
		{"location", In, "", false},
		{"location", In, " , ,", false},
		{"location", NotIn, "Paris, London", true},
		{"location", NotIn, "paris,BERLIN", false},
		{"title", Contains, "software", true},
		{"title", Contains, " SOFTWARE ", true},
		{"title", Contains, "manager", false},
		{"title", StartsWith, "senior", true},
		{"title", StartsWith, "software", false},
		{"manager_id", IsEmpty, "", true},
		{"manager_id", IsNotEmpty, "", false},
		{"location", IsEmpty, "", false},
		{"location", IsNotEmpty, "ignored", true},
		{"start_date", After, "2026-03-31", true},
		{"start_date", After, "2026-04-01", false},
		{"start_date", Before, "2026-04-02", true},
		{"start_date", Before, "2026-04-01", false},
		{"start_date", After, "today", true},
		{"start_date", Before, " TODAY ", false},
		{"start_date", Before, "soon", false},
		{"termination_date", Before, "2030-01-01", false},
		{"termination_date", After, "2000-01-01", false},
		{"missing", Before, "2030-01-01", false},
		{"missing", After, "2000-01-01", false},
		{"shirt_size", Equals, "xl", true},
		{"shirt_size", In, "L,XL", true},
		{"missing", Equals, "", true},
		{"missing", NotEquals, "x", true},
		{"missing", IsEmpty, "", true},
		{"missing", Contains, "x", false},
		{"department", Operator("like"), "eng", false},
		{" Department ", Equals, "engineering", true}, // attribute names fold too
	}
	for _, tt := range tests {
		c := Condition{Attribute: tt.attr, Operator: tt.op, Value: tt.val}
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			if got := c.holds(p, env); got != tt.want {
				t.Errorf("%+v on %q = %v, want %v", c, p.Value(tt.attr), got, tt.want)
			}
		})
	}
}

func TestConditionToday(t *testing.T) {
	t.Parallel()
	p := Person{Attributes: map[string]string{"start_date": "2026-04-01"}}
	tests := []struct {
		today string
		op    Operator
		want  bool
	}{
		{"2026-03-31", After, true},
		{"2026-04-01", After, false},
		{"2026-04-01", Before, false},
		{"2026-04-02", Before, true},
		{"", Before, false}, // no today: never matches
		{"", After, false},
		{"yesterday", After, false},
	}
	for _, tt := range tests {
		c := Condition{Attribute: "start_date", Operator: tt.op, Value: "today"}
		if got := c.holds(p, Env{Today: tt.today}); got != tt.want {
			t.Errorf("start 2026-04-01 %s today (%q) = %v, want %v", tt.op, tt.today, got, tt.want)
		}
	}
}

func TestConditionGroups(t *testing.T) {
	t.Parallel()
	member := Person{Groups: []string{"Engineering", " Berlin Office ", "all-staff"}}
	none := Person{Groups: []string{" ", ""}}
	fromAttr := Person{Attributes: map[string]string{"groups": "Engineering;Berlin Office"}}
	tests := []struct {
		p    Person
		op   Operator
		val  string
		want bool
	}{
		{member, Equals, "berlin office", true},
		{member, Equals, "Berlin", false},
		{member, NotEquals, "berlin office", false},
		{member, NotEquals, "Sales", true},
		{member, In, "Sales, ALL-STAFF", true},
		{member, In, "Sales, Marketing", false},
		{member, NotIn, "Sales, Marketing", true},
		{member, NotIn, "sales, engineering", false},
		{member, Contains, "office", true},
		{member, Contains, "finance", false},
		{member, StartsWith, "all-", true},
		{member, StartsWith, "office", false},
		{member, IsEmpty, "", false},
		{member, IsNotEmpty, "", true},
		{none, IsEmpty, "", true},
		{none, IsNotEmpty, "", false},
		{none, Equals, "", false}, // no group equals anything, even ""
		{none, NotEquals, "Sales", true},
		{none, NotIn, "Sales", true},
		{Person{}, IsEmpty, "", true},
		{fromAttr, Equals, "berlin office", true},
		{fromAttr, Contains, "neer", true},
		{fromAttr, IsNotEmpty, "", true},
	}
	for _, tt := range tests {
		c := Condition{Attribute: "groups", Operator: tt.op, Value: tt.val}
		if got := c.holds(tt.p, Env{}); got != tt.want {
			t.Errorf("groups %v (%q) %s %q = %v, want %v", tt.p.Groups, tt.p.Value("groups"), tt.op, tt.val, got, tt.want)
		}
	}
}

func TestEvaluateMatchModes(t *testing.T) {
	t.Parallel()
	p := Person{Attributes: map[string]string{"department": "Engineering", "location": "Paris"}}
	eng := Condition{Attribute: "department", Operator: Equals, Value: "Engineering"}
	berlin := Condition{Attribute: "location", Operator: Equals, Value: "Berlin"}
	tests := []struct {
		name  string
		match Match
		conds []Condition
		want  bool
	}{
		{"all, all hold", MatchAll, []Condition{eng}, true},
		{"all, one fails", MatchAll, []Condition{eng, berlin}, false},
		{"empty match means all", "", []Condition{eng, berlin}, false},
		{"any, one holds", MatchAny, []Condition{eng, berlin}, true},
		{"any, none holds", MatchAny, []Condition{berlin}, false},
		{"all, no conditions", MatchAll, nil, true},
		{"any, no conditions", MatchAny, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := Evaluate(Rule{Match: tt.match, Conditions: tt.conds}, p, Env{})
			if ev.Matched != tt.want {
				t.Errorf("Matched = %v, want %v", ev.Matched, tt.want)
			}
			if got := Matches(Rule{Match: tt.match, Conditions: tt.conds}, p, Env{}); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
			if len(ev.Conditions) != len(tt.conds) {
				t.Fatalf("%d condition results, want one per condition (%d)", len(ev.Conditions), len(tt.conds))
			}
		})
	}
}

func TestEvaluateExplains(t *testing.T) {
	t.Parallel()
	p := Person{Attributes: map[string]string{"department": "Engineering", "title": "Senior Engineer"}, Groups: []string{"a", "b"}}
	r := Rule{Match: MatchAny, Conditions: []Condition{
		{Attribute: "department", Operator: Equals, Value: "Sales"},
		{Attribute: "title", Operator: Contains, Value: "engineer"},
		{Attribute: "groups", Operator: Equals, Value: "b"},
	}}
	ev := Evaluate(r, p, Env{})
	want := []ConditionResult{
		{Condition: r.Conditions[0], Actual: "Engineering", Matched: false},
		{Condition: r.Conditions[1], Actual: "Senior Engineer", Matched: true},
		{Condition: r.Conditions[2], Actual: "a;b", Matched: true},
	}
	if !ev.Matched || !slices.Equal(ev.Conditions, want) {
		t.Errorf("Evaluate = %+v, want matched with %+v", ev, want)
	}
	if got, want := ev.Conditions[1].String(), "title contains engineer [Senior Engineer]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (ConditionResult{Condition: Condition{Attribute: "manager_id", Operator: IsEmpty}}).String(), "manager_id is empty"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestPersonValue(t *testing.T) {
	t.Parallel()
	p := Person{Attributes: map[string]string{"department": "Sales", "cost_center": "CC-1"}, Groups: []string{"x", " ", "y "}}
	tests := map[string]string{
		"department":  "Sales",
		"DEPARTMENT ": "Sales",
		"cost_center": "CC-1",
		"missing":     "",
		"groups":      "x;y",
		" Groups":     "x;y",
		"":            "",
	}
	for attr, want := range tests {
		if got := p.Value(attr); got != want {
			t.Errorf("Value(%q) = %q, want %q", attr, got, want)
		}
	}
	if got := StandardAttributes(); len(got) != 21 || got[0] != "employee_id" || got[len(got)-1] != "groups" {
		t.Errorf("StandardAttributes() = %v", got)
	}
}
