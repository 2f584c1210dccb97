package rules

import "strings"

// Evaluation is a rule's verdict on a person, condition by condition.
type Evaluation struct {
	Matched    bool              `json:"matched"`
	Conditions []ConditionResult `json:"conditions,omitempty"`
}

// ConditionResult is one condition, the person's actual value and whether
// the condition held.
type ConditionResult struct {
	Condition
	Actual  string `json:"actual"`
	Matched bool   `json:"matched"`
}

// String reads the result for an explanation: the condition, then the
// actual value in brackets when it says more than the condition does,
// e.g. `title contains engineer [Senior Engineer]`.
func (c ConditionResult) String() string {
	s := c.Condition.String()
	if c.Operator != IsEmpty && strings.TrimSpace(c.Actual) != strings.TrimSpace(c.Value) {
		s += " [" + c.Actual + "]"
	}
	return s
}

// Evaluate says whether r's conditions hold for p, and why, condition by
// condition with the person's actual value. Every condition is evaluated,
// so the explanation is complete. A rule without conditions matches
// everyone, whatever its Match. Evaluate ignores Enabled: Resolve skips
// disabled rules, and the rule editor can preview them.
func Evaluate(r Rule, p Person, env Env) Evaluation {
	var ev Evaluation
	if len(r.Conditions) > 0 {
		ev.Conditions = make([]ConditionResult, len(r.Conditions))
	}
	held := 0
	for i, c := range r.Conditions {
		ok := c.holds(p, env)
		ev.Conditions[i] = ConditionResult{Condition: c, Actual: p.Value(c.Attribute), Matched: ok}
		if ok {
			held++
		}
	}
	switch {
	case len(r.Conditions) == 0:
		ev.Matched = true
	case r.Match == MatchAny:
		ev.Matched = held > 0
	default: // MatchAll, "" and anything Validate would reject
		ev.Matched = held == len(r.Conditions)
	}
	return ev
}
