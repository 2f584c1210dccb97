package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/browsertest"
)

// withSealerOf hands the test the server's sealer, to store an app's
// connection as `roster app add` would.
func withSealerOf(out **models.Sealer) serverOption {
	return func(s *serverSetup) { *out = s.deps.Sealer }
}

// TestBrowserAccountsLoop is issue 11's loop in headless Chromium: an
// existing company's HR file comes in as a baseline (nobody is a joiner),
// a SCIM app's accounts are uploaded and matched (matched, not in HR
// lists), only the access people lack under the rules is proposed, and a
// leaver whose account predates Roster is deprovisioned through the SCIM
// server once an admin approves it.
func TestBrowserAccountsLoop(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		const token = "scim-bearer-0123456789"
		app := scimtest.New(t, scimtest.Options{Token: token})
		ada, grace, linus := loopPeople[0], loopPeople[1], loopPeople[2]
		adaID := app.AddUser(scimtest.User{UserName: loopEmail(ada), GivenName: ada.First, FamilyName: ada.Last, Email: loopEmail(ada)})
		graceID := app.AddUser(scimtest.User{UserName: loopEmail(grace), GivenName: grace.First, FamilyName: grace.Last, Email: loopEmail(grace)})
		botID := app.AddUser(scimtest.User{UserName: "ci-bot@example.com", Email: "ci-bot@example.com"})
		engGroup := app.AddGroup("eng", adaID, graceID)

		var sealer *models.Sealer
		srv := newServer(t, dialect, withSealerOf(&sealer), withJobRunner(t, jobs.Options{
			Logger: quietLogger(), FetchPollInterval: 100 * time.Millisecond,
			RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
			OrderWait:  func(int) time.Duration { return 200 * time.Millisecond },
		}))
		ctx := browsertest.New(t, 5*time.Minute)
		l := &loop{t: t, ctx: ctx, srv: srv, shots: t.TempDir(), prefix: "accounts-" + string(dialect) + "-", start: time.Now()}
		console := browsertest.WatchConsole(ctx)
		l.signInAsOwner()

		// The HR file of a company that exists already: a baseline.
		staff := []csvPerson{ada, grace, linus}
		source := l.createSource("Workday", 3, 50)
		l.uploadAs(source, "people.csv", staff, true)
		assert.Equal(t, "3", browsertest.TextOf(t, ctx, `[data-testid=count-existing]`))
		assert.Equal(t, "0", browsertest.TextOf(t, ctx, `[data-testid=count-joiners]`))
		l.do("confirm the baseline",
			chromedp.Click(chromedp.CSS(`[data-testid=run-confirm]`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		)
		srv.waitPlanned(t)

		// The SCIM app, its connection set as `roster app add` does, and a
		// rule giving engineers its eng group.
		bg := context.Background()
		a, err := srv.Store.CreateApp(bg, models.CLIActor, models.AppInput{Kind: models.AppSCIM, Name: "Okta app", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		require.NoError(t, srv.Store.SetSCIMSettings(bg, models.CLIActor, a.ID, models.SCIMInput{BaseURL: app.URL(), Token: token}, sealer))
		eng, err := srv.Store.CreateEntitlement(bg, models.CLIActor, a.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng", Name: "Engineering"})
		require.NoError(t, err)
		require.NoError(t, srv.Store.SaveRule(bg, models.CLIActor, &models.Rule{Name: "Engineers", Match: "all", Enabled: true,
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: a.ID, EntitlementID: eng.ID}}}))
		_, err = (&jobs.Planning{Store: srv.Store}).PlanEveryone(bg, models.CLIActor, models.ReplanRulesChanged)
		require.NoError(t, err)
		srv.waitPlanned(t)

		// The app's accounts, uploaded on its Accounts tab.
		file := filepath.Join(t.TempDir(), "okta.csv")
		require.NoError(t, os.WriteFile(file, []byte("account_id,email,status,entitlements\n"+
			adaID+","+loopEmail(ada)+",active,eng\n"+
			graceID+","+loopEmail(grace)+",active,eng\n"+
			botID+",ci-bot@example.com,active,\n"), 0o644))
		accounts := fmt.Sprintf("%s/apps/%d/accounts", srv.URL, a.ID)
		l.do("upload the app's accounts",
			chromedp.Navigate(accounts),
			chromedp.SetUploadFiles(chromedp.CSS(`#accounts-file`), []string{file}),
			chromedp.Click(chromedp.CSS(`[data-testid=accounts-upload-submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-matched]`)),
		)
		assert.Equal(t, "2", browsertest.TextOf(t, ctx, `[data-testid=preview-matched] .metric`))
		assert.Equal(t, "1", browsertest.TextOf(t, ctx, `[data-testid=preview-not-in-hr] .metric`))
		l.do("apply the accounts",
			chromedp.Click(chromedp.CSS(`[data-testid=preview-apply]`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		)
		srv.waitPlanned(t)
		l.do("accounts tab", chromedp.Navigate(accounts), chromedp.WaitVisible(chromedp.CSS(`[data-testid=accounts-table]`)))
		l.shot("1-accounts.png")
		assert.Equal(t, []string{"not_in_hr", "matched", "matched"}, browsertest.AttrsOf(t, ctx, `[data-testid=account-row]`, "data-verdict"))
		assert.Equal(t, "1", browsertest.TextOf(t, ctx, `[data-testid=filter-not_in_hr] [data-testid=filter-count]`))
		assert.Equal(t, "2", browsertest.TextOf(t, ctx, `[data-testid=filter-matched] [data-testid=filter-count]`))

		// Only Linus lacks eng: nothing for Ada and Grace, nobody invited.
		l.do("to update", chromedp.Navigate(srv.URL+"/team-updates?tab=update"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=changes-table]`)))
		l.shot("2-missing-access.png")
		assert.Equal(t, []string{loopEmail(linus)}, browsertest.AttrsOf(t, ctx, `[data-testid=change-row]`, "data-person"))
		assert.Equal(t, "Missing access", browsertest.TextOf(t, ctx, `[data-testid=kind-badge]`))
		assert.Equal(t, "0", browsertest.TextOf(t, ctx, `[data-testid=tab-invite] [data-testid=tab-count]`), "nobody employed is a joiner")

		// Grace leaves: her account, which Roster never created, goes
		// through the SCIM server once approved.
		l.uploadAndConfirm(source, "people-without-grace.csv", without(staff, grace.ID), "0", "1")
		l.approveAll("terminate", []csvPerson{grace})
		l.waitFor("Grace's SCIM account disabled and out of eng", 30*time.Second, func() bool {
			u, ok := app.User(graceID)
			return ok && u["active"] == false && !slices.Contains(app.Members(engGroup), graceID)
		})
		u, _ := app.User(adaID)
		assert.NotEqual(t, false, u["active"], "Ada keeps her account")
		assert.Contains(t, app.Members(engGroup), adaID)
		// Reconcile now lists the app's own users: Grace's account is
		// disabled there now, and out of eng.
		l.do("reconcile now",
			chromedp.Navigate(accounts),
			chromedp.Click(chromedp.CSS(`[data-testid=reconcile-now]`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		)
		l.waitFor("the reconciliation from the app", 30*time.Second, func() bool {
			got, err := srv.Store.AppByID(bg, a.ID)
			require.NoError(t, err)
			require.Empty(t, got.ReconcileError)
			return got.ReconciledAt != nil
		})
		l.do("accounts tab", chromedp.Navigate(accounts), chromedp.WaitVisible(chromedp.CSS(`[data-testid=reconcile-last]`)))
		assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=reconcile-last]`), "matched=2 ambiguous=0 not_in_hr=1 terminated_active=0")
		l.shot("3-from-the-app.png")
		assert.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")
	})
}
