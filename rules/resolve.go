package rules

import (
	"cmp"
	"slices"
)

// RuleMatch is a rule that matched a person, with the evaluation that
// shows on which values.
type RuleMatch struct {
	RuleID     int64      `json:"rule_id"`
	RuleName   string     `json:"rule_name"`
	Priority   int        `json:"priority"`
	Evaluation Evaluation `json:"evaluation"`
}

// DesiredGrant is one entitlement the person should have, merged over
// every rule that grants it.
type DesiredGrant struct {
	AppID         int64             `json:"app_id"`
	EntitlementID int64             `json:"entitlement_id"`
	Params        map[string]string `json:"params,omitempty"`
	Rules         []int64           `json:"rules"` // every rule that grants it, highest priority first
}

// RuleValue is the value one rule gives a parameter.
type RuleValue struct {
	RuleID   int64  `json:"rule_id"`
	RuleName string `json:"rule_name"`
	Priority int    `json:"priority"`
	Value    string `json:"value"`
}

// Conflict is a parameter that matching rules set to different values,
// and which rule won.
type Conflict struct {
	AppID         int64       `json:"app_id"`
	EntitlementID int64       `json:"entitlement_id"`
	Param         string      `json:"param"`
	Winner        RuleValue   `json:"winner"`
	Losers        []RuleValue `json:"losers"` // highest priority first
}

// Desired is the access a person should have, and why.
type Desired struct {
	Grants    []DesiredGrant `json:"grants,omitempty"`    // sorted by AppID, EntitlementID
	Matched   []RuleMatch    `json:"matched,omitempty"`   // highest priority first
	Conflicts []Conflict     `json:"conflicts,omitempty"` // sorted by AppID, EntitlementID, Param
}

// Resolve computes the union of the grants of every enabled rule that
// matches p. The same entitlement from several rules is one grant; each
// parameter takes the value of the highest-priority rule that sets it
// (equal priority: the lower rule ID), and only parameters set to
// different values are conflicts. Disabled rules are ignored.
func Resolve(rules []Rule, p Person, env Env) Desired { return Compile(rules).Resolve(p, env) }

// Resolve is Resolve over the compiled rules. Only the rules that match
// are evaluated in full, for their explanation.
func (c *Compiled) Resolve(p Person, env Env) Desired {
	var d Desired
	var index map[grantKey]int           // position in d.Grants
	var winners map[paramKey]RuleValue   // first (highest-ranked) setter
	var conflicts map[paramKey]*Conflict // parameters set differently
	var scratch [16]bool                 // conditions' verdicts, on the stack for most rules
	held := scratch[:]
	if c.most > len(scratch) {
		held = make([]bool, c.most)
	}
	var read [16]value // the person's values, on the stack for most rule sets
	vals := values(read[:])
	if c.slots > len(read) {
		vals = make(values, c.slots)
	}
	for i, r := range c.ranked {
		matched, known := c.matches(i, p, env, vals, held)
		if !matched {
			continue
		}
		if index == nil {
			index, winners, conflicts = map[grantKey]int{}, map[paramKey]RuleValue{}, map[paramKey]*Conflict{}
		}
		ev := c.evaluate(i, p, env, vals, held, known)
		d.Matched = append(d.Matched, RuleMatch{RuleID: r.ID, RuleName: r.Name, Priority: r.Priority, Evaluation: ev})
		for _, g := range r.Grants {
			k := grantKey{g.AppID, g.EntitlementID}
			i, ok := index[k]
			if !ok {
				i = len(d.Grants)
				index[k] = i
				d.Grants = append(d.Grants, DesiredGrant{AppID: g.AppID, EntitlementID: g.EntitlementID})
			}
			dg := &d.Grants[i]
			if !slices.Contains(dg.Rules, r.ID) {
				dg.Rules = append(dg.Rules, r.ID)
			}
			for name, value := range g.Params { // order is irrelevant: parameters are independent
				rv := RuleValue{RuleID: r.ID, RuleName: r.Name, Priority: r.Priority, Value: value}
				pk := paramKey{k, name}
				win, set := winners[pk]
				switch {
				case !set:
					winners[pk] = rv
					if dg.Params == nil {
						dg.Params = map[string]string{}
					}
					dg.Params[name] = rv.Value
				case win.Value != rv.Value:
					c := conflicts[pk]
					if c == nil {
						c = &Conflict{AppID: k.app, EntitlementID: k.entitlement, Param: name, Winner: win}
						conflicts[pk] = c
					}
					c.Losers = append(c.Losers, rv)
				}
			}
		}
	}
	slices.SortFunc(d.Grants, func(a, b DesiredGrant) int {
		return cmp.Or(cmp.Compare(a.AppID, b.AppID), cmp.Compare(a.EntitlementID, b.EntitlementID))
	})
	for _, c := range conflicts {
		d.Conflicts = append(d.Conflicts, *c)
	}
	slices.SortFunc(d.Conflicts, func(a, b Conflict) int {
		return cmp.Or(cmp.Compare(a.AppID, b.AppID), cmp.Compare(a.EntitlementID, b.EntitlementID), cmp.Compare(a.Param, b.Param))
	})
	return d
}

// paramKey identifies one parameter of one entitlement.
type paramKey struct {
	grant grantKey
	name  string
}

// ranked returns the enabled rules, highest priority first, then lowest
// ID, as pointers into rules (rules are large; the caller must not change
// them).
func ranked(rules []Rule) []*Rule {
	out := make([]*Rule, 0, len(rules))
	for i := range rules {
		if rules[i].Enabled {
			out = append(out, &rules[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *Rule) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(a.ID, b.ID))
	})
	return out
}
