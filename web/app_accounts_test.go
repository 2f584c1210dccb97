package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

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
