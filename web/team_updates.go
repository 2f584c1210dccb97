package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
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

// teamUpdatesQuery is the list's query string, parsed leniently: an
// unknown tab is the first, a bad page the first page.
type teamUpdatesQuery struct {
	queue      models.Queue
	source     int64
	department string
	search     string
	page       int
}

func parseTeamUpdatesQuery(c echo.Context) teamUpdatesQuery {
	q := teamUpdatesQuery{queue: models.Queue(c.QueryParam("tab")), department: strings.TrimSpace(c.QueryParam("department"))}
	if _, ok := queueLabels[q.queue]; !ok {
		q.queue = models.QueueInvite
	}
	q.source, _ = strconv.ParseInt(c.QueryParam("source"), 10, 64)
	q.search = strings.TrimSpace(c.QueryParam("q"))
	if len(q.search) > 200 {
		q.search = q.search[:200]
	}
	q.page, _ = strconv.Atoi(c.QueryParam("page"))
	q.page = max(q.page, 1)
	return q
}

func (q teamUpdatesQuery) filtered() bool {
	return q.source != 0 || q.department != "" || q.search != ""
}

// url is the list under these filters, on another tab and page.
func (q teamUpdatesQuery) url(queue models.Queue, page int) string {
	v := url.Values{"tab": {string(queue)}}
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
	return "/team-updates?" + v.Encode()
}

// teamUpdates lists one tab of pending changes, soonest first, 50 a page.
// It makes a fixed number of queries whatever the page shows.
func (s *Server) teamUpdates(c echo.Context) error {
	ctx := c.Request().Context()
	q := parseTeamUpdatesQuery(c)
	f := models.ChangeFilter{Queue: q.queue, SourceID: q.source, Department: q.department, Search: q.search,
		Offset: (q.page - 1) * teamUpdatesPageSize, Limit: teamUpdatesPageSize}
	rows, total, err := s.store.ListChanges(ctx, f)
	if err != nil {
		return err
	}
	if len(rows) == 0 && total > 0 { // past the last page
		return c.Redirect(http.StatusSeeOther, q.url(q.queue, int((total-1)/teamUpdatesPageSize)+1))
	}
	counts, err := s.store.QueueCounts(ctx, f)
	if err != nil {
		return err
	}
	cat, err := s.catalogue(ctx, rows)
	if err != nil {
		return err
	}
	v := teamupdates.View{
		Filter: teamupdates.Filter{Tab: string(q.queue), Department: q.department, Search: q.search},
		Pager:  teamUpdatesPager(q, len(rows), total),
		Empty:  teamUpdatesEmpty(q, counts),
	}
	if q.source != 0 {
		v.Filter.Source = strconv.FormatInt(q.source, 10)
	}
	for _, queue := range models.Queues {
		v.Tabs = append(v.Tabs, teamupdates.Tab{Key: string(queue), Label: queueLabels[queue], Count: thousands(counts[queue]),
			URL: q.url(queue, 1), Active: queue == q.queue})
	}
	if v.Sources, v.Departments, err = s.teamUpdatesOptions(c, q.department); err != nil {
		return err
	}
	now := time.Now()
	for _, r := range rows {
		v.Rows = append(v.Rows, cat.row(&r.Change, &r.Person, now))
	}
	return render(c, http.StatusOK, teamupdates.Page(s.page(c, "Team Updates", "team-updates"), v))
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
	names, err := s.store.Departments(ctx)
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

func teamUpdatesPager(q teamUpdatesQuery, shown int, total int64) teamupdates.Pager {
	from := int64((q.page-1)*teamUpdatesPageSize + 1)
	to := from + int64(shown) - 1
	pg := teamupdates.Pager{Info: fmt.Sprintf("Showing %s–%s of %s", thousands(from), thousands(to), thousands(total))}
	if q.page > 1 {
		pg.PrevURL = q.url(q.queue, q.page-1)
	}
	if to < total {
		pg.NextURL = q.url(q.queue, q.page+1)
	}
	return pg
}

// teamUpdatesEmpty says what fills an empty tab, or that filters hide it.
func teamUpdatesEmpty(q teamUpdatesQuery, counts map[models.Queue]int64) teamupdates.Empty {
	if q.filtered() {
		return teamupdates.Empty{
			Title:    "Nothing matches these filters",
			Message:  "No pending change in this tab is for a person matching the source, department and search chosen.",
			ClearURL: "/team-updates?tab=" + string(q.queue),
		}
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
