package rules

import (
	"slices"
	"strings"
	"time"
)

// Compiled is a rule set prepared once for evaluating many people: the
// enabled rules ranked, and each condition's value folded, its list split
// and its date parsed ahead of time. Resolve on a Compiled gives exactly
// what Resolve on the rules gives (Resolve compiles and calls it); the
// planner compiles once per batch instead of once per person.
type Compiled struct {
	ranked []*Rule
	conds  [][]compiledCondition // by position in ranked
	most   int                   // the most conditions of any rule
	slots  int                   // attributes the conditions name (compiledCondition.slot)
}

// compiledCondition is one condition with what Condition.holds would
// work out from its value on every call already worked out.
type compiledCondition struct {
	c          Condition
	groups     bool   // the multi-valued attribute: left to Condition.holds
	attr, fold string // the attribute as written and as Value folds it
	want       string // fold(c.Value)
	items      []string
	today      bool // the value is "today": read env.Today at evaluation
	date       time.Time
	dateOK     bool
	slot       int // the attribute's place in a person's values
}

// values is what one Resolve has read of a person: each attribute the
// conditions name, folded and as a date, worked out at most once however
// many rules test it (fifty rules on a department fold it once).
type values []value

type value struct {
	folded, dated bool
	fold          string
	date          time.Time
	dateOK        bool
}

// Compile prepares rules for Resolve over many people. The rules must not
// change while the Compiled is in use.
func Compile(rules []Rule) *Compiled {
	c := &Compiled{ranked: ranked(rules)}
	c.conds = make([][]compiledCondition, len(c.ranked))
	slots := map[string]int{} // by the attribute as written, which is what holds looks up first
	for i, r := range c.ranked {
		c.conds[i] = make([]compiledCondition, len(r.Conditions))
		for j, cond := range r.Conditions {
			cc := compileCondition(cond)
			slot, ok := slots[cc.attr]
			if !ok {
				slot = len(slots)
				slots[cc.attr] = slot
			}
			cc.slot = slot
			c.conds[i][j] = cc
		}
		c.most = max(c.most, len(r.Conditions))
	}
	c.slots = len(slots)
	return c
}

func compileCondition(c Condition) compiledCondition {
	cc := compiledCondition{c: c, groups: isGroups(c.Attribute), attr: c.Attribute, fold: foldName(c.Attribute), want: fold(c.Value)}
	switch c.Operator {
	case In, NotIn:
		for item := range strings.SplitSeq(cc.want, ",") {
			if item = strings.TrimSpace(item); item != "" {
				cc.items = append(cc.items, item)
			}
		}
	case Before, After:
		if isToday(c.Value) {
			cc.today = true
		} else {
			cc.date, cc.dateOK = parseDate(c.Value)
		}
	}
	return cc
}

// matches is Matches for rule i of the ranked rules. It notes in held
// what each condition it looked at gave (held[:n], n returned), so that
// evaluate need not work those out again for a rule that matched.
func (c *Compiled) matches(i int, p Person, env Env, vals values, held []bool) (bool, int) {
	r, conds := c.ranked[i], c.conds[i]
	if len(conds) == 0 {
		return true, 0
	}
	for j := range conds {
		held[j] = conds[j].holds(p, env, vals)
		if r.Match == MatchAny && held[j] {
			return true, j + 1
		}
		if r.Match != MatchAny && !held[j] {
			return false, j + 1
		}
	}
	return r.Match != MatchAny, len(conds)
}

// holds is Condition.holds with the value's work done, and the person's
// value read through vals (nil: read here).
func (cc *compiledCondition) holds(p Person, env Env, vals values) bool {
	if cc.groups {
		return cc.c.holds(p, env)
	}
	var v value
	at := &v
	if vals != nil {
		at = &vals[cc.slot]
	}
	switch cc.c.Operator {
	case Before, After:
		if !at.dated {
			at.date, at.dateOK = parseDate(cc.actual(p))
			at.dated = true
		}
		a, ok := at.date, at.dateOK
		if !ok {
			return false
		}
		w, ok := cc.date, cc.dateOK
		if cc.today {
			w, ok = parseDate(env.Today)
		}
		if !ok {
			return false
		}
		if cc.c.Operator == Before {
			return a.Before(w)
		}
		return a.After(w)
	}
	if !at.folded {
		at.fold = fold(cc.actual(p))
		at.folded = true
	}
	a := at.fold
	switch cc.c.Operator {
	case Equals:
		return a == cc.want
	case NotEquals:
		return a != cc.want
	case In:
		return slices.Contains(cc.items, a)
	case NotIn:
		return !slices.Contains(cc.items, a)
	case Contains:
		return strings.Contains(a, cc.want)
	case StartsWith:
		return strings.HasPrefix(a, cc.want)
	case IsEmpty:
		return a == ""
	case IsNotEmpty:
		return a != ""
	}
	return false
}

// actual is the person's value of the condition's attribute, as written.
func (cc *compiledCondition) actual(p Person) string {
	if v, ok := p.Attributes[cc.attr]; ok {
		return v
	}
	return p.Attributes[cc.fold]
}

// evaluate is Evaluate for rule i of the ranked rules, with the compiled
// conditions; held[:known] are the verdicts matches already worked out.
func (c *Compiled) evaluate(i int, p Person, env Env, vals values, held []bool, known int) Evaluation {
	r, conds := c.ranked[i], c.conds[i]
	var ev Evaluation
	if len(conds) > 0 {
		ev.Conditions = make([]ConditionResult, len(conds))
	}
	n := 0
	for j := range conds {
		ok := j < known && held[j] || j >= known && conds[j].holds(p, env, vals)
		ev.Conditions[j] = ConditionResult{Condition: conds[j].c, Actual: p.Value(conds[j].attr), Matched: ok}
		if ok {
			n++
		}
	}
	switch {
	case len(conds) == 0:
		ev.Matched = true
	case r.Match == MatchAny:
		ev.Matched = n > 0
	default:
		ev.Matched = n == len(conds)
	}
	return ev
}
