package rules

import (
	"strings"
	"time"
)

// Operator compares a person's attribute with a condition's value.
type Operator string

// The operators, in the order the rule editor lists them.
const (
	Equals     Operator = "equals"       // the attribute equals the value
	NotEquals  Operator = "not_equals"   // the attribute differs from the value
	In         Operator = "in"           // the attribute is one of a comma-separated list
	NotIn      Operator = "not_in"       // the attribute is none of a comma-separated list
	Contains   Operator = "contains"     // the attribute contains the value
	StartsWith Operator = "starts_with"  // the attribute starts with the value
	IsEmpty    Operator = "is_empty"     // the attribute is blank
	IsNotEmpty Operator = "is_not_empty" // the attribute is not blank
	Before     Operator = "before"       // the attribute is a date before the value's date
	After      Operator = "after"        // the attribute is a date after the value's date
)

// Operators returns every operator in the order the rule editor lists them.
func Operators() []Operator {
	return []Operator{Equals, NotEquals, In, NotIn, Contains, StartsWith, IsEmpty, IsNotEmpty, Before, After}
}

// Label is the operator as people read it, e.g. "is one of".
func (o Operator) Label() string {
	switch o {
	case Equals:
		return "equals"
	case NotEquals:
		return "is not"
	case In:
		return "is one of"
	case NotIn:
		return "is not one of"
	case Contains:
		return "contains"
	case StartsWith:
		return "starts with"
	case IsEmpty:
		return "is empty"
	case IsNotEmpty:
		return "is not empty"
	case Before:
		return "is before"
	case After:
		return "is after"
	}
	return string(o)
}

// Valid reports whether o is one of Operators.
func (o Operator) Valid() bool {
	switch o {
	case Equals, NotEquals, In, NotIn, Contains, StartsWith, IsEmpty, IsNotEmpty, Before, After:
		return true
	}
	return false
}

// TakesValue reports whether a condition with this operator needs a value;
// is_empty and is_not_empty do not.
func (o Operator) TakesValue() bool { return o != IsEmpty && o != IsNotEmpty }

// Condition tests one attribute of a person.
type Condition struct {
	Attribute string   `json:"attribute"`
	Operator  Operator `json:"operator"`
	Value     string   `json:"value,omitempty"`
}

// String reads the condition as the rule editor shows it, e.g.
// "department equals Engineering".
func (c Condition) String() string {
	s := c.Attribute + " " + c.Operator.Label()
	if c.Operator.TakesValue() {
		s += " " + c.Value
	}
	return s
}

// Env is what conditions need besides the person.
type Env struct {
	// Today is the date "today" stands for, YYYY-MM-DD in the
	// organisation's time zone. Empty or invalid: "today" matches nothing.
	Today string
}

// holds reports whether the condition holds for p.
func (c Condition) holds(p Person, env Env) bool {
	if isGroups(c.Attribute) {
		return groupsHold(c.Operator, p.groups(), c.Value, env)
	}
	return valueHolds(c.Operator, p.Value(c.Attribute), c.Value, env)
}

// valueHolds applies op to one attribute value.
func valueHolds(op Operator, actual, want string, env Env) bool {
	a, w := fold(actual), fold(want)
	switch op {
	case Equals:
		return a == w
	case NotEquals:
		return a != w
	case In:
		return inList(a, w)
	case NotIn:
		return !inList(a, w)
	case Contains:
		return strings.Contains(a, w)
	case StartsWith:
		return strings.HasPrefix(a, w)
	case IsEmpty:
		return a == ""
	case IsNotEmpty:
		return a != ""
	case Before, After:
		return datesCompare(op, actual, want, env)
	}
	return false
}

// groupsHold applies op to the multi-valued groups attribute: positive
// operators hold when some group satisfies them, negations when none does.
func groupsHold(op Operator, groups []string, want string, env Env) bool {
	switch op {
	case NotEquals:
		return !groupsHold(Equals, groups, want, env)
	case NotIn:
		return !groupsHold(In, groups, want, env)
	case IsEmpty:
		return len(groups) == 0
	case IsNotEmpty:
		return len(groups) > 0
	}
	for _, g := range groups {
		if valueHolds(op, g, want, env) {
			return true
		}
	}
	return false
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// inList reports whether a is in the comma-separated list; both folded.
// Blank items are ignored, so an empty list holds nothing.
func inList(a, list string) bool {
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" && item == a {
			return true
		}
	}
	return false
}

func listItems(list string) int {
	n := 0
	for item := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(item) != "" {
			n++
		}
	}
	return n
}

// datesCompare is before/after; false unless both sides are dates.
func datesCompare(op Operator, actual, want string, env Env) bool {
	a, ok := parseDate(actual)
	if !ok {
		return false
	}
	w, ok := dateValue(want, env)
	if !ok {
		return false
	}
	if op == Before {
		return a.Before(w)
	}
	return a.After(w)
}

func isToday(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "today") }

// dateValue reads a condition's date: YYYY-MM-DD or "today".
func dateValue(s string, env Env) (time.Time, bool) {
	if isToday(s) {
		return parseDate(env.Today)
	}
	return parseDate(s)
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, ok := parseDateOnly(s); ok {
		return t, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// parseDateOnly reads the usual "2006-01-02" without time.Parse's cost
// (it ran for every date condition of every person): what it accepts,
// time.Parse(time.DateOnly) accepts as the same instant; anything else
// is left to time.Parse.
func parseDateOnly(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	num := func(part string) (int, bool) {
		n := 0
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
			n = n*10 + int(part[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // past the month's end: time.Parse refuses it
		return time.Time{}, false
	}
	return t, true
}
