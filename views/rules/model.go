// Package rules renders the Rules pages: the list, the htmx rule builder
// with its live preview, the impact review before a save, and the
// confirmation before enabling, disabling or deleting a rule.
package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Choices are what the builder's selects offer.
type Choices struct {
	Attributes       []string // standard person attributes
	CustomAttributes []string // custom attributes present on people
	Operators        []Option
	Apps             []Option // value is the app id
}

// ConditionRow is one condition row of the builder. Index is the row's
// number in the form's field names (conditions.<Index>.attribute); it only
// grows, so removing a row never renames another.
type ConditionRow struct {
	Index       int
	Attribute   string
	Operator    string
	Value       string
	TakesValue  bool   // false for is empty / is not empty: no value input
	Placeholder string // what the value input expects
	Errors      map[string]string
}

// ParamInput is one parameter input of a grant row.
type ParamInput struct {
	Name     string
	Label    string
	Type     string // text, number or bool
	Required bool
	Value    string
	Error    string
}

// GrantRow is one grant row of the builder (grants.<Index>.app_id, ...).
type GrantRow struct {
	Index         int
	AppID         string
	EntitlementID string
	Entitlements  []Option // the chosen app's catalogue
	Params        []ParamInput
	Errors        map[string]string // app_id, entitlement_id
}

// Form is the rule as the builder shows it, with the admin's input as
// typed and a message per invalid field.
type Form struct {
	ID              int64 // 0 for a new rule
	Version         int
	Name            string
	Description     string
	Priority        string
	Enabled         bool
	Match           string // all or any
	Conditions      []ConditionRow
	Grants          []GrantRow
	NextCondition   int // index of the next condition row added
	NextGrant       int
	JoinerDays      string
	JoinerDirection string // after or before the start date
	JoinerTime      string
	LeaverMode      string
	LeaverDays      string
	LeaverTime      string
	Approval        string
	// Errors holds messages for the rule's own fields: name, description,
	// priority, match, conditions, grants, joiner, leaver, approval, and
	// form for the whole form.
	Errors map[string]string
}

// Preview is the live "who does this match" panel.
type Preview struct {
	Count    int
	Names    []string // the first few
	Ignored  int      // incomplete conditions left out
	Everyone bool     // no complete condition: the rule matches everyone
	Error    string
}

// More is how many matching people the preview does not name.
func (p Preview) More() int { return max(p.Count-len(p.Names), 0) }

// Builder is the rule builder page.
type Builder struct {
	Form    Form
	Choices Choices
	Preview Preview
	CanEdit bool // admins: the form can be reviewed and saved
	Updated string
}

// ListRow is one rule in the list.
type ListRow struct {
	ID         int64
	Name       string
	Enabled    bool
	Priority   int
	Conditions string // e.g. "department equals Engineering AND location equals Berlin"
	Grants     string // e.g. "GitHub: eng; Laptop: MacBook"
	Approval   string
	Updated    string
	Version    int
}

// List is the rules page.
type List struct {
	Rows     []ListRow
	CanEdit  bool
	Planning Planning
}

// PlanningState is where the latest re-plan of everyone is.
type PlanningState int

// Re-planning states: nothing recent to say, running, finished recently,
// failed.
const (
	PlanningNone PlanningState = iota
	PlanningOpen
	PlanningDone
	PlanningFailed
)

// Planning is the latest re-plan of everyone, in words.
type Planning struct {
	State PlanningState
	Text  string
}

// Impact is what a rule change does across people.
type Impact struct {
	Grants  int
	Revokes int
	Updates int
	People  int
}

// String reads the impact as the review shows it, e.g.
// "+3 grants, −1 revoke, ~0 updates across 4 people".
func (i Impact) String() string {
	return fmt.Sprintf("+%s, −%s, ~%s across %s",
		plural(i.Grants, "grant", "grants"), plural(i.Revokes, "revoke", "revokes"),
		plural(i.Updates, "update", "updates"), plural(i.People, "person", "people"))
}

// None reports whether the change affects nobody.
func (i Impact) None() bool { return i.Grants+i.Revokes+i.Updates+i.People == 0 }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Summary is a rule in words.
type Summary struct {
	Name        string
	Description string
	Enabled     bool
	Priority    int
	Conditions  string // joined with AND / OR; "" matches everyone
	Grants      []string
	Joiner      string
	Leaver      string
	Approval    string
}

// Status reads as "Enabled, priority 10".
func (s Summary) Status() string {
	if s.Enabled {
		return "Enabled, priority " + strconv.Itoa(s.Priority)
	}
	return "Disabled, priority " + strconv.Itoa(s.Priority)
}

// Review is the page between the builder and saving: the impact, the rule
// in words, and the rule itself in a hidden field.
type Review struct {
	IsNew    bool
	RuleJSON string
	Impact   Impact
	Summary  Summary
	// Overlaps explain parameters other rules also set, and which rule
	// wins by priority.
	Overlaps []string
}

// Confirm is the page before enabling, disabling or deleting a rule.
type Confirm struct {
	ID      int64
	Action  string // enable, disable or delete
	Impact  Impact
	Summary Summary
}

// Verb is the confirmation button's label.
func (c Confirm) Verb() string {
	switch c.Action {
	case "enable":
		return "Enable and re-plan"
	case "disable":
		return "Disable and re-plan"
	}
	return "Delete and re-plan"
}

func itoa(n int) string { return strconv.Itoa(n) }

func id(n int64) string { return strconv.FormatInt(n, 10) }

func field(prefix string, index int, name string) string {
	return prefix + "." + strconv.Itoa(index) + "." + name
}

func domID(prefix string, index int, name string) string {
	return strings.TrimSuffix(prefix+"-"+strconv.Itoa(index)+"-"+name, "-")
}
