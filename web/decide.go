package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/teamupdates"
)

// maxDecision bounds how many changes one form decides: a page holds 50.
const maxDecision = 500

// decisionForm is a decision as posted from a queue tab: the ticked rows
// (ids), or one row's own button (row), with an optional comment.
type decisionForm struct {
	ids     []int64
	comment string
}

// parseDecisionForm reads the form leniently: ids that are not ids are
// ignored. A row's button decides that row alone, whatever is ticked.
func parseDecisionForm(c echo.Context) (decisionForm, string) {
	if _, err := c.FormParams(); err != nil {
		return decisionForm{}, "The form could not be read."
	}
	form := c.Request().PostForm
	raw := form["ids"]
	if row := form.Get("row"); row != "" {
		raw = []string{row}
	}
	f := decisionForm{comment: strings.TrimSpace(form.Get("comment"))}
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
	case utf8.RuneCountInString(f.comment) > 1000:
		return f, "Keep the comment under 1,000 characters."
	}
	return f, ""
}

// teamUpdatesApprove approves the ticked changes, or one row's: their
// actions and jobs are written in one transaction.
func (s *Server) teamUpdatesApprove(c echo.Context) error {
	return s.decide(c, "Approved", "approved", func(ctx context.Context, d models.Decision) ([]int64, []int64, error) {
		return s.decider.Approve(ctx, actor(c), d)
	})
}

// teamUpdatesReject rejects the ticked changes, or one row's.
func (s *Server) teamUpdatesReject(c echo.Context) error {
	return s.decide(c, "Rejected", "rejected", func(ctx context.Context, d models.Decision) ([]int64, []int64, error) {
		return s.decider.Reject(ctx, actor(c), d)
	})
}

// decide runs a decision and goes back to the same tab, filters and page.
func (s *Server) decide(c echo.Context, verb, participle string, run func(context.Context, models.Decision) ([]int64, []int64, error)) error {
	q := parseTeamUpdatesQuery(c)
	back := q.url(q.tab, q.page)
	f, problem := parseDecisionForm(c)
	if problem != "" {
		return s.redirectWithFlash(c, back, "error", problem)
	}
	if s.decider == nil {
		return errors.New("web: no decider configured")
	}
	done, skipped, err := run(c.Request().Context(), models.Decision{ChangeIDs: f.ids, Comment: f.comment})
	if err != nil {
		return err
	}
	kind, msg := decisionFlash(verb, participle, len(done), len(skipped))
	return s.redirectWithFlash(c, back, kind, msg)
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
	back := q.url(q.tab, q.page)
	if s.decider == nil {
		return errors.New("web: no decider configured")
	}
	err = s.decider.Retry(c.Request().Context(), actor(c), id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, models.ErrNotPending):
		return s.redirectWithFlash(c, back, "info", "That action has not failed (any more): there is nothing to retry.")
	case err != nil:
		return err
	}
	return s.redirectWithFlash(c, back, "success", "The action runs again now; its change is back in Scheduled.")
}

// listDecided fills a tab of decided changes, with each change's actions
// loaded in one query for the page.
func (s *Server) listDecided(c echo.Context, q teamUpdatesQuery, tab decidedTab, v *teamupdates.View) (int64, error) {
	ctx := c.Request().Context()
	rows, total, err := s.store.ListDecided(ctx, models.DecidedFilter{Statuses: tab.statuses, SourceID: q.source,
		Department: q.department, Search: q.search, Latest: tab.latest,
		Offset: (q.page - 1) * teamUpdatesPageSize, Limit: teamUpdatesPageSize})
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	actions, err := s.store.ActionsOfChanges(ctx, ids)
	if err != nil {
		return 0, err
	}
	cat, err := s.catalogue(ctx, rows)
	if err != nil {
		return 0, err
	}
	v.DecidedTab = true
	v.Decided = []teamupdates.DecidedRow{}
	canRetry := currentAdmin(c).Role.AtLeast(models.RoleAdmin)
	retryQuery := "?" + q.values(q.tab, q.page).Encode()
	now := time.Now()
	for _, r := range rows {
		d := cat.decidedRow(&r.Change, &r.Person, actions[r.ID], now)
		if canRetry {
			for i := range d.Failures {
				d.Failures[i].RetryURL = fmt.Sprintf("/team-updates/actions/%d/retry%s", d.Failures[i].ActionID, retryQuery)
			}
		}
		v.Decided = append(v.Decided, d)
	}
	v.Empty = teamUpdatesEmpty(q)
	return total, nil
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
		d.Apps[i].Actions = append(d.Apps[i].Actions, teamupdates.ActionLine{Text: text, Status: string(a.Status), Note: actionNote(&a)})
		if a.Status == models.ActionFailed {
			d.Failures = append(d.Failures, actionFailure(&a, cat.appName(a.AppID)+": "+text))
		}
	}
	return d
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
