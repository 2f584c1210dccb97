package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Why explains a change; it is stored as JSON on the change.
type Why struct {
	Trigger   string        `json:"trigger"` // the HR event: "joined", "changed", "left", "rehired", ...
	Diff      []FieldChange `json:"diff,omitempty"`
	Matched   []RuleMatch   `json:"matched,omitempty"`
	Conflicts []Conflict    `json:"conflicts,omitempty"`
	Timing    Timing        `json:"timing"`
}

// summaryDiffFields is how many changed fields Summary names before
// counting the rest.
const summaryDiffFields = 3

// Summary says in one English line why the change exists, e.g.
// `Joined; matched "Engineering Berlin" (department equals Engineering,
// location equals Berlin); spend_limit 500 from "Finance cards" (priority
// 20) over 300 from "Default cards" (priority 10)`.
func (w Why) Summary() string {
	var parts []string
	if s := w.triggerText(); s != "" {
		parts = append(parts, s)
	}
	switch {
	case len(w.Matched) > 0:
		parts = append(parts, "matched "+matchedText(w.Matched))
	case w.Trigger != "left" && w.Trigger != "removed":
		parts = append(parts, "no rule matched")
	}
	for _, c := range w.Conflicts {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// triggerText is the event, with what changed unless everything did.
func (w Why) triggerText() string {
	s := capitalise(w.Trigger)
	if w.Trigger == "leave" {
		s = "Went on leave"
	}
	if w.Trigger == "joined" || len(w.Diff) == 0 {
		return s
	}
	var fields []string
	for i, fc := range w.Diff {
		if i == summaryDiffFields {
			fields = append(fields, fmt.Sprintf("and %d more", len(w.Diff)-i))
			break
		}
		fields = append(fields, fmt.Sprintf("%s %s → %s", fc.Field, orEmpty(fc.Old), orEmpty(fc.New)))
	}
	return strings.TrimSpace(s + " (" + strings.Join(fields, ", ") + ")")
}

func matchedText(matched []RuleMatch) string {
	rules := make([]string, len(matched))
	for i, m := range matched {
		var held []string
		sep := ", "
		for _, c := range m.Evaluation.Conditions {
			if c.Matched {
				held = append(held, c.String())
			} else {
				sep = " or " // only an "any" rule matches with a condition that failed
			}
		}
		if len(m.Evaluation.Conditions) == 0 {
			held = []string{"everyone"}
		}
		rules[i] = fmt.Sprintf("%q (%s)", m.RuleName, strings.Join(held, sep))
	}
	return strings.Join(rules, ", ")
}

// String reads a settled conflict, e.g. `spend_limit 500 from "Finance
// cards" (priority 20) over 300 from "Default cards" (priority 10)`.
func (c Conflict) String() string {
	losers := make([]string, len(c.Losers))
	for i, l := range c.Losers {
		losers[i] = fmt.Sprintf("%s from %q (priority %d", l.Value, l.RuleName, l.Priority)
		if l.Priority == c.Winner.Priority {
			losers[i] += ", same priority: the rule created first wins"
		}
		losers[i] += ")"
	}
	return fmt.Sprintf("%s %s from %q (priority %d) over %s",
		c.Param, c.Winner.Value, c.Winner.RuleName, c.Winner.Priority, strings.Join(losers, " and "))
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return ""
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}
