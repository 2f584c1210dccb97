package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/web/browsertest"
)

// holds records that a person has an entitlement in app, granted by rule,
// as execution would have recorded it.
func (f *queueFixture) holds(p *models.Person, app *models.App, ent *models.Entitlement, rule *models.Rule) {
	f.t.Helper()
	db := f.srv.DB.Gorm
	var acct models.Account
	if err := db.Where("person_id = ? AND app_id = ?", p.ID, app.ID).First(&acct).Error; err != nil {
		acct = models.Account{PersonID: p.ID, AppID: app.ID, Status: models.AccountActive}
		require.NoError(f.t, db.Create(&acct).Error)
	}
	require.NoError(f.t, db.Create(&models.Grant{AccountID: acct.ID, EntitlementID: ent.ID, Params: map[string]string{}, RuleID: &rule.ID}).Error)
}

// leaverWithAnImmediateGrant is issue 8's leaver, planned by the planner:
// in Europe/Berlin, last day 30 June 2030, holding GitHub eng and a
// MacBook Pro from a rule with the default leaver timing and GitHub admin
// from a rule that says "immediately".
func leaverWithAnImmediateGrant(t *testing.T, f *queueFixture) (*models.Person, *models.Change) {
	t.Helper()
	ctx := context.Background()
	admin, err := f.srv.Store.CreateEntitlement(ctx, models.CLIActor, f.github.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin", Name: "admin"})
	require.NoError(t, err)
	engineers := &models.Rule{Name: "Engineers", Enabled: true, Match: "all", LeaverMode: "at_date",
		Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}, {AppID: f.laptop.ID, EntitlementID: f.macbook.ID}}}
	require.NoError(t, f.srv.Store.SaveRule(ctx, models.CLIActor, engineers))
	admins := &models.Rule{Name: "GitHub admins", Enabled: true, Match: "all", LeaverMode: "immediately",
		Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: admin.ID}}}
	require.NoError(t, f.srv.Store.SaveRule(ctx, models.CLIActor, admins))
	lee := f.person(personSpec{first: "Lee", last: "Leaver", department: "Engineering", timezone: "Europe/Berlin", lastDay: "2030-06-30"})
	f.holds(lee, f.github, f.eng, engineers)
	f.holds(lee, f.github, admin, admins)
	f.holds(lee, f.laptop, f.macbook, engineers)
	require.NoError(t, planner.New(f.srv.Store).PlanPeople(ctx, []int64{lee.ID}))
	c, err := f.srv.Store.OpenChangeOf(ctx, lee.ID)
	require.NoError(t, err)
	require.Equal(t, models.ChangeLeave, c.Kind)
	return lee, c
}

// stepTimes are the lines of an Effective cell, or of a person page's
// list of times.
func stepTimes(s *goquery.Selection) []string {
	return s.Map(func(_ int, s *goquery.Selection) string { return squash(s.Text()) })
}

// whySteps are the Why panel's steps, "what | when | basis".
func whySteps(p *page) []string {
	return p.TestID("why-step").Map(func(_ int, row *goquery.Selection) string {
		return squash(row.Find(`[data-testid="why-step-what"]`).Text()) + " | " + squash(row.Find(`[data-testid="why-step-when"]`).Text()) +
			" | " + squash(row.Find(`[data-testid="why-step-basis"]`).Text())
	})
}

// Issue 8.1: a leaver whose last day is months away keeps everything
// until then but the grant an "immediately" rule gave, and every view of
// the change says so step by step, in the leaver's zone: the Team Updates
// row, the Why panel and the person page while it waits, and the
// Scheduled tab and the person page once approved.
func TestLeaverStepTimesShownInThePersonsZone(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		require.NoError(t, srv.Store.SetSetting(context.Background(), models.CLIActor, models.SettingOrgTimezone, "America/New_York"))
		b := srv.browser(t)
		me := b.signInAs(models.RoleApprover)
		lee, ch := leaverWithAnImmediateGrant(t, f)
		want := []string{"GitHub admin: on approval", "GitHub, Laptop: 30 Jun 2030 17:00 Europe/Berlin"}

		p := b.get("/team-updates?tab=terminate")
		p.requireStatus(http.StatusOK)
		row := p.TestID("change-row")
		require.Equal(t, 1, row.Length())
		effective := row.Find(`[data-testid="effective"]`)
		require.Equal(t, want, stepTimes(effective.Find(`[data-testid="step-time"]`)), "each group of steps with its own time")
		require.Equal(t, "2030-06-30T15:00:00Z", effective.Find("time").AttrOr("datetime", ""))
		require.NotContains(t, effective.Text(), "UTC")
		require.NotContains(t, effective.Text(), "overdue", "a step due on approval is not late")
		require.Equal(t, []string{"GitHub: revoke admin, revoke eng, disable account", "Laptop: revoke MacBook Pro, delete account"},
			stepTimes(row.Find(`[data-testid="plan-app"]`)), "what happens, without the times the Effective column gives")

		why := b.htmxGet(fmt.Sprintf("/team-updates/%d/why", ch.ID))
		why.requireStatus(http.StatusOK)
		require.Equal(t, "GitHub admin: on approval · GitHub, Laptop: 30 Jun 2030 17:00 Europe/Berlin", squash(why.Text("why-timing-summary")))
		require.Equal(t, []string{
			`GitHub: revoke admin | on approval | immediately, rule "GitHub admins"`,
			`GitHub: revoke eng | 30 Jun 2030 17:00 Europe/Berlin | termination date at 17:00 (rule "Engineers")`,
			`GitHub: disable account | 30 Jun 2030 17:00 Europe/Berlin | after the app's last revoke: termination date at 17:00 (rule "Engineers")`,
			`Laptop: revoke MacBook Pro | 30 Jun 2030 17:00 Europe/Berlin | termination date at 17:00 (rule "Engineers")`,
			`Laptop: delete account | 30 Jun 2030 17:00 Europe/Berlin | after the app's last revoke: termination date at 17:00 (rule "Engineers")`,
		}, whySteps(why))
		require.Equal(t, "Times are in Europe/Berlin, the person's time zone.", why.Text("why-zone"))

		person := b.get(fmt.Sprintf("/people/%d", lee.ID))
		person.requireStatus(http.StatusOK)
		require.Contains(t, person.Text("pending-effective"), "Once approved, takes effect step by step:")
		require.Equal(t, want, stepTimes(person.TestID("person-pending").Find(`[data-testid="change-time"]`)))
		require.Zero(t, person.TestID("person-scheduled").Length())

		b.post("/team-updates/approve?tab=terminate", url.Values{"row": {fmt.Sprint(ch.ID)}}).
			requireRedirect(http.StatusSeeOther, "/team-updates?tab=terminate")
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, ch.ID))

		p = b.get("/team-updates?tab=scheduled")
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"lee.leaver@example.com"}, decidedEmails(p), "the future leaver is scheduled")
		require.Equal(t, want, stepTimes(p.TestID("decided-row").Find(`[data-testid="step-time"]`)), "with their last day")

		person = b.get(fmt.Sprintf("/people/%d", lee.ID))
		require.Zero(t, person.TestID("person-pending").Length())
		require.Contains(t, person.Text("scheduled-effective"), "Approved by "+me.Email+"; takes effect step by step:")
		require.Equal(t, want, stepTimes(person.TestID("person-scheduled").Find(`[data-testid="change-time"]`)))
		require.Equal(t, "/team-updates?tab=scheduled", person.TestID("scheduled-queue").AttrOr("href", ""))
	})
}

// A person without a zone of their own sees the organisation's, named.
func TestTeamUpdatesStepTimesFallBackToTheOrganisationsZone(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		require.NoError(t, srv.Store.SetSetting(context.Background(), models.CLIActor, models.SettingOrgTimezone, "Asia/Tokyo"))
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		_, ch := f.joiner(personSpec{first: "Ada", last: "Lovelace"})

		p := b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		local := ch.EffectiveAt.In(mustZone(t, "Asia/Tokyo")).Format("2 Jan 2006 15:04")
		require.Equal(t, local+" Asia/Tokyo", squash(p.Text("effective")))
		why := b.htmxGet(fmt.Sprintf("/team-updates/%d/why", ch.ID))
		require.Equal(t, "Times are in Asia/Tokyo, the organisation's time zone (none is set for the person).", why.Text("why-zone"))
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// The leaver's row and Why panel read well in a browser: every step's
// time in the leaver's zone, nothing breaking the page's CSP.
func TestBrowserTeamUpdatesLeaverStepTimes(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t)
	srv := newServer(t, models.SQLite)
	f := newQueueFixture(t, srv)
	lee, ch := leaverWithAnImmediateGrant(t, f)
	lastDay := time.Date(2030, 7, 31, 15, 0, 0, 0, time.UTC)
	f.change(f.person(personSpec{first: "Sam", last: "Single", timezone: "Europe/Berlin", lastDay: "2030-07-31"}), models.Change{
		Kind: models.ChangeLeave, EffectiveAt: lastDay, RuleNames: "Engineers", Plan: []models.PlanStep{
			{Op: "revoke", AppID: f.github.ID, EntitlementID: f.eng.ID, At: lastDay, When: "termination date at 17:00"},
			{Op: "disable", AppID: f.github.ID, At: lastDay, When: "after the app's last revoke: termination date at 17:00"},
		}}, rules.Why{Trigger: "left"})
	approver := srv.createAdmin(t, models.RoleApprover)
	ctx := browsertest.New(t, 60*time.Second, browsertest.WindowSize(1280, 1200))
	console := browsertest.WatchConsole(ctx)
	steps := fmt.Sprintf(`#why-%d [data-testid=why-steps]`, ch.ID)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+srv.loginLink(t, approver)),
		chromedp.Click(chromedp.CSS(`[data-testid=link-continue]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=current-user]`)),
		chromedp.Navigate(srv.URL+"/team-updates?tab=terminate"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=why-button]`)),
	))
	require.Equal(t, []string{"GitHub admin: on approval", "GitHub, Laptop: 30 Jun 2030 17:00 Europe/Berlin"},
		browsertest.TextsOf(t, ctx, fmt.Sprintf(`#change-%d [data-testid=step-time]`, ch.ID)))
	button := fmt.Sprintf(`#change-%d [data-testid=why-button]`, ch.ID)
	require.NoError(t, chromedp.Do(ctx,
		browsertest.HTMXReady(button),
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(steps)),
		browsertest.HTMXIdle(),
	))
	browsertest.Screenshot(t, ctx, t.TempDir(), "leaver-step-times.png")
	require.Equal(t, []string{"GitHub: revoke admin", "on approval", `immediately, rule "GitHub admins"`},
		browsertest.TextsOf(t, ctx, steps+` [data-testid=why-step]:first-child td`))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+fmt.Sprintf("/people/%d", lee.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=pending-effective]`)),
	))
	browsertest.Screenshot(t, ctx, t.TempDir(), "leaver-person.png")
	require.Equal(t, []string{"GitHub admin: on approval", "GitHub, Laptop: 30 Jun 2030 17:00 Europe/Berlin"},
		browsertest.TextsOf(t, ctx, `[data-testid=change-time]`))

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/team-updates?tab=terminate"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#change-%d [data-testid=approve-row]`, ch.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		chromedp.Navigate(srv.URL+"/team-updates?tab=scheduled"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=decided-row]`)),
	))
	browsertest.Screenshot(t, ctx, t.TempDir(), "leaver-scheduled.png")
	require.Equal(t, []string{"GitHub admin: on approval", "GitHub, Laptop: 30 Jun 2030 17:00 Europe/Berlin"},
		browsertest.TextsOf(t, ctx, `[data-testid=decided-row] [data-testid=step-time]`))
	require.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")
}
