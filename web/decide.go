package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/teamupdates"
)

// maxDecision bounds how many ticked rows one form decides: a page holds
// 50 (teamUpdatesPageSize), so any page fits with room to spare.
const maxDecision = 500

// maxDecideMatching bounds deciding every change that matches a tab and
// its filters ("Select all N"): a big first import fits; more than that is
// narrowed with the filters first.
const maxDecideMatching = 10000

// decisionForm is a decision as posted from a queue tab: the ticked rows
// (ids), one row's own button (row), or every change the tab and filters
// match (scope=all), with an optional comment.
type decisionForm struct {
	ids     []int64
	all     bool             // scope=all: decide what matches now, if it is still what was seen
	seen    models.Selection // the matching changes the page offered
	comment string
}

// parseDecisionForm reads the form leniently: ids that are not ids are
// ignored. A row's button decides that row alone, whatever is ticked or
// chosen.
func parseDecisionForm(c echo.Context) (decisionForm, string) {
	if _, err := c.FormParams(); err != nil {
		return decisionForm{}, "The form could not be read."
	}
	form := c.Request().PostForm
	f := decisionForm{comment: strings.TrimSpace(form.Get("comment"))}
	if utf8.RuneCountInString(f.comment) > 1000 {
		return f, "Keep the comment under 1,000 characters."
	}
	row := form.Get("row")
	if row == "" && form.Get("scope") == "all" {
		var ok bool
		if f.seen, ok = parseSelection(form); !ok {
			return f, "The selection could not be read: select the changes again."
		}
		f.all = true
		return f, ""
	}
	raw := form["ids"]
	if row != "" {
		raw = []string{row}
	}
	seen := map[int64]bool{}
	for _, r := range raw {
		id, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
		if err != nil || id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		f.ids = append(f.ids, id)
	}
	switch {
	case len(f.ids) == 0:
		return f, "Select at least one change first."
	case len(f.ids) > maxDecision:
		return f, fmt.Sprintf("Decide at most %d changes at once.", maxDecision)
	}
	return f, ""
}

// parseSelection reads what "all that match" was when the page offered
// it: the expect_count, expect_max_id and expect_id_sum fields.
func parseSelection(form url.Values) (models.Selection, bool) {
	var sel models.Selection
	for _, field := range []struct {
		name string
		to   *int64
	}{{"expect_count", &sel.Count}, {"expect_max_id", &sel.MaxID}, {"expect_id_sum", &sel.IDSum}} {
		n, err := strconv.ParseInt(strings.TrimSpace(form.Get(field.name)), 10, 64)
		if err != nil || n <= 0 {
			return models.Selection{}, false
		}
		*field.to = n
	}
	return sel, true
}

// decision is what a decision button does, in the words its messages use.
type decision struct {
	verb       string // "Approved"
	participle string // "approved"
	infinitive string // "approve"
	run        func(context.Context, models.Decision) ([]int64, []int64, error)
}

// teamUpdatesApprove approves the ticked changes, one row's, or all that
// match: their actions and jobs are written in one transaction.
func (s *Server) teamUpdatesApprove(c echo.Context) error {
	return s.decide(c, decision{"Approved", "approved", "approve", func(ctx context.Context, d models.Decision) ([]int64, []int64, error) {
		return s.decider.Approve(ctx, actor(c), d)
	}})
}

// teamUpdatesReject rejects the ticked changes, one row's, or all that
// match.
func (s *Server) teamUpdatesReject(c echo.Context) error {
	return s.decide(c, decision{"Rejected", "rejected", "reject", func(ctx context.Context, d models.Decision) ([]int64, []int64, error) {
		return s.decider.Reject(ctx, actor(c), d)
	}})
}

// decide runs a decision and goes back to the same tab, filters and page.
// Deciding all that match shows the tab again, deciding nothing, when the
// matching changes are no longer the ones the page offered.
func (s *Server) decide(c echo.Context, d decision) error {
	q := parseTeamUpdatesQuery(c)
	back := q.hereURL()
	f, problem := parseDecisionForm(c)
	if problem != "" {
		return s.redirectWithFlash(c, back, "error", problem)
	}
	if s.decider == nil {
		return errors.New("web: no decider configured")
	}
	if f.all {
		if _, decided := decidedTabOf(q.tab); decided {
			return s.redirectWithFlash(c, back, "error", "Only pending changes are decided: choose a queue tab.")
		}
		ids, status, problem, err := s.matchingIDs(c, q, f.seen, d.infinitive)
		if err != nil {
			return err
		}
		if problem != "" {
			return s.renderTeamUpdates(c, q, status, teamUpdatesAgain{problem: problem, comment: f.comment})
		}
		f.ids = ids
	}
	done, skipped, err := d.run(c.Request().Context(), models.Decision{ChangeIDs: f.ids, Comment: f.comment})
	if err != nil {
		return err
	}
	kind, msg := decisionFlash(d.verb, d.participle, len(done), len(skipped))
	return s.redirectWithFlash(c, back, kind, msg)
}

// matchingIDs are the pending changes the queue tab and its filters match
// now, read again at decision time. When they are more than one decision
// takes, or not the ones the page offered (seen), it returns the status
// and message to show the tab again with instead.
func (s *Server) matchingIDs(c echo.Context, q teamUpdatesQuery, seen models.Selection, infinitive string) ([]int64, int, string, error) {
	ids, err := s.store.PendingChangeIDs(c.Request().Context(), q.changeFilter(), maxDecideMatching+1)
	if err != nil {
		return nil, 0, "", err
	}
	if len(ids) > maxDecideMatching {
		return nil, http.StatusUnprocessableEntity, fmt.Sprintf("More than %s changes match: decide at most %s at once. Narrow the filters and %s again.",
			thousands(maxDecideMatching), thousands(maxDecideMatching), infinitive), nil
	}
	now := models.SelectionOf(ids)
	if now != seen {
		return nil, http.StatusConflict, fmt.Sprintf("The queue changed since you looked: %s. Check and %s again.", nowMatch(now.Count), infinitive), nil
	}
	return ids, 0, "", nil
}

// nowMatch says how many changes match now: "1,236 now match".
func nowMatch(n int64) string {
	switch n {
	case 0:
		return "none match any more"
	case 1:
		return "1 now matches"
	}
	return thousands(n) + " now match"
}

// matchingOffer is the "Select all N" line of a queue tab whose changes
// fill more than the page: what it offers, and what it saw (sel, the
// queue's Store.PendingSummary), which the form posts back for matchingIDs to
// compare.
func matchingOffer(q teamUpdatesQuery, sel models.Selection, onPage int) teamupdates.Matching {
	if sel.Count <= int64(onPage) {
		return teamupdates.Matching{}
	}
	scope := "in " + queueLabels[q.queue]
	if q.filtered() {
		scope += " matching these filters"
	}
	return teamupdates.Matching{
		Offer: true, OnPage: thousands(int64(onPage)), Count: thousands(sel.Count), Scope: scope,
		TooMany: sel.Count > maxDecideMatching, Limit: thousands(maxDecideMatching),
		ExpectCount: strconv.FormatInt(sel.Count, 10), ExpectMaxID: strconv.FormatInt(sel.MaxID, 10),
		ExpectIDSum: strconv.FormatInt(sel.IDSum, 10),
	}
}

// decisionFlash reports a decision: "Approved 12 changes. 3 were already
// decided."
func decisionFlash(verb, participle string, done, skipped int) (kind, msg string) {
	already := ""
	switch {
	case skipped == 1:
		already = "1 was already decided or replaced by newer data."
	case skipped > 1:
		already = fmt.Sprintf("%s were already decided or replaced by newer data.", thousands(int64(skipped)))
	}
	if done == 0 {
		return "info", joinNonEmpty(" ", "Nothing was "+participle+".", already)
	}
	return "success", joinNonEmpty(" ", fmt.Sprintf("%s %s.", verb, plural(done, "change", "changes")), already)
}

// plural is "1 change" or "12 changes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(int64(n)) + " " + many
}

// actionRetry puts a failed action back on the schedule, at once (admins).
func (s *Server) actionRetry(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	q := parseTeamUpdatesQuery(c)
	if c.QueryParam("tab") == "" {
		q.tab = "failed"
	}
	back := q.hereURL()
	if s.decider == nil {
		return errors.New("web: no decider configured")
	}
	err = s.decider.Retry(c.Request().Context(), actor(c), id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, models.ErrReplanned):
		return s.redirectWithFlash(c, back, "error", "Not retried: "+models.ErrReplanned.Error()+". The person's page shows what is planned now.")
	case errors.Is(err, models.ErrNotPending):
		return s.redirectWithFlash(c, back, "info", "That action has not failed (any more): there is nothing to retry.")
	case err != nil:
		return err
	}
	return s.redirectWithFlash(c, back, "success", "The action runs again now and leaves the Failed tab.")
}

// listDecided fills a tab of decided changes, a page by keyset as the
// queues are, with each change's actions loaded in one query for the page.
func (s *Server) listDecided(c echo.Context, q teamUpdatesQuery, tab decidedTab, v *teamupdates.View) (teamUpdatesList, error) {
	ctx := c.Request().Context()
	page, total, err := s.store.DecidedPage(ctx, models.DecidedFilter{Statuses: tab.statuses, SourceID: q.source,
		Department: q.department, Search: q.search, Latest: tab.latest}, q.pageRequest())
	if err != nil {
		return teamUpdatesList{}, err
	}
	rows := page.Rows
	counts, err := s.store.ChangeCounts(ctx, q.changeFilter())
	if err != nil {
		return teamUpdatesList{}, err
	}
	l := teamUpdatesList{total: total, counts: counts, pager: teamUpdatesKeysetPager(q, page, total)}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	actions, err := s.store.ActionsOfChanges(ctx, ids)
	if err != nil {
		return teamUpdatesList{}, err
	}
	cat, err := s.catalogue(ctx, rows)
	if err != nil {
		return teamUpdatesList{}, err
	}
	v.DecidedTab = true
	v.Decided = []teamupdates.DecidedRow{}
	// Admins retry failures and read what the app answered; everyone
	// else sees the status and Roster's own words, since an app's answer
	// can carry what Roster should not show widely even after redaction.
	isAdmin := currentAdmin(c).Role.AtLeast(models.RoleAdmin)
	retryQuery := "?" + q.here().Encode()
	now := time.Now()
	for _, r := range rows {
		d := cat.decidedRow(&r.Change, &r.Person, actions[r.ID], now)
		for i := range d.Failures {
			if isAdmin {
				d.Failures[i].RetryURL = fmt.Sprintf("/team-updates/actions/%d/retry%s", d.Failures[i].ActionID, retryQuery)
			} else {
				d.Failures[i].Excerpt = ""
			}
		}
		v.Decided = append(v.Decided, d)
	}
	v.Empty = teamUpdatesEmpty(q)
	return l, nil
}

// changeStatusLabels name a decided change's status.
var changeStatusLabels = map[models.ChangeStatus]string{
	models.ChangeApproved:   "Approved",
	models.ChangeScheduled:  "Scheduled",
	models.ChangeRunning:    "Running",
	models.ChangeDone:       "Done",
	models.ChangeFailed:     "Failed",
	models.ChangeRejected:   "Rejected",
	models.ChangeSuperseded: "Superseded",
}

// decidedRow is a decided change as its tab lists it.
func (cat *catalogue) decidedRow(ch *models.Change, p *models.Person, actions []models.Action, now time.Time) teamupdates.DecidedRow {
	d := teamupdates.DecidedRow{Row: cat.row(ch, p, now), Status: string(ch.Status), StatusLabel: changeStatusLabels[ch.Status],
		Comment: ch.Comment, Auto: ch.AutoApproved}
	switch {
	case ch.DecidedBy != "" && ch.Status == models.ChangeRejected:
		d.Decision = "Rejected by " + ch.DecidedBy
	case ch.DecidedBy != "" && ch.AutoApproved:
		d.Decision = "Approved by a rule"
	case ch.DecidedBy != "":
		d.Decision = "Approved by " + ch.DecidedBy
	case ch.Status == models.ChangeSuperseded:
		d.Decision = "Replaced by newer HR data or rules before anyone decided"
	}
	if ch.DecidedBy != "" && ch.Status == models.ChangeSuperseded {
		d.Decision += ", then replaced by newer HR data or rules before all of it ran"
		if ch.SupersededByID != nil {
			d.Decision += fmt.Sprintf(" (change %d)", *ch.SupersededByID)
		}
	}
	if ch.DecidedAt != nil {
		d.DecidedAt = formatTime(*ch.DecidedAt)
	} else if ch.Status == models.ChangeSuperseded {
		d.DecidedAt = formatTime(ch.UpdatedAt)
	}
	index := map[int64]int{}
	for _, a := range actions {
		i, ok := index[a.AppID]
		if !ok {
			i = len(d.Apps)
			index[a.AppID] = i
			d.Apps = append(d.Apps, teamupdates.AppActions{App: cat.appName(a.AppID)})
		}
		text := cat.actionText(&a)
		line := teamupdates.ActionLine{Text: text, Status: string(a.Status), Note: actionNote(&a)}
		if a.Retrying() {
			line.Status, line.Note = "retrying", ""
			d.Retries = append(d.Retries, teamupdates.Retry{What: cat.appName(a.AppID) + ": " + text, Note: retryingNote(&a)})
		}
		d.Apps[i].Actions = append(d.Apps[i].Actions, line)
		if a.Status == models.ActionFailed {
			d.Failures = append(d.Failures, actionFailure(&a, cat.appName(a.AppID)+": "+text))
		}
	}
	// A change still being carried out says so when an app keeps failing,
	// in warning colours instead of a calm "Scheduled".
	if len(d.Retries) > 0 && (ch.Status == models.ChangeScheduled || ch.Status == models.ChangeRunning || ch.Status == models.ChangeApproved) {
		d.Status, d.StatusLabel = "retrying", "Retrying"
	}
	return d
}

// retryingNote is "Retrying (attempt N, next at T): reason" for an action
// being retried.
func retryingNote(a *models.Action) string {
	when := fmt.Sprintf("attempt %d", a.Attempts)
	if a.NextAttemptAt != nil {
		when += ", next at " + formatTime(*a.NextAttemptAt)
	}
	return "Retrying (" + when + "): " + a.LastError
}

// actionText says what an action does, as its plan step did.
func (cat *catalogue) actionText(a *models.Action) string {
	st := models.PlanStep{Op: a.Op, AppID: a.AppID, Params: a.Params, Previous: a.Previous}
	if a.EntitlementID != nil {
		st.EntitlementID = *a.EntitlementID
	}
	return cat.stepText(st)
}

// actionNote is what is worth saying beside an action's mark: how many
// attempts it took so far and the last error while it is still trying.
func actionNote(a *models.Action) string {
	switch a.Status {
	case models.ActionScheduled, models.ActionRunning:
		if a.Attempts == 0 {
			return ""
		}
		return joinNonEmpty(": ", fmt.Sprintf("attempt %d", a.Attempts), a.LastError)
	case models.ActionCancelled:
		return "cancelled"
	}
	return ""
}

// actionFailure is a failed action with what the app said.
func actionFailure(a *models.Action, what string) teamupdates.Failure {
	f := teamupdates.Failure{ActionID: a.ID, What: what, Error: a.LastError, Excerpt: a.ResponseExcerpt,
		Attempts: "after " + plural(a.Attempts, "attempt", "attempts")}
	if a.Attempts == 0 {
		f.Attempts = "before its first attempt"
	}
	if f.Error == "" {
		f.Error = "no error was recorded"
	}
	if a.ResponseStatus != 0 {
		f.Response = fmt.Sprintf("HTTP %d", a.ResponseStatus)
	}
	return f
}
