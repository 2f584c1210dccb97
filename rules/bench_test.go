package rules

import (
	"fmt"
	"testing"
)

// fiftyRules are rules with three conditions each over a few attributes,
// about half of them matching benchPerson.
func fiftyRules() []Rule {
	departments := []string{"Engineering", "Sales", "Finance", "Support", "People"}
	rules := make([]Rule, 50)
	for i := range rules {
		rules[i] = Rule{
			ID: int64(i + 1), Name: fmt.Sprintf("Rule %d", i+1), Enabled: true, Priority: i % 7, Match: MatchAll,
			Conditions: []Condition{
				{Attribute: "department", Operator: In, Value: departments[i%5] + ", Engineering"},
				{Attribute: "location", Operator: NotEquals, Value: "Paris"},
				{Attribute: "start_date", Operator: Before, Value: "today"},
			},
			Grants: []Grant{{AppID: int64(i%10 + 1), EntitlementID: int64(i%20 + 1), Params: map[string]string{"limit": fmt.Sprint(i * 10)}}},
		}
	}
	return rules
}

var benchPerson = Person{
	Attributes: map[string]string{"department": "Engineering", "location": "Berlin", "start_date": "2026-01-05", "title": "Engineer"},
	Groups:     []string{"engineering", "berlin"},
}

func BenchmarkResolve50Rules(b *testing.B) {
	rules, env := fiftyRules(), Env{Today: "2026-03-15"}
	b.ReportAllocs()
	for b.Loop() {
		Resolve(rules, benchPerson, env)
	}
}

// BenchmarkCompiledResolve50Rules is how the planner resolves: the rules
// compiled once, then resolved for each person.
func BenchmarkCompiledResolve50Rules(b *testing.B) {
	compiled, env := Compile(fiftyRules()), Env{Today: "2026-03-15"}
	b.ReportAllocs()
	for b.Loop() {
		compiled.Resolve(benchPerson, env)
	}
}

// BenchmarkCompiledResolve50RulesFewMatch is the usual case: a person
// whom a few of the fifty rules match.
func BenchmarkCompiledResolve50RulesFewMatch(b *testing.B) {
	compiled, env := Compile(fiftyRules()), Env{Today: "2026-03-15"}
	sales := Person{Attributes: map[string]string{"department": "Sales", "location": "Paris", "start_date": "2026-01-05"}}
	b.ReportAllocs()
	for b.Loop() {
		compiled.Resolve(sales, env)
	}
}

// BenchmarkResolve50RulesFewMatch is the same person through Resolve,
// compiling on each call as Resolve did before there was Compile.
func BenchmarkResolve50RulesFewMatch(b *testing.B) {
	rules, env := fiftyRules(), Env{Today: "2026-03-15"}
	sales := Person{Attributes: map[string]string{"department": "Sales", "location": "Paris", "start_date": "2026-01-05"}}
	b.ReportAllocs()
	for b.Loop() {
		Resolve(rules, sales, env)
	}
}

func BenchmarkPlan(b *testing.B) {
	desired := Resolve(fiftyRules(), benchPerson, Env{Today: "2026-03-15"})
	var held []ActualGrant
	for i, g := range desired.Grants {
		if i%3 == 0 {
			continue // missing: a grant
		}
		p := g.Params
		if i%3 == 1 {
			p = map[string]string{"limit": "1"} // different: an update
		}
		held = append(held, ActualGrant{AppID: g.AppID, EntitlementID: g.EntitlementID, Params: p})
	}
	held = append(held, ActualGrant{AppID: 99, EntitlementID: 1}) // no longer desired: a revoke
	accounts := []ActualAccount{{AppID: 1, Status: AccountActive}, {AppID: 2, Status: AccountDisabled}, {AppID: 99, Status: AccountActive}}
	b.ReportAllocs()
	for b.Loop() {
		Plan(KindMove, desired, accounts, held, nil)
	}
}
