package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/web/browsertest"
)

// executeJobs counts the River jobs that carry out actions.
func (s *testServer) executeJobs(t *testing.T) int64 {
	t.Helper()
	var n int64
	require.NoError(t, s.DB.Gorm.Raw("SELECT count(*) FROM river_job WHERE kind = ?", "execute_action").Scan(&n).Error)
	return n
}

// changeStatus reloads a change's status.
func (s *testServer) changeStatus(t *testing.T, id int64) models.ChangeStatus {
	t.Helper()
	c, err := s.Store.ChangeByID(context.Background(), id)
	require.NoError(t, err)
	return c.Status
}

func (s *testServer) actionsOf(t *testing.T, changeID int64) []models.Action {
	t.Helper()
	actions, err := s.Store.ActionsOf(context.Background(), changeID)
	require.NoError(t, err)
	return actions
}

func idValues(ids ...int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// decidedEmails are the people of the listed decided changes, in order.
func decidedEmails(p *page) []string {
	var out []string
	p.TestID("decided-row").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-person", ""))
	})
	return out
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestApproveChanges(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		me := b.signInAs(models.RoleApprover)
		_, ada := f.joiner(personSpec{first: "Ada", last: "Lovelace", department: "Engineering"})
		_, bob := f.joiner(personSpec{first: "Bob", last: "Builder", department: "Engineering"})
		_, cy := f.joiner(personSpec{first: "Cy", last: "Coder", department: "Engineering"})
		_, dee := f.joiner(personSpec{first: "Dee", last: "Sales", department: "Sales"})

		p := b.get("/team-updates?tab=invite&department=Engineering")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 3, p.TestID("select-row").Length(), "a checkbox per row")
		require.Equal(t, 1, p.TestID("select-all").Length())
		require.Equal(t, 1, p.TestID("decision-bar").Length())
		require.Equal(t, 3, p.TestID("approve-row").Length())
		require.Equal(t, 3, p.TestID("reject-row").Length())
		approveURL := p.TestID("approve-selected").AttrOr("formaction", "")
		require.Equal(t, "/team-updates/approve?department=Engineering&tab=invite", approveURL, "the decision keeps the tab and filters")
		require.Equal(t, strconv.FormatInt(ada.ID, 10), p.TestID("approve-row").First().AttrOr("value", ""))
		require.Equal(t, "row", p.TestID("approve-row").First().AttrOr("name", ""))

		// One row's button decides that row, whatever else is ticked.
		p = b.post(approveURL, url.Values{"row": {strconv.FormatInt(ada.ID, 10)}, "ids": idValues(bob.ID)})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Approved 1 change.", p.Flash("success"))
		require.Equal(t, []string{"bob.builder@example.com", "cy.coder@example.com"}, rowEmails(p))
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, ada.ID))
		require.Equal(t, models.ChangePending, srv.changeStatus(t, bob.ID))
		actions := srv.actionsOf(t, ada.ID)
		require.Len(t, actions, 1)
		require.Equal(t, models.ActionScheduled, actions[0].Status)
		require.Equal(t, ada.EffectiveAt.UTC(), actions[0].RunAt.UTC(), "it runs at the effective time")
		require.EqualValues(t, 1, srv.executeJobs(t), "its job is inserted with it")

		// Many at once, with a comment; junk ids are ignored.
		p = b.post(approveURL, url.Values{"ids": append(idValues(bob.ID, cy.ID, bob.ID), "junk", "-3", ""), "comment": {"  Start dates confirmed  "}})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Approved 2 changes.", p.Flash("success"))
		require.Empty(t, rowEmails(p))
		require.EqualValues(t, 3, srv.executeJobs(t))
		for _, id := range []int64{bob.ID, cy.ID} {
			c, err := srv.Store.ChangeByID(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, models.ChangeScheduled, c.Status)
			require.Equal(t, me.Email, c.DecidedBy)
			require.Equal(t, "Start dates confirmed", c.Comment)
			require.Len(t, srv.actionsOf(t, id), 1)
		}
		events := srv.auditEvents(t, models.ActionChangeApproved)
		require.Len(t, events, 3, "every decision is an audit event")
		require.Equal(t, me.Email, events[0].ActorEmail)

		// Twice is once: the second approval is skipped and says so.
		p = b.post("/team-updates/approve?tab=invite", url.Values{"ids": idValues(ada.ID, dee.ID)})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Approved 1 change. 1 was already decided or replaced by newer data.", p.Flash("success"))
		p = b.post("/team-updates/approve?tab=invite", url.Values{"row": idValues(ada.ID)})
		p = b.get(p.Location())
		require.Equal(t, "Nothing was approved. 1 was already decided or replaced by newer data.", p.Flash("info"))
		require.Len(t, srv.actionsOf(t, ada.ID), 1, "no second set of actions")
		require.EqualValues(t, 4, srv.executeJobs(t))
		require.Len(t, srv.auditEvents(t, models.ActionChangeApproved), 4)

		// Nothing selected.
		p = b.post("/team-updates/approve?tab=update&page=2", url.Values{"ids": {"x"}})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?page=2&tab=update")
		p = b.get("/team-updates?tab=update")
		require.Equal(t, "Select at least one change first.", p.Flash("error"))

		// The Scheduled tab lists them, soonest first, with who decided.
		p = b.get("/team-updates?tab=scheduled")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("tab-scheduled").HasClass("active"))
		require.Equal(t, "4", tabCount(p, "scheduled"))
		require.Equal(t, "0", tabCount(p, "invite"))
		require.Equal(t, []string{"ada.lovelace@example.com", "bob.builder@example.com", "cy.coder@example.com", "dee.sales@example.com"}, decidedEmails(p))
		bobRow := p.TestID("decided-row").Eq(1)
		require.Equal(t, "Approved by "+me.Email, squash(bobRow.Find(`[data-testid="decided-by"]`).Text()))
		require.Equal(t, "Start dates confirmed", squash(bobRow.Find(`[data-testid="decision-comment"]`).Text()))
		require.Equal(t, "Scheduled", squash(bobRow.Find(`[data-testid="status-badge"]`).Text()))
		require.Equal(t, "GitHub: create account ◷ (scheduled)", squash(bobRow.Find(`[data-testid="action-app"]`).Text()))
		require.Zero(t, p.TestID("select-row").Length(), "decided changes are not decided again")
	})
}

func TestRejectChanges(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		me := b.signInAs(models.RoleAdmin)
		_, ada := f.joiner(personSpec{first: "Ada", last: "Lovelace"})
		_, bob := f.joiner(personSpec{first: "Bob", last: "Builder"})

		p := b.get("/team-updates")
		reject := p.TestID("reject-selected").AttrOr("formaction", "")
		require.Equal(t, "/team-updates/reject?tab=invite", reject)
		p = b.post(reject, url.Values{"row": idValues(ada.ID), "comment": {"Offer withdrawn"}})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Rejected 1 change.", p.Flash("success"))
		require.Equal(t, []string{"bob.builder@example.com"}, rowEmails(p))
		require.Equal(t, models.ChangeRejected, srv.changeStatus(t, ada.ID))
		require.Empty(t, srv.actionsOf(t, ada.ID))
		require.Zero(t, srv.executeJobs(t))
		events := srv.auditEvents(t, models.ActionChangeRejected)
		require.Len(t, events, 1)
		require.Equal(t, me.Email, events[0].ActorEmail)

		p = b.get("/team-updates?tab=history")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "1", tabCount(p, "history"))
		require.Equal(t, []string{"ada.lovelace@example.com"}, decidedEmails(p))
		row := p.TestID("decided-row")
		require.Equal(t, "Rejected", squash(row.Find(`[data-testid="status-badge"]`).Text()))
		require.Equal(t, "Rejected by "+me.Email, squash(row.Find(`[data-testid="decided-by"]`).Text()))
		require.NotEmpty(t, squash(row.Find(`[data-testid="decided-at"]`).Text()))
		require.Equal(t, "Offer withdrawn", squash(row.Find(`[data-testid="decision-comment"]`).Text()))
		require.Contains(t, squash(row.Find(`[data-testid="outcome"]`).Text()), "Not carried out.")

		p = b.post(reject, url.Values{"ids": idValues(ada.ID)})
		p = b.get(p.Location())
		require.Equal(t, "Nothing was rejected. 1 was already decided or replaced by newer data.", p.Flash("info"))
		require.Equal(t, models.ChangePending, srv.changeStatus(t, bob.ID))

		p = b.post(reject, url.Values{"ids": idValues(bob.ID), "comment": {strings.Repeat("x", 1001)}})
		p = b.get(p.Location())
		require.Equal(t, "Keep the comment under 1,000 characters.", p.Flash("error"))
		require.Equal(t, models.ChangePending, srv.changeStatus(t, bob.ID))
	})
}

func TestViewersCannotDecide(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		_, ada := f.joiner(personSpec{first: "Ada", last: "Lovelace"})
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		p := b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"ada.lovelace@example.com"}, rowEmails(p))
		for _, id := range []string{"select-row", "select-all", "decision-bar", "decide-form", "approve-row", "reject-row", "approve-selected"} {
			require.Zero(t, p.TestID(id).Length(), id)
		}
		b.post("/team-updates/approve?tab=invite", url.Values{"ids": idValues(ada.ID)}).requireStatus(http.StatusForbidden)
		b.post("/team-updates/reject?tab=invite", url.Values{"ids": idValues(ada.ID)}).requireStatus(http.StatusForbidden)
		require.Equal(t, models.ChangePending, srv.changeStatus(t, ada.ID))
		require.Empty(t, srv.auditEvents(t, models.ActionChangeApproved))

		// More than a page: still nothing to select, and "all" is refused.
		ids := []int64{ada.ID}
		for i := range teamUpdatesPageSize {
			_, c := f.joiner(personSpec{first: "Many", last: fmt.Sprintf("Joiner%02d", i)})
			ids = append(ids, c.ID)
		}
		p = b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.Equal(t, teamUpdatesPageSize, p.TestID("change-row").Length())
		require.Zero(t, p.TestID("select-matching").Length())
		b.post("/team-updates/approve?tab=invite", matchingValues(ids)).requireStatus(http.StatusForbidden)
		b.post("/team-updates/reject?tab=invite", matchingValues(ids)).requireStatus(http.StatusForbidden)
		require.Equal(t, models.ChangePending, srv.changeStatus(t, ids[len(ids)-1]))
		require.Empty(t, srv.auditEvents(t, models.ActionChangeApproved))
		require.Empty(t, srv.auditEvents(t, models.ActionChangeRejected))
	})
}

// failedChange approves a joiner's change whose second action then fails
// for good after two attempts, the first one noted as a retry.
func failedChange(t *testing.T, srv *testServer, f *queueFixture, s personSpec) (*models.Change, []models.Action) {
	t.Helper()
	ctx := context.Background()
	p := f.person(s)
	c := f.change(p, models.Change{Kind: models.ChangeJoin, RuleNames: "Engineering",
		Plan: []models.PlanStep{{Op: "create_account", AppID: f.github.ID}, {Op: "grant", AppID: f.github.ID, EntitlementID: f.eng.ID}}},
		rules.Why{Trigger: "joined"})
	_, _, err := srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{c.ID}}, time.Now(), noSchedule)
	require.NoError(t, err)
	actions := srv.actionsOf(t, c.ID)
	now := time.Now()
	_, _, err = srv.Store.StartAttempt(ctx, actions[0].ID, now)
	require.NoError(t, err)
	require.NoError(t, srv.Store.CompleteAction(ctx, models.CLIActor, actions[0].ID, models.AttemptResult{ResponseStatus: 201}, now))
	_, _, err = srv.Store.StartAttempt(ctx, actions[1].ID, now)
	require.NoError(t, err)
	require.NoError(t, srv.Store.RecordRetry(ctx, actions[1].ID, models.AttemptResult{ResponseStatus: 503, Error: "503 Service Unavailable"}, now))
	_, _, err = srv.Store.StartAttempt(ctx, actions[1].ID, now)
	require.NoError(t, err)
	require.NoError(t, srv.Store.FailAction(ctx, models.CLIActor, actions[1].ID, models.AttemptResult{
		ResponseStatus: 422, ResponseExcerpt: `{"error":"team eng does not exist"}`, Error: "422 Unprocessable Entity: the app refused the grant"}, now))
	return c, srv.actionsOf(t, c.ID)
}

// noSchedule approves without inserting jobs, for fixtures.
func noSchedule(*models.Store, []*models.Action) error { return nil }

func TestDecidedTabs(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		ctx := context.Background()

		// Scheduled: one auto-approved, one running with a retry noted.
		_, auto := f.joiner(personSpec{first: "Auto", last: "Approved"})
		_, _, err := srv.Store.ApproveChanges(ctx, models.Actor{Email: "rule"}, models.Decision{ChangeIDs: []int64{auto.ID}, Auto: true}, time.Now(), noSchedule)
		require.NoError(t, err)
		_, busy := f.joiner(personSpec{first: "Busy", last: "Running"})
		_, _, err = srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{busy.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		busyAction := srv.actionsOf(t, busy.ID)[0]
		_, _, err = srv.Store.StartAttempt(ctx, busyAction.ID, time.Now())
		require.NoError(t, err)
		_, _, err = srv.Store.StartAttempt(ctx, busyAction.ID, time.Now())
		require.NoError(t, err)
		nextAt := time.Date(2031, 1, 2, 14, 5, 0, 0, time.UTC)
		require.NoError(t, srv.Store.RecordRetry(ctx, busyAction.ID, models.AttemptResult{ResponseStatus: 503, Error: "503 Service Unavailable",
			NextAttemptAt: nextAt}, time.Now()))
		// Failed.
		failed, actions := failedChange(t, srv, f, personSpec{first: "Fay", last: "Failed"})
		// History: done, rejected and superseded.
		_, done := f.joiner(personSpec{first: "Don", last: "Done"})
		_, _, err = srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{done.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		require.NoError(t, srv.Store.CompleteAction(ctx, models.CLIActor, srv.actionsOf(t, done.ID)[0].ID, models.AttemptResult{}, time.Now()))
		_, rejected := f.joiner(personSpec{first: "Rey", last: "Rejected"})
		_, _, err = srv.Store.RejectChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{rejected.ID}, Comment: "duplicate"}, time.Now())
		require.NoError(t, err)
		sam, _ := f.joiner(personSpec{first: "Sam", last: "Superseded"})
		f.change(sam, models.Change{Kind: models.ChangeJoin, RuleNames: "Everyone", EffectiveAt: time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC)}, rules.Why{Trigger: "changed"})

		b := srv.browser(t)
		b.signInAs(models.RoleApprover)
		p := b.get("/team-updates?tab=scheduled")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "2", tabCount(p, "scheduled"))
		require.Equal(t, "1", tabCount(p, "failed"))
		require.Equal(t, "3", tabCount(p, "history"))
		require.Equal(t, "1", tabCount(p, "invite"), "Sam's newer change waits")
		require.Equal(t, []string{"auto.approved@example.com", "busy.running@example.com"}, decidedEmails(p))
		autoRow, busyRow := p.TestID("decided-row").Eq(0), p.TestID("decided-row").Eq(1)
		require.Equal(t, 1, autoRow.Find(`[data-testid="auto-badge"]`).Length())
		require.Equal(t, "Approved by a rule", squash(autoRow.Find(`[data-testid="decided-by"]`).Text()))
		require.Zero(t, busyRow.Find(`[data-testid="auto-badge"]`).Length())
		require.Equal(t, "GitHub: create account ↻ (retrying)", squash(busyRow.Find(`[data-testid="action-app"]`).Text()))
		// An action being retried is a warning, not a calm "Scheduled".
		require.Equal(t, "retrying", busyRow.AttrOr("data-status", ""))
		badge := busyRow.Find(`[data-testid="status-badge"]`)
		require.Equal(t, "Retrying", squash(badge.Text()))
		require.True(t, badge.HasClass("badge-warn"))
		require.Equal(t, "Scheduled", squash(autoRow.Find(`[data-testid="status-badge"]`).Text()))
		require.Equal(t, "GitHub: create account: Retrying (attempt 2, next at 2031-01-02 14:05 UTC): 503 Service Unavailable",
			squash(busyRow.Find(`[data-testid="action-retry"]`).Text()))

		p = b.get("/team-updates?tab=failed")
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"fay.failed@example.com"}, decidedEmails(p))
		row := p.TestID("decided-row")
		require.Equal(t, "failed", row.AttrOr("data-status", ""))
		require.Equal(t, "GitHub: create account ✓ (done), grant eng (role) ✗ (failed)", squash(row.Find(`[data-testid="action-app"]`).Text()))
		fail := row.Find(`[data-testid="action-failure"]`)
		require.Equal(t, 1, fail.Length())
		require.Contains(t, squash(fail.Text()), "GitHub: grant eng (role) failed after 2 attempts: 422 Unprocessable Entity: the app refused the grant")
		// Below admin, the status and Roster's words, never the app's answer.
		require.Contains(t, squash(fail.Text()), "The app answered HTTP 422.")
		require.Zero(t, fail.Find(`[data-testid="response-excerpt"]`).Length(), "approvers do not read what the app answered")
		require.NotContains(t, p.Body, "team eng does not exist")
		require.Zero(t, fail.Find(`[data-testid="retry-action"]`).Length(), "approvers do not retry")
		retryPath := fmt.Sprintf("/team-updates/actions/%d/retry?tab=failed", actions[1].ID)
		b.post(retryPath, nil).requireStatus(http.StatusForbidden)

		p = b.get("/team-updates?tab=history")
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"sam.superseded@example.com", "rey.rejected@example.com", "don.done@example.com"}, decidedEmails(p), "latest first")
		samRow := p.TestID("decided-row").Eq(0)
		require.Equal(t, "Superseded", squash(samRow.Find(`[data-testid="status-badge"]`).Text()))
		require.Contains(t, squash(samRow.Find(`[data-testid="decided-by"]`).Text()), "Replaced by newer HR data or rules")
		require.Equal(t, "Done", squash(p.TestID("decided-row").Eq(2).Find(`[data-testid="status-badge"]`).Text()))
		require.Equal(t, "GitHub: create account ✓ (done)", squash(p.TestID("decided-row").Eq(2).Find(`[data-testid="action-app"]`).Text()))

		p = b.get("/team-updates?tab=history&q=rey")
		require.Equal(t, []string{"rey.rejected@example.com"}, decidedEmails(p), "filters apply")
		require.Equal(t, "1", tabCount(p, "history"))

		// An admin retries the failed action: the change is scheduled again.
		admin := srv.browser(t)
		me := admin.signInAs(models.RoleAdmin)
		p = admin.get("/team-updates?tab=failed")
		adminFail := p.TestID("action-failure")
		require.Contains(t, squash(adminFail.Text()), "What the app answered (HTTP 422)")
		require.Equal(t, `{"error":"team eng does not exist"}`, adminFail.Find(`[data-testid="response-excerpt"]`).Text())
		form := p.TestID("retry-action").Closest("form")
		require.Equal(t, retryPath, form.AttrOr("action", ""))
		p = admin.post(retryPath, nil)
		p.requireRedirect(http.StatusSeeOther, "/team-updates?tab=failed")
		p = admin.get(p.Location())
		require.Contains(t, p.Flash("success"), "runs again now")
		require.Empty(t, decidedEmails(p))
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, failed.ID))
		a, err := srv.Store.ActionByID(ctx, actions[1].ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionScheduled, a.Status)
		require.GreaterOrEqual(t, srv.executeJobs(t), int64(1), "its job is inserted again")
		events := srv.auditEvents(t, models.ActionActionRetried)
		require.Len(t, events, 1)
		require.Equal(t, me.Email, events[0].ActorEmail)
		p = admin.get("/team-updates?tab=scheduled")
		require.Contains(t, decidedEmails(p), "fay.failed@example.com")

		p = admin.post(retryPath, nil)
		p = admin.get(p.Location())
		require.Contains(t, p.Flash("info"), "nothing to retry")
		admin.post("/team-updates/actions/999999/retry", nil).requireStatus(http.StatusNotFound)
	})
}

func TestDecidedTabsEmpty(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		for tab, says := range map[string]string{
			"scheduled": "Approved changes wait here",
			"failed":    "admins can retry",
			"history":   "who decided and when",
		} {
			p := b.get("/team-updates?tab=" + tab)
			p.requireStatus(http.StatusOK)
			require.True(t, p.TestID("tab-"+tab).HasClass("active"), tab)
			require.Contains(t, p.Text("team-updates-empty"), says, tab)
			require.Equal(t, "0", tabCount(p, tab))
		}
	})
}

// teamUpdatesPageSize is how many changes a Team Updates page lists.
const teamUpdatesPageSize = 50

// matchingValues is a "decide all that match" form for a queue whose
// matching changes are ids, as the page offering it would post it.
func matchingValues(ids []int64) url.Values {
	sel := models.SelectionOf(ids)
	return url.Values{"scope": {"all"}, "expect_count": {strconv.FormatInt(sel.Count, 10)},
		"expect_max_id": {strconv.FormatInt(sel.MaxID, 10)}, "expect_id_sum": {strconv.FormatInt(sel.IDSum, 10)}}
}

// matchingForm is what the decision form of p posts once its rows are all
// ticked and "Select all N" is chosen: the rows, scope=all and the
// selection the page saw.
func matchingForm(p *page) url.Values {
	form := url.Values{"scope": {"all"}}
	p.TestID("select-matching").Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	p.TestID("select-row").Each(func(_ int, s *goquery.Selection) {
		form.Add("ids", s.AttrOr("value", ""))
	})
	return form
}

func TestDecideAllMatching(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		me := b.signInAs(models.RoleApprover)
		var engineers []*models.Person
		for i := range 60 {
			p, _ := f.joiner(personSpec{first: "Eng", last: fmt.Sprintf("Person%02d", i), department: "Engineering"})
			engineers = append(engineers, p)
		}
		var sales []int64
		for i := range 3 {
			_, c := f.joiner(personSpec{first: "Sal", last: fmt.Sprintf("Person%02d", i), department: "Sales"})
			sales = append(sales, c.ID)
		}

		// 50 of 60 on the page: the page offers all 60.
		const list = "/team-updates?tab=invite&department=Engineering"
		p := b.get(list)
		p.requireStatus(http.StatusOK)
		require.Equal(t, teamUpdatesPageSize, p.TestID("select-row").Length())
		require.Equal(t, 1, p.TestID("select-matching").Length())
		require.Contains(t, squash(p.Text("select-matching")), "All 50 on this page are selected.")
		require.Equal(t, "Select all 60 in To Invite matching these filters", squash(p.Text("select-all-matching")))
		require.Equal(t, "All 60 in To Invite matching these filters are selected. Clear selection", squash(p.Text("all-matching-selected")))
		scope := p.TestID("select-matching-scope")
		require.Equal(t, "scope", scope.AttrOr("name", ""), "without JavaScript it is a plain checkbox")
		require.Equal(t, "all", scope.AttrOr("value", ""))
		require.Equal(t, 1, scope.Closest("form").Length(), "inside the decision form")
		approveURL := p.TestID("approve-selected").AttrOr("formaction", "")
		require.Equal(t, "/team-updates/approve?department=Engineering&tab=invite", approveURL)
		seen := matchingForm(p)
		require.Equal(t, "60", seen.Get("expect_count"))

		p = b.get("/team-updates?tab=invite")
		require.Equal(t, "Select all 63 in To Invite", squash(p.Text("select-all-matching")), "no filters, no 'matching these filters'")
		p = b.get("/team-updates?tab=invite&department=Sales")
		require.Zero(t, p.TestID("select-matching").Length(), "everything is on the page")

		pending := func() {
			t.Helper()
			require.Zero(t, srv.executeJobs(t))
			require.Empty(t, srv.auditEvents(t, models.ActionChangeApproved))
			counts, err := srv.Store.QueueCounts(context.Background(), models.ChangeFilter{})
			require.NoError(t, err)
			require.EqualValues(t, 64, counts[models.QueueInvite])
		}

		// Someone joins after the page was loaded: nothing is decided, and
		// the tab comes back with the news and the comment.
		late, _ := f.joiner(personSpec{first: "Late", last: "Comer", department: "Engineering"})
		seen.Set("comment", "Start dates confirmed")
		p = b.post(approveURL, seen)
		p.requireStatus(http.StatusConflict)
		require.Equal(t, "The queue changed since you looked: 61 now match. Check and approve again.", p.Flash("error"))
		require.Equal(t, "Start dates confirmed", p.TestID("decide-comment").AttrOr("value", ""))
		require.Equal(t, "Select all 61 in To Invite matching these filters", squash(p.Text("select-all-matching")))
		pending()

		// The same count but not the same changes: one was replaced by
		// newer data.
		seen = matchingForm(b.get(list))
		require.Equal(t, "61", seen.Get("expect_count"))
		f.change(engineers[0], models.Change{Kind: models.ChangeJoin, RuleNames: "Everyone",
			Plan: []models.PlanStep{{Op: "create_account", AppID: f.laptop.ID}}}, rules.Why{Trigger: "changed"})
		p = b.post(approveURL, seen)
		p.requireStatus(http.StatusConflict)
		require.Equal(t, "The queue changed since you looked: 61 now match. Check and approve again.", p.Flash("error"))
		pending()

		// As seen: exactly the filtered changes, in one go.
		seen = matchingForm(b.get(list))
		seen.Set("comment", "Start dates confirmed")
		p = b.post(approveURL, seen)
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Approved 61 changes.", p.Flash("success"))
		require.Empty(t, rowEmails(p))
		require.Equal(t, "0", tabCount(p, "invite"))
		require.EqualValues(t, 61, srv.executeJobs(t))
		events := srv.auditEvents(t, models.ActionChangeApproved)
		require.Len(t, events, 61, "one audit event per change")
		require.Equal(t, me.Email, events[0].ActorEmail)
		for _, person := range append(engineers, late) {
			rows, _, err := srv.Store.ListDecided(context.Background(), models.DecidedFilter{
				Statuses: []models.ChangeStatus{models.ChangeScheduled}, Search: person.WorkEmail})
			require.NoError(t, err)
			require.Len(t, rows, 1, person.WorkEmail)
			require.Equal(t, "Start dates confirmed", rows[0].Comment)
		}
		for _, id := range sales {
			require.Equal(t, models.ChangePending, srv.changeStatus(t, id), "other departments wait")
		}

		// A row's own button decides that row alone, even with all chosen.
		form := matchingValues(sales)
		form.Set("row", strconv.FormatInt(sales[0], 10))
		p = b.post("/team-updates/reject?tab=invite&department=Sales", form)
		p = b.get(p.Location())
		require.Equal(t, "Rejected 1 change.", p.Flash("success"))

		// Rejecting all that match works the same way.
		p = b.post("/team-updates/reject?tab=invite&department=Sales", matchingValues(sales))
		p.requireStatus(http.StatusConflict)
		require.Equal(t, "The queue changed since you looked: 2 now match. Check and reject again.", p.Flash("error"))
		p = b.post("/team-updates/reject?tab=invite&department=Sales", matchingValues(sales[1:]))
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Sales&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Rejected 2 changes.", p.Flash("success"))
		require.Len(t, srv.auditEvents(t, models.ActionChangeRejected), 3)

		// What the page saw must come with "all".
		p = b.post(approveURL, url.Values{"scope": {"all"}, "expect_count": {"3"}})
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "The selection could not be read: select the changes again.", p.Flash("error"))
		p = b.post("/team-updates/approve?tab=history", matchingValues(sales))
		p = b.get(p.Location())
		require.Equal(t, "Only pending changes are decided: choose a queue tab.", p.Flash("error"))
	})
}

// TestDecideAllMatchingLimit: more than 10,000 matching changes are not
// offered, and not decided at once.
func TestDecideAllMatchingLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		const n = 10001
		db := srv.DB.Gorm
		require.NoError(t, db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO people (source_id, external_id, first_name, last_name, work_email, department, status)
			SELECT ?, 'BULK' || i, 'Bulk', 'Person' || i, 'bulk' || i || '@example.com', 'Bulk', 'active' FROM n`, n, f.hr.ID).Error)
		require.NoError(t, db.Exec(`INSERT INTO changes (person_id, kind, status, effective_at)
			SELECT id, 'join', 'pending', ? FROM people WHERE department = 'Bulk'`, time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)).Error)
		b := srv.browser(t)
		b.signInAs(models.RoleOwner)

		p := b.get("/team-updates?tab=invite")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "10,001 in To Invite: more than one decision takes (at most 10,000). Narrow the filters to decide them all at once.",
			squash(p.Text("select-matching-too-many")))
		require.Zero(t, p.TestID("select-all-matching").Length())
		require.Zero(t, p.TestID("select-matching-scope").Length())

		var ids []int64
		require.NoError(t, db.Raw("SELECT id FROM changes ORDER BY id").Scan(&ids).Error)
		p = b.post("/team-updates/approve?tab=invite", matchingValues(ids))
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "More than 10,000 changes match: decide at most 10,000 at once. Narrow the filters and approve again.", p.Flash("error"))
		require.Zero(t, srv.executeJobs(t))
		require.Empty(t, srv.auditEvents(t, models.ActionChangeApproved))
	})
}

// shown reports whether the element css selects is rendered.
func shown(css string) chromedp.Action[bool] {
	return chromedp.Evaluate[bool](fmt.Sprintf(`(e => !!e && e.checkVisibility())(document.querySelector(%q))`, css))
}

// TestBrowserSelectAllMatching approves 60 joiners from a page of 50 in
// real Chromium: tick "select all on this page", then "Select all 60",
// then Approve.
func TestBrowserSelectAllMatching(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	f := newQueueFixture(t, srv)
	for i := range 60 {
		f.joiner(personSpec{first: "Eng", last: fmt.Sprintf("Person%02d", i), department: "Engineering"})
	}
	approver := srv.createAdmin(t, models.RoleApprover)
	ctx := browsertest.New(t, 60*time.Second)
	console := browsertest.WatchConsole(ctx)

	const (
		selectAll = `[data-testid=select-all]`
		offer     = `[data-testid=select-all-matching]`
		chosen    = `[data-testid=all-matching-selected]`
		scope     = `[data-testid=select-matching-scope]`
		firstRow  = `[data-testid=select-row]`
	)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+srv.loginLink(t, approver)),
		chromedp.Click(chromedp.CSS(`[data-testid=link-continue]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=current-user]`)),
		chromedp.Navigate(srv.URL+"/team-updates?tab=invite&department=Engineering"),
		chromedp.WaitVisible(chromedp.CSS(selectAll)),
	))
	for _, css := range []string{`[data-testid=select-matching]`, scope, offer} {
		visible, err := chromedp.Run(ctx, shown(css))
		require.NoError(t, err)
		require.False(t, visible, "%s before anything is ticked", css)
	}

	// Every row of the page: the offer appears; one row fewer: it goes.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selectAll)), chromedp.WaitVisible(chromedp.CSS(offer))))
	require.Contains(t, squash(browsertest.TextOf(t, ctx, `[data-testid=select-matching]`)),
		"All 50 on this page are selected. Select all 60 in To Invite matching these filters")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(firstRow)), chromedp.WaitNotVisible(chromedp.CSS(offer))))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(firstRow)), chromedp.WaitVisible(chromedp.CSS(offer))))

	// Select all 60, then approve them.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(offer)), chromedp.WaitVisible(chromedp.CSS(chosen))))
	require.Equal(t, "All 60 in To Invite matching these filters are selected. Clear selection", squash(browsertest.TextOf(t, ctx, chosen)))
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid=select-matching-scope]').checked`))
	require.NoError(t, err)
	require.True(t, checked, "the form posts scope=all")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=approve-selected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))
	require.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=flash-success]`), "Approved 60 changes.")
	require.EqualValues(t, 60, srv.executeJobs(t))
	require.Len(t, srv.auditEvents(t, models.ActionChangeApproved), 60)
	require.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")
}
