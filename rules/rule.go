package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Match says whether all or any of a rule's conditions must hold.
type Match string

// Match modes; "" means MatchAll.
const (
	MatchAll Match = "all" // every condition holds
	MatchAny Match = "any" // at least one condition holds
)

// Grant is one entitlement of one app that a rule gives, with the
// parameters it sets (e.g. a card's spend_limit).
type Grant struct {
	AppID         int64             `json:"app_id"`
	EntitlementID int64             `json:"entitlement_id"`
	Params        map[string]string `json:"params,omitempty"`
}

// JoinerTiming says when a joiner's access takes effect.
type JoinerTiming struct {
	OffsetDays int    `json:"offset_days"`          // days from the start date; negative = before it
	LocalTime  string `json:"local_time,omitempty"` // "HH:MM" in the person's zone; "" = DefaultJoinerTime
}

// LeaverMode says when a leaver's access goes.
type LeaverMode string

// Leaver modes; "" means LeaveAtDate.
const (
	LeaveAtDate      LeaverMode = "at_date"     // on the termination date at LocalTime
	LeaveImmediately LeaverMode = "immediately" // as soon as the change is approved
	LeaveDaysAfter   LeaverMode = "days_after"  // Days after the termination date at LocalTime
)

// LeaverTiming says when a leaver's access is removed.
type LeaverTiming struct {
	Mode      LeaverMode `json:"mode,omitempty"`
	Days      int        `json:"days,omitempty"`       // for LeaveDaysAfter; 0 or more
	LocalTime string     `json:"local_time,omitempty"` // "HH:MM" in the person's zone; "" = DefaultLeaverTime
}

// Default wall times when a rule leaves LocalTime empty.
const (
	DefaultJoinerTime = "09:00" // joiners: the start of a working day
	DefaultLeaverTime = "17:00" // leavers: the end of the last working day
)

// MaxTimingDays bounds joiner offsets and leaver days: ten years catches
// typos and keeps date arithmetic far from overflow.
const MaxTimingDays = 3650

// MaxPriority bounds a rule's priority either way: a million levels is
// more than any catalogue needs, and the value fits every database's
// integer column.
const MaxPriority = 1_000_000

// Approval says whether a rule's changes wait for an admin.
type Approval string

// Approval modes; "" means ApprovalReview.
const (
	ApprovalReview Approval = "review" // an admin approves in Team Updates
	ApprovalAuto   Approval = "auto"   // approved as soon as planned
)

// Rule grants access to the people who match its conditions.
type Rule struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	Enabled    bool         `json:"enabled"`
	Priority   int          `json:"priority"` // higher wins a parameter conflict
	Match      Match        `json:"match"`
	Conditions []Condition  `json:"conditions"` // none: matches everyone
	Grants     []Grant      `json:"grants"`
	Joiner     JoinerTiming `json:"joiner"`
	Leaver     LeaverTiming `json:"leaver"`
	Approval   Approval     `json:"approval"`
}

// MarkAuto sets each step's Auto: whether it may run without review. A
// step that gives access (an account, a grant, an update) is auto when
// every rule behind it is auto-approve; one that takes access away (a
// revoke, a disable, a delete) only when the rules that granted that
// access are known and every one of them is auto-approve. Rules are
// looked up in byID (disabled ones count by their approval); a step with
// no known rule needs review.
func MarkAuto(steps []Step, byID map[int64]Rule) {
	for i := range steps {
		steps[i].Auto = stepAuto(steps[i], byID)
	}
}

func stepAuto(st Step, byID map[int64]Rule) bool {
	if len(st.Rules) == 0 {
		return false
	}
	for _, id := range st.Rules {
		r, ok := byID[id]
		if !ok || r.Approval != ApprovalAuto {
			return false
		}
	}
	return true
}

// AllAuto reports whether a plan may run without review: it has steps
// and every one is Auto. A change that mixes auto and review steps waits
// for review as a whole.
func AllAuto(steps []Step) bool {
	for _, st := range steps {
		if !st.Auto {
			return false
		}
	}
	return len(steps) > 0
}

// FieldError is one problem Validate found, with the form field it belongs
// to, so a form can show the message next to the field.
type FieldError struct {
	Field   string // e.g. "name", "conditions.0.operator", "grants.1.app_id", "leaver.days"
	Message string // English, naming the item 1-based: "condition 1: unknown operator \"foo\""
}

// Error returns the message.
func (e *FieldError) Error() string { return e.Message }

// FieldErrors unpacks Validate's error into its problems, in order.
func FieldErrors(err error) []*FieldError {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var out []*FieldError
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, fe)
		}
	}
	return out
}

// Validate returns nil for a usable rule, or a joined error of *FieldError
// listing every problem.
func (r Rule) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Name) == "" {
		add("name", "name is empty")
	}
	if r.Match != "" && r.Match != MatchAll && r.Match != MatchAny {
		add("match", "unknown match %q (want all or any)", r.Match)
	}
	for i, c := range r.Conditions {
		validateCondition(i, c, add)
	}
	validateGrants(r.Grants, add)
	if r.Priority < -MaxPriority || r.Priority > MaxPriority {
		add("priority", "priority must be from %d to %d, got %d", -MaxPriority, MaxPriority, r.Priority)
	}
	if r.Joiner.OffsetDays < -MaxTimingDays || r.Joiner.OffsetDays > MaxTimingDays {
		add("joiner.offset_days", "joiner offset must be within %d days of the start date, got %d", MaxTimingDays, r.Joiner.OffsetDays)
	}
	if r.Joiner.LocalTime != "" && !validClock(r.Joiner.LocalTime) {
		add("joiner.local_time", "joiner time %q is not HH:MM", r.Joiner.LocalTime)
	}
	switch r.Leaver.Mode {
	case "", LeaveAtDate, LeaveImmediately:
	case LeaveDaysAfter:
		if r.Leaver.Days < 0 || r.Leaver.Days > MaxTimingDays {
			add("leaver.days", "leaver days after the termination date must be 0 to %d, got %d", MaxTimingDays, r.Leaver.Days)
		}
	default:
		add("leaver.mode", "unknown leaver mode %q (want at_date, immediately or days_after)", r.Leaver.Mode)
	}
	if r.Leaver.LocalTime != "" && !validClock(r.Leaver.LocalTime) {
		add("leaver.local_time", "leaver time %q is not HH:MM", r.Leaver.LocalTime)
	}
	if r.Approval != "" && r.Approval != ApprovalReview && r.Approval != ApprovalAuto {
		add("approval", "unknown approval %q (want review or auto)", r.Approval)
	}
	return errors.Join(errs...)
}

func validateCondition(i int, c Condition, add func(field, format string, args ...any)) {
	field := fmt.Sprintf("conditions.%d.", i)
	n := i + 1
	if strings.TrimSpace(c.Attribute) == "" {
		add(field+"attribute", "condition %d: attribute is empty", n)
	}
	switch c.Operator {
	case Before, After:
		if _, ok := parseDate(c.Value); !ok && !isToday(c.Value) {
			add(field+"value", "condition %d: %q needs a date (YYYY-MM-DD) or \"today\", got %q", n, c.Operator.Label(), c.Value)
		}
	case In, NotIn:
		if listItems(c.Value) == 0 {
			add(field+"value", "condition %d: %q needs a comma-separated list of values", n, c.Operator.Label())
		}
	case Contains, StartsWith:
		if strings.TrimSpace(c.Value) == "" {
			add(field+"value", "condition %d: %q needs a value", n, c.Operator.Label())
		}
	case Equals, NotEquals, IsEmpty, IsNotEmpty:
	default:
		add(field+"operator", "condition %d: unknown operator %q", n, c.Operator)
	}
}

func validateGrants(grants []Grant, add func(field, format string, args ...any)) {
	if len(grants) == 0 {
		add("grants", "no grants: a rule must grant at least one entitlement")
	}
	first := map[grantKey]int{}
	for i, g := range grants {
		field := fmt.Sprintf("grants.%d.", i)
		n := i + 1
		if g.AppID <= 0 {
			add(field+"app_id", "grant %d: no app", n)
		}
		if g.EntitlementID <= 0 {
			add(field+"entitlement_id", "grant %d: no entitlement", n)
		}
		k := grantKey{g.AppID, g.EntitlementID}
		if j, dup := first[k]; dup && g.AppID > 0 && g.EntitlementID > 0 {
			add(field+"entitlement_id", "grant %d: same app and entitlement as grant %d", n, j+1)
		} else if !dup {
			first[k] = i
		}
		for name := range g.Params {
			if strings.TrimSpace(name) == "" {
				add(field+"params", "grant %d: a parameter has no name", n)
				break
			}
		}
	}
}

// grantKey identifies an entitlement of an app.
type grantKey struct{ app, entitlement int64 }

// parseClock reads "HH:MM" (00:00 to 23:59).
func parseClock(s string) (hour, minute int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	digits := [4]byte{s[0], s[1], s[3], s[4]}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, 0, false
		}
	}
	hour = int(s[0]-'0')*10 + int(s[1]-'0')
	minute = int(s[3]-'0')*10 + int(s[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

func validClock(s string) bool { _, _, ok := parseClock(s); return ok }
