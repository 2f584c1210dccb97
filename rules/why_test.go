package rules

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestWhySummary(t *testing.T) {
	t.Parallel()
	engBerlin := Rule{ID: 1, Name: "Engineering Berlin", Enabled: true, Conditions: []Condition{eq("department", "Engineering"), eq("location", "Berlin")},
		Grants: []Grant{{AppID: 1, EntitlementID: 1}}}
	finance := Rule{ID: 2, Name: "Finance cards", Enabled: true, Priority: 20, Grants: []Grant{{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "500")}}}
	defaults := Rule{ID: 3, Name: "Default cards", Enabled: true, Priority: 10, Grants: []Grant{{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "300")}}}
	p := Person{Attributes: map[string]string{"department": "Engineering", "location": "Berlin", "title": "Senior Engineer"}}
	d := Resolve([]Rule{engBerlin, finance, defaults}, p, Env{})
	onlyEng := Resolve([]Rule{engBerlin}, p, Env{})

	anyRule := Rule{ID: 4, Name: "Tech", Enabled: true, Match: MatchAny, Grants: []Grant{{AppID: 1, EntitlementID: 1}}, Conditions: []Condition{
		eq("department", "IT"), {Attribute: "title", Operator: Contains, Value: "engineer"}, {Attribute: "manager_id", Operator: IsEmpty},
	}}
	tie := []Rule{
		{ID: 5, Name: "A", Enabled: true, Grants: []Grant{{AppID: 1, EntitlementID: 1, Params: params("role", "admin")}}},
		{ID: 6, Name: "B", Enabled: true, Grants: []Grant{{AppID: 1, EntitlementID: 1, Params: params("role", "user")}}},
	}
	tests := []struct {
		name string
		why  Why
		want string
	}{
		{
			name: "the issue's example",
			why:  Why{Trigger: "joined", Diff: []FieldChange{{Field: "department", New: "Engineering"}}, Matched: d.Matched[2:], Conflicts: d.Conflicts},
			want: `Joined; matched "Engineering Berlin" (department equals Engineering, location equals Berlin); spend_limit 500 from "Finance cards" (priority 20) over 300 from "Default cards" (priority 10)`,
		},
		{
			name: "several rules, one matching everyone",
			why:  Why{Trigger: "joined", Matched: d.Matched},
			want: `Joined; matched "Finance cards" (everyone), "Default cards" (everyone), "Engineering Berlin" (department equals Engineering, location equals Berlin)`,
		},
		{
			name: "a mover names the fields that changed",
			why: Why{Trigger: "changed", Matched: onlyEng.Matched, Diff: []FieldChange{
				{Field: "department", Old: "Sales", New: "Engineering"}, {Field: "location", Old: "", New: "Berlin"},
			}},
			want: `Changed (department Sales → Engineering, location (empty) → Berlin); matched "Engineering Berlin" (department equals Engineering, location equals Berlin)`,
		},
		{
			name: "long diffs are cut",
			why: Why{Trigger: "changed", Diff: []FieldChange{
				{Field: "a", Old: "1", New: "2"}, {Field: "b", Old: "1", New: "2"}, {Field: "c", Old: "1", New: "2"}, {Field: "d", Old: "1", New: "2"}, {Field: "e", New: "2"},
			}},
			want: `Changed (a 1 → 2, b 1 → 2, c 1 → 2, and 2 more); no rule matched`,
		},
		{
			name: "an any rule shows what held, with actual values",
			why:  Why{Trigger: "rehired", Matched: Resolve([]Rule{anyRule}, p, Env{}).Matched},
			want: `Rehired; matched "Tech" (title contains engineer [Senior Engineer] or manager_id is empty)`,
		},
		{
			name: "a tie says how it was broken",
			why:  Why{Trigger: "joined", Matched: Resolve(tie, p, Env{}).Matched, Conflicts: Resolve(tie, p, Env{}).Conflicts},
			want: `Joined; matched "A" (everyone), "B" (everyone); role admin from "A" (priority 0) over user from "B" (priority 0, same priority: the rule created first wins)`,
		},
		{
			name: "a leaver with no matching rule",
			why:  Why{Trigger: "left", Diff: []FieldChange{{Field: "status", Old: "active", New: "terminated"}}},
			want: `Left (status active → terminated)`,
		},
		{
			name: "leave of absence",
			why:  Why{Trigger: "leave"},
			want: `Went on leave; no rule matched`,
		},
		{name: "nothing at all", want: "no rule matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.why.Summary(); got != tt.want {
				t.Errorf("Summary() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestWhyJSON(t *testing.T) {
	t.Parallel()
	r := Rule{ID: 1, Name: "Engineering", Enabled: true, Conditions: []Condition{eq("department", "Engineering")},
		Grants: []Grant{{AppID: 1, EntitlementID: 2}}, Leaver: LeaverTiming{Mode: LeaveAtDate, LocalTime: "17:00"}}
	p := Person{Attributes: map[string]string{"department": "Engineering", "termination_date": "2026-03-31"}}
	d := Resolve([]Rule{r}, p, Env{})
	_, timing := EffectiveAt(KindLeave, []Rule{r}, p, "Asia/Tokyo", "", time.Now())
	why := Why{Trigger: "left", Diff: DiffAttributes(Person{}, p), Matched: d.Matched, Timing: timing}
	b, err := json.Marshal(why)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"trigger", "diff", "matched", "timing"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON %s has no %q", b, k)
		}
	}
	var matched []map[string]any
	if err := json.Unmarshal(keys["matched"], &matched); err != nil {
		t.Fatal(err)
	}
	cond := matched[0]["evaluation"].(map[string]any)["conditions"].([]any)[0].(map[string]any)
	for _, k := range []string{"attribute", "operator", "value", "actual", "matched"} {
		if _, ok := cond[k]; !ok {
			t.Errorf("condition result %v has no %q", cond, k)
		}
	}
	var back Why
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, why) {
		t.Errorf("round trip changed the explanation:\n%+v\n%+v", back, why)
	}
}

func TestDiffAttributes(t *testing.T) {
	t.Parallel()
	old := Person{Attributes: map[string]string{"department": "Sales", "title": "Rep", "custom_badge": "B1", "phone": ""}, Groups: []string{"b", "a"}}
	tests := []struct {
		name string
		new  Person
		want []FieldChange
	}{
		{"same, groups in another order", Person{Attributes: map[string]string{"department": "Sales", "title": "Rep", "custom_badge": "B1"}, Groups: []string{"a", "b", "a"}}, nil},
		{
			"changed, added, removed, groups",
			Person{Attributes: map[string]string{"department": "Engineering", "title": "Rep", "location": "Berlin"}, Groups: []string{"a", "c"}},
			[]FieldChange{
				{Field: "custom_badge", Old: "B1", New: ""},
				{Field: "department", Old: "Sales", New: "Engineering"},
				{Field: "groups", Old: "a;b", New: "a;c"},
				{Field: "location", Old: "", New: "Berlin"},
			},
		},
		{
			"groups from the attribute map",
			Person{Attributes: map[string]string{"department": "Sales", "title": "Rep", "custom_badge": "B1", "groups": "a"}},
			[]FieldChange{{Field: "groups", Old: "a;b", New: "a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DiffAttributes(old, tt.new); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DiffAttributes = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
