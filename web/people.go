package web

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/views/people"
)

const peoplePageSize = 50

// peopleStatuses are the status filter's choices, in employment order.
var peopleStatuses = []models.PersonStatus{models.StatusPending, models.StatusActive, models.StatusLeave, models.StatusTerminated}

// peopleQuery is the list's query string, parsed leniently: an unknown
// status or source matches everyone, a bad page is the first.
type peopleQuery struct {
	search     string
	department string
	status     models.PersonStatus
	source     int64
	page       int
}

func parsePeopleQuery(c echo.Context) peopleQuery {
	q := peopleQuery{search: strings.TrimSpace(c.QueryParam("q")), department: strings.TrimSpace(c.QueryParam("department")),
		status: models.PersonStatus(c.QueryParam("status"))}
	if len(q.search) > 200 {
		q.search = q.search[:200]
	}
	if !q.status.Valid() {
		q.status = ""
	}
	q.source, _ = strconv.ParseInt(c.QueryParam("source"), 10, 64)
	q.page, _ = strconv.Atoi(c.QueryParam("page"))
	q.page = max(q.page, 1)
	return q
}

func (q peopleQuery) filtered() bool {
	return q.search != "" || q.department != "" || q.status != "" || q.source != 0
}

// url is the list under these filters, on another page.
func (q peopleQuery) url(page int) string {
	v := url.Values{}
	if q.search != "" {
		v.Set("q", q.search)
	}
	if q.department != "" {
		v.Set("department", q.department)
	}
	if q.status != "" {
		v.Set("status", string(q.status))
	}
	if q.source != 0 {
		v.Set("source", strconv.FormatInt(q.source, 10))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/people"
	}
	return "/people?" + v.Encode()
}

// peoplePage lists people by name, 50 a page, under the filters.
func (s *Server) peoplePage(c echo.Context) error {
	ctx := c.Request().Context()
	q := parsePeopleQuery(c)
	list, total, err := s.store.ListPeople(ctx, models.PeopleFilter{Search: q.search, Department: q.department,
		Status: q.status, SourceID: q.source, Offset: (q.page - 1) * peoplePageSize, Limit: peoplePageSize})
	if err != nil {
		return err
	}
	if len(list) == 0 && total > 0 { // past the last page
		return c.Redirect(http.StatusSeeOther, q.url(int((total-1)/peoplePageSize)+1))
	}
	srcs, err := s.store.ListSources(ctx)
	if err != nil {
		return err
	}
	departments, err := s.store.DepartmentsIndexed(ctx)
	if err != nil {
		return err
	}
	v := people.ListView{
		Filter:   people.Filter{Search: q.search, Department: q.department, Status: string(q.status)},
		Filtered: q.filtered(),
		Pager:    peoplePager(q, len(list), total),
		NoPeople: total == 0 && !q.filtered(),
	}
	if q.source != 0 {
		v.Filter.Source = strconv.FormatInt(q.source, 10)
	}
	if q.department != "" && !slices.Contains(departments, q.department) {
		departments = append(departments, q.department) // keep a department nobody is in any more selectable
	}
	for _, d := range departments {
		v.Departments = append(v.Departments, people.Option{Value: d, Label: d})
	}
	for _, st := range peopleStatuses {
		v.Statuses = append(v.Statuses, people.Option{Value: string(st), Label: people.StatusLabel(string(st))})
	}
	sourceNames := make(map[int64]string, len(srcs))
	for _, src := range srcs {
		sourceNames[src.ID] = src.Name
		v.Sources = append(v.Sources, people.Option{Value: strconv.FormatInt(src.ID, 10), Label: src.Name})
	}
	for _, p := range list {
		v.Rows = append(v.Rows, people.Row{ID: p.ID, Name: p.DisplayName(), Email: p.WorkEmail, Title: p.Title,
			Department: p.Department, Location: p.Location, Status: string(p.Status), Source: sourceNames[p.SourceID],
			StartDate: p.StartDate, Duplicate: p.DuplicateOfID != nil})
	}
	return render(c, http.StatusOK, people.Page(s.page(c, "People", "people"), v))
}

func peoplePager(q peopleQuery, shown int, total int64) people.Pager {
	if total == 0 {
		return people.Pager{}
	}
	from := int64((q.page-1)*peoplePageSize + 1)
	to := from + int64(shown) - 1
	pg := people.Pager{Info: fmt.Sprintf("Showing %s–%s of %s", thousands(from), thousands(to), thousands(total))}
	if q.page > 1 {
		pg.PrevURL = q.url(q.page - 1)
	}
	if to < total {
		pg.NextURL = q.url(q.page + 1)
	}
	return pg
}

// personPage shows one person: attributes, pending change, access, the
// rules that apply and their history.
func (s *Server) personPage(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.PersonByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	src, err := s.store.SourceByID(ctx, p.SourceID)
	if err != nil {
		return err
	}
	cat, err := s.catalogue(ctx, []models.ChangeRow{{Person: *p}})
	if err != nil {
		return err
	}
	v := people.PersonView{ID: p.ID, Name: p.DisplayName(), Status: string(p.Status), Email: p.WorkEmail,
		SourceID: src.ID, SourceName: src.Name, Added: formatTime(p.CreatedAt), Updated: formatTime(p.UpdatedAt)}
	if ref := cat.duplicate(p); ref != nil {
		v.Duplicate = &people.PersonRef{ID: ref.ID, Name: ref.Name}
	}
	v.Standard, v.Custom = personAttributes(p)
	if v.Pending, err = s.pendingChange(c, cat, p); err != nil {
		return err
	}
	if v.Scheduled, err = s.scheduledChange(c, cat, p); err != nil {
		return err
	}
	desired := s.explainPerson(c, cat, p, &v)
	if v.Accounts, err = s.personAccounts(c, cat, p.ID, desired); err != nil {
		return err
	}
	if p.BaselineAt != nil {
		v.Baseline = formatTime(*p.BaselineAt)
	}
	events, err := s.store.PersonEvents(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, e := range events {
		v.History = append(v.History, personEvent(p.SourceID, e))
	}
	return render(c, http.StatusOK, people.PersonPage(s.page(c, p.DisplayName(), "people"), v))
}

// personAttributes splits the attributes into the standard ones, in
// their usual order, and custom ones by name.
func personAttributes(p *models.Person) (standard, custom []people.Attribute) {
	attrs := p.Attributes()
	for _, name := range models.StandardAttributes {
		standard = append(standard, people.Attribute{Name: name, Value: attrs[name]})
		delete(attrs, name)
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		custom = append(custom, people.Attribute{Name: name, Value: attrs[name]})
	}
	return standard, custom
}

// changeKindLabels name change kinds on the person page.
var changeKindLabels = map[models.ChangeKind]string{
	models.ChangeJoin:   "joiner",
	models.ChangeMove:   "mover",
	models.ChangeLeave:  "leaver",
	models.ChangeRehire: "rehire",
}

// pendingChange is the person's change waiting in Team Updates, or nil.
func (s *Server) pendingChange(c echo.Context, cat *catalogue, p *models.Person) (*people.PendingChange, error) {
	ch, err := s.store.OpenChangeOf(c.Request().Context(), p.ID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return cat.personChange(ch, p, time.Now()), nil
}

// scheduledChange is the person's approved change still to run, or nil.
func (s *Server) scheduledChange(c echo.Context, cat *catalogue, p *models.Person) (*people.PendingChange, error) {
	ch, err := s.store.ScheduledChangeOf(c.Request().Context(), p.ID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := cat.personChange(ch, p, time.Now())
	out.Decision = "Approved"
	if ch.DecidedBy != "" {
		out.Decision = "Approved by " + ch.DecidedBy
	}
	return out, nil
}

// personChange is a change as the person page shows it: what it does and
// when each step runs, in the person's zone.
func (cat *catalogue) personChange(ch *models.Change, p *models.Person, now time.Time) *people.PendingChange {
	key, label := tabOf(ch)
	out := &people.PendingChange{ID: ch.ID, Kind: changeKindLabels[ch.Kind], Summary: ch.Summary,
		QueueURL: "/team-updates?tab=" + key, QueueName: label}
	if w := cat.effective(ch, p, now); w.Together() {
		out.Effective = w.Groups[0].When
	} else {
		for _, g := range w.Groups {
			out.Times = append(out.Times, g.Line())
		}
	}
	for _, a := range cat.plan(ch.Plan) {
		out.Plan = append(out.Plan, people.AppPlan{App: a.App, Steps: a.Steps})
	}
	return out
}

// personAccounts is what the person actually holds, app by app: the
// grants Roster made and those the app reported, the latter marked beyond
// the rules when no rule gives them (desired nil: the rules could not be
// evaluated, so nothing is marked), and when each account was last seen
// in the app's own list.
func (s *Server) personAccounts(c echo.Context, cat *catalogue, personID int64, desired *rules.Desired) ([]people.Account, error) {
	ctx := c.Request().Context()
	access, err := s.store.AccessOf(ctx, []int64{personID})
	if err != nil {
		return nil, err
	}
	a := access[personID]
	if a == nil {
		return nil, nil
	}
	wanted := map[[2]int64]bool{}
	if desired != nil {
		for _, g := range desired.Grants {
			wanted[[2]int64{g.AppID, g.EntitlementID}] = true
		}
	}
	grants := map[int64][]people.Grant{} // account id → grants
	for _, g := range a.Grants {
		text := cat.entitlementName(g.EntitlementID)
		if params := paramsText(g.Params); params != "" {
			text += " (" + params + ")"
		}
		fromApp := g.Origin == models.GrantByApp
		grants[g.AccountID] = append(grants[g.AccountID], people.Grant{Name: text, FromApp: fromApp,
			Beyond: fromApp && desired != nil && !wanted[[2]int64{g.AppID, g.EntitlementID}]})
	}
	seen, err := s.store.AppAccountsOf(ctx, personID)
	if err != nil {
		return nil, err
	}
	type key struct {
		app    int64
		remote string
	}
	bySeen := make(map[key]models.AppAccount, len(seen))
	for _, aa := range seen {
		bySeen[key{aa.AppID, aa.RemoteID}] = aa
	}
	out := make([]people.Account, 0, len(a.Accounts))
	for _, acc := range a.Accounts {
		v := people.Account{App: cat.appName(acc.AppID), RemoteID: acc.RemoteID, Status: acc.Status, Grants: grants[acc.ID]}
		if aa, ok := bySeen[key{acc.AppID, acc.RemoteID}]; ok && acc.RemoteID != "" {
			v.Seen, v.MatchedBy = formatTime(aa.LastSeenAt), cmp.Or(matchKeyWords[aa.MatchedBy], aa.MatchedBy)
		}
		out = append(out, v)
	}
	return out, nil
}

// explainPerson fills in which rules match the person and what they
// give. A failure leaves a note on the page rather than failing it.
func (s *Server) explainPerson(c echo.Context, cat *catalogue, p *models.Person, v *people.PersonView) *rules.Desired {
	matches, desired, err := s.planner.ExplainPerson(c.Request().Context(), p)
	if err != nil {
		s.logger.Warn("person page: explain", "person_id", p.ID, "error", err)
		v.RulesError = true
		return nil
	}
	names := make(map[int64]string, len(matches))
	for _, m := range matches {
		names[m.RuleID] = m.RuleName
		r := people.RuleResult{ID: m.RuleID, Name: m.RuleName, Priority: m.Priority, Matched: m.Evaluation.Matched}
		for _, cr := range m.Evaluation.Conditions {
			cond := cr.Attribute + " " + cr.Operator.Label()
			if cr.Operator.TakesValue() {
				cond += fmt.Sprintf(" %q", cr.Value)
			}
			actual := "empty"
			if strings.TrimSpace(cr.Actual) != "" {
				actual = fmt.Sprintf("%q", cr.Actual)
			}
			r.Conditions = append(r.Conditions, people.ConditionResult{Condition: cond, Actual: actual, Matched: cr.Matched})
		}
		v.Rules = append(v.Rules, r)
	}
	for _, g := range desired.Grants {
		var from []string
		for _, id := range g.Rules {
			from = append(from, names[id])
		}
		v.Grants = append(v.Grants, people.DesiredGrant{App: cat.appName(g.AppID), Entitlement: cat.entitlementName(g.EntitlementID),
			Params: paramsText(g.Params), Rules: strings.Join(from, ", ")})
	}
	for _, cf := range desired.Conflicts {
		v.Conflicts = append(v.Conflicts, cat.appName(cf.AppID)+" · "+cat.entitlementName(cf.EntitlementID)+" — "+cf.String())
	}
	return &desired
}

// eventLabels name HR events in a person's history.
var eventLabels = map[models.EventKind]string{
	models.EventJoined:  "Joined",
	models.EventChanged: "Changed in HR",
	models.EventLeft:    "Left",
	models.EventRehired: "Rehired",
	models.EventLeave:   "Went on leave",
	// Not HR events, but what Roster learnt of the person.
	models.EventBaseline:      "Already on staff",
	models.EventOutsideChange: "Changed outside Roster",
}

func personEvent(sourceID int64, e models.PersonEvent) people.Event {
	out := people.Event{Kind: string(e.Kind), Label: eventLabels[e.Kind], When: formatTime(e.CreatedAt),
		WhenISO: e.CreatedAt.UTC().Format(time.RFC3339)}
	if out.Label == "" {
		out.Label = string(e.Kind)
	}
	if e.SyncRunID != nil {
		out.RunID = *e.SyncRunID
		out.RunURL = fmt.Sprintf("/sources/%d/runs/%d", sourceID, *e.SyncRunID)
	}
	for _, d := range e.Diff {
		out.Diff = append(out.Diff, people.DiffRow{Field: d.Field, Old: d.Old, New: d.New})
	}
	return out
}
