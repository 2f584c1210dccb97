package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/layout"
	"github.com/rosterhq/roster/views/teamupdates"
)

const teamUpdatesPageSize = 50

// queueLabels name the Team Updates tabs.
var queueLabels = map[models.Queue]string{
	models.QueueInvite:    "To Invite",
	models.QueueUpdate:    "To Update",
	models.QueueTerminate: "To Terminate",
}

// queueOf is the tab a change kind is listed in.
var queueOf = map[models.ChangeKind]models.Queue{
	models.ChangeJoin:   models.QueueInvite,
	models.ChangeRehire: models.QueueInvite,
	models.ChangeMove:   models.QueueUpdate,
	models.ChangeLeave:  models.QueueTerminate,
}

// decidedTab is a tab of changes no longer waiting for a decision.
type decidedTab struct {
	key      string
	label    string
	statuses []models.ChangeStatus
	latest   bool // most recent first, instead of soonest effective first
}

// decidedTabs follow the queues: approved changes waiting for their time,
// those an app refused, and the rest of the record.
var decidedTabs = []decidedTab{
	{key: "scheduled", label: "Scheduled", statuses: []models.ChangeStatus{models.ChangeApproved, models.ChangeScheduled, models.ChangeRunning}},
	{key: "failed", label: "Failed", statuses: []models.ChangeStatus{models.ChangeFailed}, latest: true},
	{key: "history", label: "History", statuses: []models.ChangeStatus{models.ChangeDone, models.ChangeRejected, models.ChangeSuperseded}, latest: true},
}

func decidedTabOf(key string) (decidedTab, bool) {
	for _, t := range decidedTabs {
		if t.key == key {
			return t, true
		}
	}
	return decidedTab{}, false
}

// tabOf is the tab a change is listed in now.
func tabOf(ch *models.Change) (key, label string) {
	if ch.Status == models.ChangePending {
		return string(queueOf[ch.Kind]), queueLabels[queueOf[ch.Kind]]
	}
	for _, t := range decidedTabs {
		if slices.Contains(t.statuses, ch.Status) {
			return t.key, t.label
		}
	}
	return string(queueOf[ch.Kind]), queueLabels[queueOf[ch.Kind]]
}

// teamUpdatesQuery is the list's query string, parsed leniently: an
// unknown tab is the first, a bad page the first page.
type teamUpdatesQuery struct {
	tab        string // a queue or a decided tab's key
	queue      models.Queue
	source     int64
	department string
	search     string
	page       int
	// The page by keyset (see teamUpdatesKeysetPager): the rows after or
	// before a cursor, or the last ones. page then only says where they
	// are believed to start.
	after  models.PageCursor
	before models.PageCursor
	last   bool
}

func parseTeamUpdatesQuery(c echo.Context) teamUpdatesQuery {
	q := teamUpdatesQuery{tab: c.QueryParam("tab"), department: strings.TrimSpace(c.QueryParam("department"))}
	if _, ok := decidedTabOf(q.tab); !ok {
		q.queue = models.Queue(q.tab)
		if _, ok := queueLabels[q.queue]; !ok {
			q.queue = models.QueueInvite
		}
		q.tab = string(q.queue)
	}
	q.source, _ = strconv.ParseInt(c.QueryParam("source"), 10, 64)
	q.search = strings.TrimSpace(c.QueryParam("q"))
	if len(q.search) > 200 {
		q.search = q.search[:200]
	}
	q.page, _ = strconv.Atoi(c.QueryParam("page"))
	q.page = max(q.page, 1)
	q.last = c.QueryParam("last") == "1"
	q.after, _ = models.ParsePageCursor(c.QueryParam("after"))
	if q.after.IsZero() {
		q.before, _ = models.ParsePageCursor(c.QueryParam("before"))
	}
	return q
}

func (q teamUpdatesQuery) filtered() bool {
	return q.source != 0 || q.department != "" || q.search != ""
}

// changeFilter selects the pending changes of the queue tab under these
// filters: the list pages through them, and deciding "all that match"
// takes them all.
func (q teamUpdatesQuery) changeFilter() models.ChangeFilter {
	return models.ChangeFilter{Queue: q.queue, SourceID: q.source, Department: q.department, Search: q.search}
}

// url is the list under these filters, on another tab and page.
func (q teamUpdatesQuery) url(tab string, page int) string {
	return "/team-updates?" + q.values(tab, page).Encode()
}

// values are the list's query parameters on a tab and page, without a
// cursor.
func (q teamUpdatesQuery) values(tab string, page int) url.Values {
	v := url.Values{"tab": {tab}}
	if q.source != 0 {
		v.Set("source", strconv.FormatInt(q.source, 10))
	}
	if q.department != "" {
		v.Set("department", q.department)
	}
	if q.search != "" {
		v.Set("q", q.search)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// teamUpdates lists one tab: pending changes of a queue, soonest first,
// or decided ones; 50 a page. It makes a fixed number of queries whatever
// the page shows.
func (s *Server) teamUpdates(c echo.Context) error {
	return s.renderTeamUpdates(c, parseTeamUpdatesQuery(c), http.StatusOK, teamUpdatesAgain{})
}

// teamUpdatesAgain is what a decision the page refused shows again: why,
// and the comment the approver wrote.
type teamUpdatesAgain struct {
	problem string
	comment string
}

// renderTeamUpdates renders a tab of Team Updates with status; a refused
// decision (again) adds its message and keeps its comment.
func (s *Server) renderTeamUpdates(c echo.Context, q teamUpdatesQuery, status int, again teamUpdatesAgain) error {
	v := teamupdates.View{Filter: teamupdates.Filter{Tab: q.tab, Department: q.department, Search: q.search}}
	if q.source != 0 {
		v.Filter.Source = strconv.FormatInt(q.source, 10)
	}
	var l teamUpdatesList
	var err error
	if tab, ok := decidedTabOf(q.tab); ok {
		l, err = s.listDecided(c, q, tab, &v)
	} else {
		l, err = s.listQueue(c, q, &v)
	}
	if err != nil {
		return err
	}
	if v.Rows == nil && v.Decided == nil && l.total > 0 { // past the last page
		if again.problem != "" {
			s.flash(c, "error", again.problem)
		}
		if q.keyset() {
			return c.Redirect(http.StatusSeeOther, q.lastURL())
		}
		return c.Redirect(http.StatusSeeOther, q.url(q.tab, int((l.total-1)/teamUpdatesPageSize)+1))
	}
	v.Tabs = teamUpdatesTabs(q, l.counts)
	if v.Sources, v.Departments, err = s.teamUpdatesOptions(c, q.department); err != nil {
		return err
	}
	v.Pager = l.pager
	v.Decide.Comment = again.comment
	p := s.page(c, "Team Updates", "team-updates")
	if again.problem != "" {
		p.Flashes = append(p.Flashes, layout.Flash{Kind: "error", Message: again.problem})
	}
	return render(c, status, teamupdates.Page(p, v))
}

// teamUpdatesList is what listing a tab found besides its rows.
type teamUpdatesList struct {
	total  int64               // the tab's rows under the filters
	counts models.ChangeCounts // every tab's, for the tab bar
	pager  teamupdates.Pager
}

// listQueue fills a queue tab's rows and, for approvers, its decision
// controls, from one ReadQueue.
func (s *Server) listQueue(c echo.Context, q teamUpdatesQuery, v *teamupdates.View) (teamUpdatesList, error) {
	ctx := c.Request().Context()
	read, err := s.store.ReadQueue(ctx, q.changeFilter(), q.pageRequest())
	if err != nil {
		return teamUpdatesList{}, err
	}
	l := teamUpdatesList{total: read.Total(q.queue), counts: read.Counts}
	rows := read.Page.Rows
	cat, err := s.catalogue(ctx, rows)
	if err != nil {
		return teamUpdatesList{}, err
	}
	now := time.Now()
	for _, r := range rows {
		v.Rows = append(v.Rows, cat.row(&r.Change, &r.Person, now))
	}
	v.Empty = teamUpdatesEmpty(q)
	l.pager = teamUpdatesKeysetPager(q, read.Page, l.total)
	if currentAdmin(c).Role.AtLeast(models.RoleApprover) {
		back := "?" + q.here().Encode()
		v.Decide = teamupdates.Decide{Allowed: true, ApproveURL: "/team-updates/approve" + back, RejectURL: "/team-updates/reject" + back}
		if l.total > int64(len(rows)) {
			v.Decide.Matching = matchingOffer(q, read.Selection, len(rows))
		}
	}
	return l, nil
}

// teamUpdatesTabs are every tab with its count under the filters.
func teamUpdatesTabs(q teamUpdatesQuery, counts models.ChangeCounts) []teamupdates.Tab {
	decided := counts.Decided()
	var tabs []teamupdates.Tab
	for _, queue := range models.Queues {
		tabs = append(tabs, teamupdates.Tab{Key: string(queue), Label: queueLabels[queue], Count: thousands(counts.Queue(queue)),
			URL: q.url(string(queue), 1), Active: string(queue) == q.tab})
	}
	for _, t := range decidedTabs {
		var n int64
		for _, st := range t.statuses {
			n += decided[st]
		}
		tabs = append(tabs, teamupdates.Tab{Key: t.key, Label: t.label, Count: thousands(n), URL: q.url(t.key, 1), Active: t.key == q.tab})
	}
	return tabs
}

// teamUpdatesOptions are the filter form's choices.
func (s *Server) teamUpdatesOptions(c echo.Context, department string) (sources, departments []teamupdates.Option, err error) {
	ctx := c.Request().Context()
	list, err := s.store.ListSources(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, src := range list {
		sources = append(sources, teamupdates.Option{Value: strconv.FormatInt(src.ID, 10), Label: src.Name})
	}
	names, err := s.store.DepartmentsIndexed(ctx)
	if err != nil {
		return nil, nil, err
	}
	if department != "" && !slices.Contains(names, department) {
		names = append(names, department) // keep a department nobody is in any more selectable
	}
	for _, d := range names {
		departments = append(departments, teamupdates.Option{Value: d, Label: d})
	}
	return sources, departments, nil
}

// teamUpdatesEmpty says what fills an empty tab, or that filters hide it.
func teamUpdatesEmpty(q teamUpdatesQuery) teamupdates.Empty {
	if q.filtered() {
		return teamupdates.Empty{
			Title:    "Nothing matches these filters",
			Message:  "No change in this tab is for a person matching the source, department and search chosen.",
			ClearURL: "/team-updates?tab=" + q.tab,
		}
	}
	switch q.tab {
	case "scheduled":
		return teamupdates.Empty{Title: "Nothing scheduled",
			Message: "Approved changes wait here until their effective time, then run in their apps."}
	case "failed":
		return teamupdates.Empty{Title: "Nothing failed",
			Message: "When an app refuses an action after its retries, the change lands here with the error, and admins can retry it."}
	case "history":
		return teamupdates.Empty{Title: "No history yet",
			Message: "Done, rejected and superseded changes are kept here with who decided and when."}
	}
	switch q.queue {
	case models.QueueUpdate:
		return teamupdates.Empty{Title: "No access to update",
			Message: "When someone's department, title, location or another HR field changes and the rules give them different access, the change waits here."}
	case models.QueueTerminate:
		return teamupdates.Empty{Title: "No one to offboard",
			Message: "People who leave in a source appear here with the access to remove, timed to their termination date."}
	}
	return teamupdates.Empty{Title: "No one to invite",
		Message: "New hires and rehires from a source appear here with the accounts and access the rules give them, timed to their start date."}
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// thousands formats a count with thousands separators: 5000 → "5,000".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
