// Package sources renders the Sources pages: the list of HR sources, a
// source with its upload and brake forms and its runs, and one sync run:
// the preview an admin confirms, a run the safety brake holds, or a
// rejected file's row errors.
package sources

import (
	"strconv"

	"github.com/a-h/templ"
)

// Counts are what a run found, per kind of HR event.
type Counts struct {
	Joiners   int
	Existing  int // taken as current staff by a baseline run
	Movers    int
	Leavers   int
	Rehires   int
	Unchanged int
}

// Run is one sync run as tables and the run page show it.
type Run struct {
	ID        int64
	SourceID  int64
	Status    string // preview, running, succeeded, failed, held, discarded
	Trigger   string // upload, cli, schedule
	FileName  string
	Created   string // formatted in UTC
	CreatedAt string // RFC 3339, for <time>
	CreatedBy string
	DecidedBy string
	Decided   string // "" while undecided
	Counts    Counts
	Errors    int  // invalid rows
	Baseline  bool // people already employed are current staff, not joiners
}

// URL is the run's page.
func (r Run) URL() templ.SafeURL { return RunURL(r.SourceID, r.ID, "") }

// SourceRow is one source in the list.
type SourceRow struct {
	ID      int64
	Name    string
	Kind    string
	People  int64
	Left    int64 // people who are terminated
	LastRun *Run  // nil when the source never ran
}

// SourceForm is the new-source form with the admin's input and errors.
type SourceForm struct {
	Name   string
	Brake  BrakeForm
	Errors map[string]string // name and the brake's fields → message
}

// ListView is the Sources page's content.
type ListView struct {
	Rows      []SourceRow
	CanManage bool // admins see the new-source form
	Form      SourceForm
}

// BrakeForm is the brake settings form with the admin's input and errors.
type BrakeForm struct {
	People      string
	Percent     string
	Revocations string
	Errors      map[string]string // brake_people, brake_percent, brake_revocations → message
}

// Source is the source a detail page shows.
type Source struct {
	ID               int64
	Name             string
	Kind             string
	Created          string
	People           int64
	Left             int64
	BrakePeople      int
	BrakePercent     int
	BrakeRevocations int
}

// BrakeText says when a source's brake holds a run.
func BrakeText(s Source) string {
	return "runs are held when " + plural(s.BrakePeople, "person", "people") + " or " + strconv.Itoa(s.BrakePercent) +
		"% of the active people would lose access, or " + plural(s.BrakeRevocations, "grant or account", "grants and accounts") +
		" would be taken away."
}

// DetailView is a source page's content.
type DetailView struct {
	Source      Source
	CanManage   bool // admins see the upload and brake forms
	UploadError string
	// Baseline is the upload form's choice as it starts: on while the
	// source has never been applied (an existing company's first file).
	Baseline  bool
	Brake     BrakeForm
	BrakeOpen bool // the brake form is shown unfolded (after an error)
	Runs      []Run
}

// RowError is one invalid row of a rejected file.
type RowError struct {
	Line    int
	Column  string // "" when the problem is the whole row
	Problem string
}

// RunView is a run page's content.
type RunView struct {
	Run        Run
	SourceName string
	HeldReason string // preview: confirming will hold it; held: why it is held
	Error      string
	RowErrors  []RowError
	CanDecide  bool // owners and admins may confirm or discard
}

// SourceURL is a source's page.
func SourceURL(id int64) templ.SafeURL {
	return templ.SafeURL("/sources/" + strconv.FormatInt(id, 10))
}

// SourceActionURL is a POST target under a source, e.g. "upload".
func SourceActionURL(id int64, action string) templ.SafeURL {
	return templ.SafeURL("/sources/" + strconv.FormatInt(id, 10) + "/" + action)
}

// RunURL is a run's page, or a POST target under it ("confirm",
// "discard") when action is set.
func RunURL(sourceID, runID int64, action string) templ.SafeURL {
	u := "/sources/" + strconv.FormatInt(sourceID, 10) + "/runs/" + strconv.FormatInt(runID, 10)
	if action != "" {
		u += "/" + action
	}
	return templ.SafeURL(u)
}

// PeopleURL lists a source's people.
func PeopleURL(sourceID int64) templ.SafeURL {
	return templ.SafeURL("/people?source=" + strconv.FormatInt(sourceID, 10))
}

// Column is one documented column of a CSV file.
type Column struct {
	Name        string
	Description string
}

// RequiredColumns and OptionalColumns are the CSV columns the upload
// reads, kept in step with jobs/source/csvsource.Columns (a test compares
// them) and docs/csv.md. Views cannot import jobs, hence the copy.
var (
	RequiredColumns = []Column{
		{"employee_id", "the person's unique id in your HR system; never reuse one"},
		{"first_name", "legal first name"},
		{"last_name", "legal last name"},
		{"work_email", "may be empty while status is pending"},
		{"status", "pending, active, leave or terminated"},
		{"start_date", "YYYY-MM-DD"},
	}
	OptionalColumns = []Column{
		{"termination_date", "YYYY-MM-DD, not before start_date"},
		{"preferred_name", "the name the person goes by"},
		{"personal_email", "private email address"},
		{"phone", "stored in E.164; without a leading + the country column says where it is"},
		{"title", "job title"},
		{"department", ""},
		{"team", ""},
		{"division", "division or business unit"},
		{"cost_center", "cost center code"},
		{"manager_id", "the manager's employee_id, a row of the same file"},
		{"location", "office or site"},
		{"country", "ISO 3166-1 alpha-2 code, e.g. GB"},
		{"timezone", "IANA name, e.g. Europe/London"},
		{"employment_type", "full_time, part_time, intern, contractor or freelance"},
		{"groups", "group names separated by semicolons"},
	}
)

// statusLabels name run statuses for people.
var statusLabels = map[string]string{
	"preview":   "Preview",
	"running":   "Applying",
	"succeeded": "Applied",
	"failed":    "Rejected",
	"held":      "Held",
	"discarded": "Discarded",
}

// StatusLabel is a run status in words.
func StatusLabel(status string) string {
	if l, ok := statusLabels[status]; ok {
		return l
	}
	return status
}

// statusBadgeClass is the badge colour of a run status.
func statusBadgeClass(status string) string {
	switch status {
	case "succeeded":
		return "badge-ok"
	case "preview":
		return "badge-warn"
	case "failed", "held":
		return "badge-bad"
	}
	return "badge-muted"
}

// plural writes a count with its noun: "1 leaver", "3 leavers".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Num(int64(n)) + " " + many
}

// Num writes a count with thousands separators: 20000 → "20,000".
func Num(n int64) string {
	if n < 0 {
		return "-" + Num(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// CountsText sums up a run in a line, e.g. "12 joiners, 3 movers, 1
// leaver, 0 rehires".
func CountsText(c Counts) string {
	existing := ""
	if c.Existing > 0 {
		existing = plural(c.Existing, "person", "people") + " already on staff, "
	}
	return existing + plural(c.Joiners, "joiner", "joiners") + ", " + plural(c.Movers, "mover", "movers") + ", " +
		plural(c.Leavers, "leaver", "leavers") + ", " + plural(c.Rehires, "rehire", "rehires")
}
