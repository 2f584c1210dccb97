// Package people renders the People pages: everyone the HR sources
// report, searchable and filtered, and one person with their attributes,
// history, pending change, access and the rules that apply to them.
package people

import (
	"strconv"

	"github.com/a-h/templ"
)

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Filter is the filter form's current values.
type Filter struct {
	Search     string
	Department string
	Status     string
	Source     string // source id, "" for any
}

// Pager moves between pages of the list.
type Pager struct {
	Info    string // "Showing 51–100 of 20,000"
	PrevURL string // "" on the first page
	NextURL string // "" on the last page
}

// PersonRef links to a person.
type PersonRef struct {
	ID   int64
	Name string
}

// URL is the person's page.
func (r PersonRef) URL() templ.SafeURL { return PersonURL(r.ID) }

// PersonURL is a person's page.
func PersonURL(id int64) templ.SafeURL {
	return templ.SafeURL("/people/" + strconv.FormatInt(id, 10))
}

// Row is one person in the list.
type Row struct {
	ID         int64
	Name       string
	Email      string
	Title      string
	Department string
	Location   string
	Status     string
	Source     string
	StartDate  string
	Duplicate  bool // flagged as a possible duplicate of someone else
}

// ListView is the People page's content.
type ListView struct {
	Rows        []Row
	Filter      Filter
	Filtered    bool // any filter is set
	Departments []Option
	Statuses    []Option
	Sources     []Option
	Pager       Pager
	NoPeople    bool // nobody at all, filters aside
}

// Attribute is one HR attribute and its value.
type Attribute struct {
	Name  string
	Value string
}

// AppPlan is what a pending change does in one app, step by step.
type AppPlan struct {
	App   string
	Steps []string
}

// PendingChange is the person's change waiting in Team Updates, or
// approved and waiting for its time (Decision set).
type PendingChange struct {
	ID        int64
	Kind      string // in words: "Joiner", "Mover", ...
	Summary   string
	Effective string   // when all its steps run, in the person's zone; "" when they run at different times
	Times     []string // else each group of steps with its time: "GitHub admin: on approval"
	Decision  string   // "Approved by ada@example.com"; "" while pending
	Plan      []AppPlan
	QueueURL  string // the Team Updates tab it is listed in
	QueueName string
}

// OnApproval reports whether all of it runs as soon as it is approved.
func (c PendingChange) OnApproval() bool { return c.Effective == "on approval" }

// WhyURL is the change's explanation page.
func (c PendingChange) WhyURL() templ.SafeURL {
	return templ.SafeURL("/team-updates/" + strconv.FormatInt(c.ID, 10) + "/why")
}

// Account is an account the person holds in an app, with its grants.
type Account struct {
	App      string
	RemoteID string
	Status   string
	Grants   []Grant
	// Seen and MatchedBy come from the app's own list of accounts
	// (reconciliation); empty for an account Roster only made.
	Seen      string
	MatchedBy string
}

// Grant is one entitlement of an account.
type Grant struct {
	Name    string // with its parameters
	FromApp bool   // reported by the app rather than given by Roster
	Beyond  bool   // no rule gives it: access beyond the rules, kept until an admin removes it
}

// ConditionResult is one condition of a rule and the person's value.
type ConditionResult struct {
	Condition string // e.g. `department equals "Engineering"`
	Actual    string // e.g. `"Engineering"` or "empty"
	Matched   bool
}

// RuleResult is one rule evaluated for the person.
type RuleResult struct {
	ID         int64
	Name       string
	Priority   int
	Matched    bool
	Conditions []ConditionResult // none: the rule applies to everyone
}

// URL is the rule's page.
func (r RuleResult) URL() templ.SafeURL {
	return templ.SafeURL("/rules/" + strconv.FormatInt(r.ID, 10))
}

// DesiredGrant is one entitlement the rules give the person.
type DesiredGrant struct {
	App         string
	Entitlement string
	Params      string // "spend_limit=500", "" if none
	Rules       string // the rules that give it, by name
}

// DiffRow is one attribute an HR event changed.
type DiffRow struct {
	Field string
	Old   string
	New   string
}

// Event is one entry of the person's history.
type Event struct {
	Kind    string // joined, changed, left, rehired, leave
	Label   string // the kind in words
	When    string
	WhenISO string
	RunID   int64 // 0 when no run recorded it
	RunURL  string
	Diff    []DiffRow
}

// PersonView is a person page's content.
type PersonView struct {
	ID         int64
	Name       string
	Status     string
	Email      string
	SourceID   int64
	SourceName string
	Added      string
	Updated    string
	Duplicate  *PersonRef
	Standard   []Attribute
	Custom     []Attribute
	Pending    *PendingChange
	Scheduled  *PendingChange // approved, still to run
	Accounts   []Account
	Baseline   string // when a baseline took the person as current staff; "" for joiners
	Rules      []RuleResult
	Grants     []DesiredGrant
	Conflicts  []string
	RulesError bool // the rules could not be evaluated
	History    []Event
}

// SourceURL is the person's source page.
func (v PersonView) SourceURL() templ.SafeURL {
	return templ.SafeURL("/sources/" + strconv.FormatInt(v.SourceID, 10))
}

// StatusLabel is a person's status in words.
func StatusLabel(status string) string {
	switch status {
	case "pending":
		return "Pending start"
	case "active":
		return "Active"
	case "leave":
		return "On leave"
	case "terminated":
		return "Terminated"
	}
	return status
}

func statusBadgeClass(status string) string {
	switch status {
	case "active":
		return "badge-ok"
	case "leave":
		return "badge-warn"
	case "terminated":
		return "badge-bad"
	}
	return "badge-muted"
}
