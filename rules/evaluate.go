package rules

import (
	"slices"
	"strings"
)

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

// Matches is Evaluate's verdict without the explanation, for counting
// many people: it stops at the first condition that decides and keeps no
// per-condition results.
func Matches(r Rule, p Person, env Env) bool {
	if len(r.Conditions) == 0 {
		return true
	}
	for _, c := range r.Conditions {
		held := c.holds(p, env)
		if r.Match == MatchAny && held {
			return true
		}
		if r.Match != MatchAny && !held {
			return false
		}
	}
	return r.Match != MatchAny
}

// AttributeKeys are the keys of Person.Attributes that evaluating r may
// read (each condition's attribute as written and as Value folds it), so
// a caller can give the engine a person holding only those.
func AttributeKeys(r Rule) []string {
	var keys []string
	for _, c := range r.Conditions {
		for _, k := range []string{c.Attribute, foldName(c.Attribute)} {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Canonical returns r with its condition values as the engine compares
// them (Value), so that evaluating it over many people does not redo that
// work for each: Matches(Canonical(r), p, env) == Matches(r, p, env).
func Canonical(r Rule) Rule {
	conds := make([]Condition, len(r.Conditions))
	for i, c := range r.Conditions {
		c.Value = Value(c.Value)
		conds[i] = c
	}
	r.Conditions = conds
	return r
}

// Value is an attribute value as conditions compare it: trimmed and
// lower-case. A person whose attributes and groups are already Value'd
// gets the same verdicts, and the engine allocates nothing to read them.
func Value(s string) string { return fold(s) }
