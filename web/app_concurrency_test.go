package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func concurrencyPath(appID int64) string { return appPath(appID) + "/concurrency" }

func (s *testServer) concurrencyOf(t *testing.T, appID int64) int {
	t.Helper()
	a, err := s.Store.AppByID(context.Background(), appID)
	require.NoError(t, err)
	return a.MaxConcurrency
}

// TestAppConcurrency sets a webhook app's calls at once from its page:
// bad numbers are refused at the field and change nothing, a good one is
// saved and audited, and only admins may change it.
func TestAppConcurrency(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		manual := srv.createApp(t, "Laptop", models.AppManual)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "4", p.Doc().Find("#concurrency").AttrOr("value", ""), "the default")

		for _, bad := range []string{"0", "65", "many", "", "-1", "1e99", "99999999999999999999"} {
			p = b.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {bad}})
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Equal(t, "Choose a number from 1 to 64.", p.TestID("concurrency-form").Find(".field-error").Text(), "for %q", bad)
			require.Equal(t, bad, p.Doc().Find("#concurrency").AttrOr("value", "?"), "the typed value is kept")
			require.Equal(t, 4, srv.concurrencyOf(t, app.ID), "nothing changed for %q", bad)
		}

		b.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {" 16 "}}).
			requireRedirect(http.StatusSeeOther, appPath(app.ID)+"#connection")
		require.Equal(t, 16, srv.concurrencyOf(t, app.ID))
		p = b.get(appPath(app.ID))
		require.Contains(t, p.Flash("success"), "GitHub now gets at most 16 calls at once")
		require.Equal(t, "16", p.Doc().Find("#concurrency").AttrOr("value", ""))
		events := srv.auditEvents(t, models.ActionAppConcurrency)
		require.Len(t, events, 1)
		require.Contains(t, *events[0].Before, "4")
		require.Contains(t, *events[0].After, "16")

		b.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {"16"}}).requireStatus(http.StatusSeeOther)
		require.Len(t, srv.auditEvents(t, models.ActionAppConcurrency), 1, "saving the same number audits nothing")
		b.post(concurrencyPath(manual.ID), url.Values{"max_concurrency": {"2"}}).requireStatus(http.StatusNotFound)

		// Calls per second: a bad number is refused next to its field and
		// changes nothing; a good one is saved.
		p = b.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {"8"}, "max_calls_per_second": {"-3"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, p.Doc().Find("#rate").Parent().Find(".field-error").Text(), "Enter a number from 0 (no limit) to 1000.")
		got, err := srv.Store.AppByID(context.Background(), app.ID)
		require.NoError(t, err)
		require.Equal(t, 16, got.MaxConcurrency, "a refused form changes nothing")
		b.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {"16"}, "max_calls_per_second": {"20"}}).
			requireRedirect(http.StatusSeeOther, appPath(app.ID)+"#connection")
		require.Contains(t, b.get(appPath(app.ID)).Flash("success"), "and at most 20 a second from all of them")
		got, err = srv.Store.AppByID(context.Background(), app.ID)
		require.NoError(t, err)
		require.Equal(t, 20, got.MaxCallsPerSecond)
		scimApp, err := srv.Store.CreateApp(context.Background(), models.CLIActor, models.AppInput{Kind: models.AppSCIM, Name: "Okta app",
			DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		b.post(concurrencyPath(scimApp.ID), url.Values{"max_concurrency": {"2"}}).requireRedirect(http.StatusSeeOther, appPath(scimApp.ID)+"#connection")
		got, err = srv.Store.AppByID(context.Background(), scimApp.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.MaxConcurrency, "a SCIM app calls its app: its calls at once are its own to set")

		for _, role := range []models.Role{models.RoleViewer, models.RoleApprover} {
			other := srv.browser(t)
			other.signInAs(role)
			p := other.get(appPath(app.ID))
			p.requireStatus(http.StatusOK)
			require.Equal(t, "16", p.Text("concurrency-value"))
			require.Equal(t, "20", p.Text("rate-value"))
			require.Empty(t, p.TestID("concurrency-form").Nodes)
			other.post(concurrencyPath(app.ID), url.Values{"max_concurrency": {"1"}}).requireStatus(http.StatusForbidden)
		}
		require.Equal(t, 16, srv.concurrencyOf(t, app.ID))
	})
}
