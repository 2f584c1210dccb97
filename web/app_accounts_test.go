package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// TestAccountsTabUploadPreviewApply: an app's accounts file is rejected
// by line when it has problems, previewed without recording anything,
// and applied: accounts are listed by outcome, and planning proposes only
// the access the rules say is missing, and the account of someone who
// left.
func TestAccountsTabUploadPreviewApply(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		ctx := context.Background()
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		src := srv.newSource(t, "HR")
		ada := csvPerson{ID: "E001", First: "Ada", Last: "Lovelace", Department: "Engineering"}
		grace := csvPerson{ID: "E002", First: "Grace", Last: "Hopper", Department: "Engineering"}
		b.importPeople(src, csvFile([]csvPerson{ada, grace}))
		grace.Status = "terminated"
		b.importPeople(src, csvFile([]csvPerson{ada, grace}))

		app, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		eng, err := srv.Store.CreateEntitlement(ctx, models.CLIActor, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
		require.NoError(t, err)
		_, err = srv.Store.CreateEntitlement(ctx, models.CLIActor, app.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin"})
		require.NoError(t, err)
		require.NoError(t, srv.Store.SaveRule(ctx, models.CLIActor, &models.Rule{Name: "Engineers", Match: "all", Enabled: true,
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: app.ID, EntitlementID: eng.ID}}}))
		srv.waitPlanned(t)
		base := fmt.Sprintf("/apps/%d/accounts", app.ID)

		p := b.get(base)
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("accounts-empty").Length())
		require.Equal(t, "Accounts", p.TestID("tab-accounts").Text())
		tpl := b.get(base + "/template.csv")
		tpl.requireStatus(http.StatusOK)
		require.Contains(t, tpl.Body, "account_id,email,phone,employee_number,name,status,entitlements")

		bad := b.uploadCSV(base+"/upload", "github.csv", "account_id,email\nu-1,ada\n")
		bad.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, bad.TestID("row-errors").Text(), `"ada" is not an email address`)
		require.Contains(t, bad.TestID("row-error").First().Text(), "2")

		up := b.uploadCSV(base+"/upload", "github.csv", "account_id,email,employee_number,status,entitlements\n"+
			"u-1,ada.lovelace@example.com,,active,admin\n"+
			"u-2,,E002,active,eng\n"+
			"u-3,ci-bot@example.com,,active,\n")
		require.Equal(t, http.StatusSeeOther, up.Status, up.Body)
		preview := b.get(up.Location())
		preview.requireStatus(http.StatusOK)
		require.Equal(t, "2", preview.TestID("preview-matched").Find(".metric").Text())
		require.Equal(t, "1", preview.TestID("preview-not-in-hr").Find(".metric").Text())
		require.Equal(t, "1", preview.TestID("preview-terminated").Find(".metric").Text())
		n, err := srv.Store.CountAppAccounts(ctx, app.ID)
		require.NoError(t, err)
		require.Zero(t, n, "a preview records nothing")

		b.post(up.Location()+"/apply", nil).requireRedirect(http.StatusSeeOther, base)
		srv.waitPlanned(t)
		p = b.get(base)
		require.Contains(t, p.Flash("success"), "2 matched")
		require.Equal(t, 3, p.TestID("account-row").Length())
		require.Equal(t, "u-3", p.TestID("account-id").First().Text(), "the account not in HR comes first")
		require.Equal(t, 1, p.TestID("account-terminated").Length())
		b.get(up.Location()).requireStatus(http.StatusNotFound)

		adaChange, err := srv.Store.OpenChangeOf(ctx, srv.personID(t, "E001"))
		require.NoError(t, err)
		require.Equal(t, models.ChangeMove, adaChange.Kind)
		require.Len(t, adaChange.Plan, 1, "only the missing eng: Ada's account exists, and admin is kept")
		require.Equal(t, "grant", adaChange.Plan[0].Op)
		require.Equal(t, models.ReasonMissingAccess, adaChange.Reason, "Ada came in with the baseline: current staff")
		require.Contains(t, b.get("/team-updates?tab=update").Text("kind-badge"), "Missing access")

		// Ada's page: the account as GitHub reported it, admin beyond the rules.
		pp := b.get(fmt.Sprintf("/people/%d", srv.personID(t, "E001")))
		pp.requireStatus(http.StatusOK)
		require.Contains(t, pp.TestID("accounts").Text(), "u-1")
		require.Contains(t, pp.TestID("accounts").Text(), "matched by")
		require.Equal(t, 1, pp.TestID("grant-beyond").Length(), "admin: no rule gives it")
		require.Contains(t, pp.TestID("accounts").Text(), "admin")
		graceChange, err := srv.Store.OpenChangeOf(ctx, srv.personID(t, "E002"))
		require.NoError(t, err)
		require.Equal(t, models.ChangeLeave, graceChange.Kind, "the leaver's account that predates Roster is proposed in To Terminate")

		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		vp := viewer.get(base)
		vp.requireStatus(http.StatusOK)
		require.Zero(t, vp.TestID("accounts-upload").Length())
		viewer.uploadCSV(base+"/upload", "github.csv", "account_id\nu-9\n").requireStatus(http.StatusForbidden)
	})
}

// TestAccountsTabDecisions: an admin settles what matching could not:
// an ambiguous account is linked to the person it is, one not in HR is
// linked by employee id or marked a service account, a key nobody has is
// refused next to the field, and the next reconciliation keeps every
// decision.
func TestAccountsTabDecisions(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		ctx := context.Background()
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		src := srv.newSource(t, "HR")
		b.importPeople(src, csvFile([]csvPerson{
			{ID: "E001", First: "Ada", Last: "Lovelace", Department: "Engineering"},
			{ID: "E003", First: "Bob", Last: "Builder", Department: "Engineering"},
			{ID: "E004", First: "Max", Last: "Mustermann", Department: "Sales"},
		}))
		app, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		base := fmt.Sprintf("/apps/%d/accounts", app.ID)
		file := "account_id,email,employee_number,status\n" +
			"u-1,ada.lovelace@example.com,,active\n" +
			"u-2,bobby@home.example,,active\n" +
			"u-3,ci-bot@example.com,,active\n" +
			"u-4,max.mustermann@example.com,,active\n" +
			"u-5,,E004,active\n"
		apply := func() {
			up := b.uploadCSV(base+"/upload", "github.csv", file)
			require.Equal(t, http.StatusSeeOther, up.Status, up.Body)
			b.post(up.Location()+"/apply", nil).requireRedirect(http.StatusSeeOther, base)
		}
		apply()
		rowOf := func(p *page, remote string) *goquery.Selection {
			return p.TestID("account-row").FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find(`[data-testid="account-id"]`).Text() == remote
			})
		}
		formOf := func(row *goquery.Selection, testID string) string {
			return row.Find(fmt.Sprintf(`[data-testid=%q]`, testID)).Closest("form").AttrOr("action", "")
		}
		p := b.get(base)
		require.Equal(t, "ambiguous", rowOf(p, "u-4").AttrOr("data-verdict", ""), "Max has two accounts")

		// A key nobody has: refused next to the field, nothing changes.
		link2 := formOf(rowOf(p, "u-2"), "account-link")
		require.NotEmpty(t, link2)
		bad := b.post(link2, url.Values{"person": {"E999"}})
		bad.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, rowOf(bad, "u-2").Find(".field-error").Text(), `Nobody in HR has the work email or employee id "E999"`)

		b.post(link2, url.Values{"person": {"E003"}}).requireRedirect(http.StatusSeeOther, base)
		b.post(formOf(rowOf(p, "u-3"), "account-service-mark"), url.Values{"service": {"1"}}).requireRedirect(http.StatusSeeOther, base)
		maxID := srv.personID(t, "E004")
		b.post(formOf(rowOf(p, "u-4"), "account-link-candidate"), url.Values{"person_id": {fmt.Sprint(maxID)}}).requireRedirect(http.StatusSeeOther, base)

		check := func(when string) {
			p := b.get(base)
			require.Equal(t, "matched", rowOf(p, "u-2").AttrOr("data-verdict", ""), when)
			require.Contains(t, rowOf(p, "u-2").Text(), "Bob Builder", when)
			require.Contains(t, rowOf(p, "u-2").Find(`[data-testid="account-linked-by"]`).Text(), "linked by", when)
			require.Equal(t, 1, rowOf(p, "u-3").Find(`[data-testid="account-service"]`).Length(), when)
			require.Equal(t, "matched", rowOf(p, "u-4").AttrOr("data-verdict", ""), when)
			require.Equal(t, "ambiguous", rowOf(p, "u-5").AttrOr("data-verdict", ""), "%s: Max's second account waits", when)
			access, err := srv.Store.AccessOf(ctx, []int64{srv.personID(t, "E003")})
			require.NoError(t, err)
			require.Len(t, access[srv.personID(t, "E003")].Accounts, 1, when)
			require.Equal(t, "u-2", access[srv.personID(t, "E003")].Accounts[0].RemoteID, when)
		}
		check("after the decisions")
		apply()
		check("after the next reconciliation")

		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		require.Zero(t, viewer.get(base).TestID("account-actions").Length(), "viewers decide nothing")
		viewer.post(link2, url.Values{"person": {"E003"}}).requireStatus(http.StatusForbidden)
	})
}

// TestAccountsTabMatching: an admin sets the keys and their order; a key
// chosen twice re-renders the form with the message next to it and
// changes nothing; viewers see the order but cannot change it.
func TestAccountsTabMatching(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		ctx := context.Background()
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		app, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		base := fmt.Sprintf("/apps/%d/accounts", app.ID)
		p := b.get(base)
		require.Equal(t, "work_email", p.TestID("match-key-1").Find("option[selected]").AttrOr("value", ""), "the default order")

		bad := b.post(base+"/matching", url.Values{"key": {"phone", "phone", "", ""}})
		bad.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, bad.TestID("matching-form").Find(".field-error").Text(), "Each key can be used once.")
		got, err := srv.Store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Empty(t, got.MatchOrder, "nothing changed")

		b.post(base+"/matching", url.Values{"key": {"employee_number", "work_email", "", ""}, "plus": {"on"}}).
			requireRedirect(http.StatusSeeOther, base+"#matching")
		got, err = srv.Store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		order, plus := got.Matching()
		require.Equal(t, []string{"employee_number", "work_email"}, order)
		require.True(t, plus)

		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		vp := viewer.get(base)
		require.Zero(t, vp.TestID("matching-form").Length())
		require.Equal(t, "Tried in this order: employee number, then work email; plus addresses folded.", strings.Join(strings.Fields(vp.Text("matching-order")), " "))
		viewer.post(base+"/matching", url.Values{"key": {"phone"}}).requireStatus(http.StatusForbidden)
	})
}

// TestAccountsTabSchedule: an app that lists its own accounts takes how
// often it is listed (a bad number re-renders next to the field and
// changes nothing); an app that cannot list them has no such setting.
func TestAccountsTabSchedule(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		ctx := context.Background()
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		scimApp, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppSCIM, Name: "Okta app", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		base := fmt.Sprintf("/apps/%d/accounts", scimApp.ID)
		p := b.get(base)
		require.Contains(t, p.Text("reconcile-last"), "has not listed")
		require.Equal(t, "60", p.TestID("reconcile-every").AttrOr("value", ""), "hourly unless set")

		bad := b.post(base+"/schedule", url.Values{"every": {"soon"}})
		bad.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, bad.TestID("accounts-from-app").Find(".field-error").Text(), "Enter a number of minutes")
		b.post(base+"/schedule", url.Values{"every": {"30"}}).requireRedirect(http.StatusSeeOther, base+"#from-app")
		got, err := srv.Store.AppByID(ctx, scimApp.ID)
		require.NoError(t, err)
		require.Equal(t, 30, got.ReconcileEveryMinutes)

		hook, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "Hook", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		hp := b.get(fmt.Sprintf("/apps/%d/accounts", hook.ID))
		require.Zero(t, hp.TestID("accounts-from-app").Length())
		b.post(fmt.Sprintf("/apps/%d/accounts/schedule", hook.ID), url.Values{"every": {"30"}}).requireStatus(http.StatusNotFound)
		b.post(base+"/reconcile", nil).requireStatus(http.StatusNotFound) // no job runner in this server
	})
}
