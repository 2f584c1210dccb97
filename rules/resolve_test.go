package rules

import (
	"reflect"
	"strings"
	"testing"
)

func rule(id int64, name string, prio int, conds []Condition, grants ...Grant) Rule {
	return Rule{ID: id, Name: name, Enabled: true, Priority: prio, Match: MatchAll, Conditions: conds, Grants: grants}
}

func eq(attr, val string) Condition { return Condition{Attribute: attr, Operator: Equals, Value: val} }

func params(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestResolve(t *testing.T) {
	t.Parallel()
	eng := Person{Attributes: map[string]string{"department": "Engineering", "location": "Berlin"}}
	everyone := rule(1, "Everyone", 0, nil, Grant{AppID: 1, EntitlementID: 10})
	engBerlin := rule(2, "Engineering Berlin", 5, []Condition{eq("department", "Engineering"), eq("location", "Berlin")},
		Grant{AppID: 2, EntitlementID: 20}, Grant{AppID: 1, EntitlementID: 10})
	sales := rule(3, "Sales", 50, []Condition{eq("department", "Sales")}, Grant{AppID: 3, EntitlementID: 30})
	disabled := rule(4, "Disabled", 99, nil, Grant{AppID: 4, EntitlementID: 40})
	disabled.Enabled = false
	financeCards := rule(5, "Finance cards", 20, nil, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "500", "currency", "EUR")})
	defaultCards := rule(6, "Default cards", 10, nil, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "300", "currency", "EUR", "mcc", "travel")})
	lowCards := rule(7, "Low cards", 5, nil, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "100")})
	tieA := rule(8, "Tie A", 10, nil, Grant{AppID: 9, EntitlementID: 91, Params: params("region", "eu")})
	tieB := rule(9, "Tie B", 10, nil, Grant{AppID: 9, EntitlementID: 91, Params: params("region", "us")})
	twoConflicts := rule(10, "Two conflicts", 1, nil, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "1", "currency", "USD")})

	tests := []struct {
		name      string
		rules     []Rule
		grants    []DesiredGrant
		matched   []int64
		conflicts []Conflict
	}{
		{name: "no rules"},
		{
			name:    "union, deduplicated, sorted, rules by priority",
			rules:   []Rule{everyone, engBerlin, sales},
			grants:  []DesiredGrant{{AppID: 1, EntitlementID: 10, Rules: []int64{2, 1}}, {AppID: 2, EntitlementID: 20, Rules: []int64{2}}},
			matched: []int64{2, 1},
		},
		{
			name:    "disabled rules are ignored",
			rules:   []Rule{disabled, everyone},
			grants:  []DesiredGrant{{AppID: 1, EntitlementID: 10, Rules: []int64{1}}},
			matched: []int64{1},
		},
		{
			name:    "higher priority wins a parameter, same values are no conflict",
			rules:   []Rule{lowCards, defaultCards, financeCards},
			grants:  []DesiredGrant{{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "500", "currency", "EUR", "mcc", "travel"), Rules: []int64{5, 6, 7}}},
			matched: []int64{5, 6, 7},
			conflicts: []Conflict{{AppID: 9, EntitlementID: 90, Param: "spend_limit",
				Winner: RuleValue{RuleID: 5, RuleName: "Finance cards", Priority: 20, Value: "500"},
				Losers: []RuleValue{{RuleID: 6, RuleName: "Default cards", Priority: 10, Value: "300"}, {RuleID: 7, RuleName: "Low cards", Priority: 5, Value: "100"}},
			}},
		},
		{
			name:    "conflicts sorted by parameter",
			rules:   []Rule{twoConflicts, financeCards},
			grants:  []DesiredGrant{{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "500", "currency", "EUR"), Rules: []int64{5, 10}}},
			matched: []int64{5, 10},
			conflicts: []Conflict{
				{AppID: 9, EntitlementID: 90, Param: "currency",
					Winner: RuleValue{RuleID: 5, RuleName: "Finance cards", Priority: 20, Value: "EUR"},
					Losers: []RuleValue{{RuleID: 10, RuleName: "Two conflicts", Priority: 1, Value: "USD"}}},
				{AppID: 9, EntitlementID: 90, Param: "spend_limit",
					Winner: RuleValue{RuleID: 5, RuleName: "Finance cards", Priority: 20, Value: "500"},
					Losers: []RuleValue{{RuleID: 10, RuleName: "Two conflicts", Priority: 1, Value: "1"}}},
			},
		},
		{
			name:    "equal priority: the lower id wins, whatever the order",
			rules:   []Rule{tieB, tieA},
			grants:  []DesiredGrant{{AppID: 9, EntitlementID: 91, Params: params("region", "eu"), Rules: []int64{8, 9}}},
			matched: []int64{8, 9},
			conflicts: []Conflict{{AppID: 9, EntitlementID: 91, Param: "region",
				Winner: RuleValue{RuleID: 8, RuleName: "Tie A", Priority: 10, Value: "eu"},
				Losers: []RuleValue{{RuleID: 9, RuleName: "Tie B", Priority: 10, Value: "us"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Resolve(tt.rules, eng, Env{})
			if !reflect.DeepEqual(d.Grants, tt.grants) {
				t.Errorf("grants = %+v\nwant     %+v", d.Grants, tt.grants)
			}
			var matched []int64
			for _, m := range d.Matched {
				matched = append(matched, m.RuleID)
				if !m.Evaluation.Matched {
					t.Errorf("rule %d listed as matched but its evaluation did not match", m.RuleID)
				}
			}
			if !reflect.DeepEqual(matched, tt.matched) {
				t.Errorf("matched = %v, want %v", matched, tt.matched)
			}
			if !reflect.DeepEqual(d.Conflicts, tt.conflicts) {
				t.Errorf("conflicts = %+v\nwant        %+v", d.Conflicts, tt.conflicts)
			}
		})
	}
}

func TestResolveConflictExplained(t *testing.T) {
	t.Parallel()
	rules := []Rule{
		rule(6, "Default cards", 10, nil, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "300")}),
		rule(5, "Finance cards", 20, []Condition{eq("department", "Finance")}, Grant{AppID: 9, EntitlementID: 90, Params: params("spend_limit", "500")}),
	}
	d := Resolve(rules, Person{Attributes: map[string]string{"department": "finance"}}, Env{})
	summary := Why{Trigger: "changed", Matched: d.Matched, Conflicts: d.Conflicts}.Summary()
	for _, want := range []string{`spend_limit 500 from "Finance cards" (priority 20) over 300 from "Default cards" (priority 10)`} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q does not say %q", summary, want)
		}
	}
}

func TestResolveDoesNotAliasRuleParams(t *testing.T) {
	t.Parallel()
	r := rule(1, "R", 0, nil, Grant{AppID: 1, EntitlementID: 1, Params: params("a", "1")})
	d := Resolve([]Rule{r}, Person{}, Env{})
	d.Grants[0].Params["a"] = "changed"
	if r.Grants[0].Params["a"] != "1" {
		t.Error("changing the desired params changed the rule")
	}
}
