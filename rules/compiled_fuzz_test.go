package rules

import (
	"reflect"
	"testing"
)

// FuzzCompiledResolve checks that a compiled rule set, whose conditions
// share what they read of a person (an attribute folded or read as a date
// once for every rule that tests it), matches and explains exactly as
// Evaluate does rule by rule: several rules and conditions on the same
// attributes, with every operator, including an attribute named in two
// cases.
func FuzzCompiledResolve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "Engineering", "2026-01-05", "Berlin")
	f.Add([]byte{9, 9, 8, 8, 0, 0, 1, 1}, " sales ", "2026-02-30", "")
	f.Add([]byte{3, 250, 17, 99, 42, 7}, "ENGINEERING", "today", "berlin, paris")
	operators := []Operator{Equals, NotEquals, In, NotIn, Contains, StartsWith, IsEmpty, IsNotEmpty, Before, After}
	attributes := []string{"department", "Department", "start_date", "location", "groups"}
	values := []string{"engineering", "Engineering, Sales", "eng", "2026-01-01", "2026-03-15", "today", "berlin", ""}
	f.Fuzz(func(t *testing.T, program []byte, department, date, location string) {
		p := Person{Attributes: map[string]string{"department": department, "start_date": date, "location": location,
			"Department": location}, Groups: []string{"eng", department}}
		env := Env{Today: "2026-03-15"}
		var rules []Rule
		for len(program) >= 3 && len(rules) < 12 {
			r := Rule{ID: int64(len(rules) + 1), Name: "r", Enabled: true, Priority: int(program[0] % 3), Match: MatchAll}
			if program[0]%2 == 1 {
				r.Match = MatchAny
			}
			n := int(program[1]%4) + 1
			program = program[2:]
			for range n {
				if len(program) < 3 {
					break
				}
				r.Conditions = append(r.Conditions, Condition{Attribute: attributes[int(program[0])%len(attributes)],
					Operator: operators[int(program[1])%len(operators)], Value: values[int(program[2])%len(values)]})
				program = program[3:]
			}
			rules = append(rules, r)
		}
		d := Compile(rules).Resolve(p, env)
		var want []RuleMatch
		for _, r := range ranked(rules) {
			if ev := Evaluate(*r, p, env); ev.Matched {
				want = append(want, RuleMatch{RuleID: r.ID, RuleName: r.Name, Priority: r.Priority, Evaluation: ev})
			}
		}
		if !reflect.DeepEqual(d.Matched, want) {
			t.Fatalf("compiled matches %+v, Evaluate %+v, for rules %+v", d.Matched, want, rules)
		}
	})
}
