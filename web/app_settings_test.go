package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
)

// webhookSettings reads an app's connection through the store, with the
// test servers' key.
func (s *testServer) webhookSettings(t *testing.T, appID int64) (u, secret, previous string) {
	t.Helper()
	sealer, err := models.NewSealer([]byte(testSecretKey))
	require.NoError(t, err)
	u, secret, previous, err = s.Store.WebhookSettings(context.Background(), appID, sealer)
	require.NoError(t, err)
	return u, secret, previous
}

// rawAppConfig reads apps.config as stored, below the store.
func (s *testServer) rawAppConfig(t *testing.T, appID int64) string {
	t.Helper()
	var config string
	require.NoError(t, s.DB.SQL.QueryRow(fmt.Sprintf("SELECT config FROM apps WHERE id = %d", appID)).Scan(&config))
	return config
}

func webhookPath(appID int64) string { return appPath(appID) + "/webhook" }

func TestAppWebhookSave(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		// Not connected yet: the list and the page say so, and there is no secret.
		p := b.get("/apps")
		p.requireStatus(http.StatusOK)
		require.Equal(t, apps.NotConnectedMessage, strings.TrimSpace(p.TestID("app-row-GitHub").Find(`[data-testid="app-not-connected"]`).Text()))
		p = b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, apps.NotConnectedMessage, p.Text("app-not-connected"))
		require.Equal(t, 1, p.TestID("webhook-form").Length())
		require.Empty(t, p.TestID("webhook-secret").Nodes)
		require.Equal(t, "Connect", p.Text("webhook-save"))

		const hook = "https://provisioning.example.com/hooks/roster"
		b.post(webhookPath(app.ID), url.Values{"url": {" " + hook + " "}}).
			requireRedirect(http.StatusSeeOther, appPath(app.ID)+"#connection")

		u, secret, previous := srv.webhookSettings(t, app.ID)
		require.Equal(t, hook, u)
		require.GreaterOrEqual(t, len(secret), 32, "a secret was generated")
		require.Empty(t, previous)
		config := srv.rawAppConfig(t, app.ID)
		require.True(t, strings.HasPrefix(config, "v1:"), "stored sealed: %s", config)
		require.NotContains(t, config, "provisioning.example.com")
		require.NotContains(t, config, secret)

		p = b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Flash("success"), "GitHub's URL was saved.")
		require.Empty(t, p.TestID("app-not-connected").Nodes)
		require.Equal(t, hook, p.Doc().Find("#webhook-url").AttrOr("value", ""))
		require.Equal(t, "Save URL", p.Text("webhook-save"))
		details := p.TestID("webhook-secret-details")
		require.Equal(t, 1, details.Length())
		_, open := details.Attr("open")
		require.False(t, open, "the secret is folded away")
		require.Equal(t, "Show signing secret", strings.TrimSpace(details.Find("summary").Text()))
		value := p.TestID("webhook-secret-value")
		require.Equal(t, secret, value.AttrOr("value", ""))
		_, readonly := value.Attr("readonly")
		require.True(t, readonly)
		require.Contains(t, p.Text("webhook-secret"), "Paste it into your receiver")
		require.Contains(t, p.Text("webhook-secret"), "docs/webhooks.md")
		require.Empty(t, p.TestID("webhook-previous-secret").Nodes)
		require.Equal(t, apps.RotateConfirm, p.TestID("webhook-rotate-form").AttrOr("data-confirm", ""))

		require.Empty(t, b.get("/apps").TestID("app-not-connected").Nodes, "the list badge is gone")

		events := srv.auditEvents(t, models.ActionAppWebhookUpdated)
		require.Len(t, events, 1)
		require.JSONEq(t, `{"url":"`+hook+`","secret":"set"}`, *events[0].After)
		require.NotContains(t, *events[0].After, secret)

		// A new URL keeps the secret.
		const hook2 = "https://provisioning.example.com/hooks/v2"
		b.post(webhookPath(app.ID), url.Values{"url": {hook2}}).requireStatus(http.StatusSeeOther)
		u, secret2, _ := srv.webhookSettings(t, app.ID)
		require.Equal(t, hook2, u)
		require.Equal(t, secret, secret2)
		events = srv.auditEvents(t, models.ActionAppWebhookUpdated)
		require.Len(t, events, 2)
		require.JSONEq(t, `{"url":"`+hook2+`","secret":"unchanged"}`, *events[0].After)
		require.JSONEq(t, `{"url":"`+hook+`"}`, *events[0].Before)
	})
}

func TestAppWebhookInvalid(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		b.get(appPath(app.ID)).requireStatus(http.StatusOK)

		for _, tc := range []struct{ url, message string }{
			{"", "Enter the address of your receiver"},
			{"provisioning.example.com/hooks", "must start with https:// or http://"},
			{"ftp://example.com/hooks", "must start with https:// or http://"},
			{"https:///hooks", "must name a host"},
			{"https://roster:hunter2@example.com/hooks", "Leave the user name and password out"},
			{"https://exa mple.com/", "not a valid URL"},
		} {
			p := b.post(webhookPath(app.ID), url.Values{"url": {tc.url}})
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Contains(t, fieldError(p, "webhook-url"), tc.message, "%q", tc.url)
			require.Equal(t, strings.TrimSpace(tc.url), p.Doc().Find("#webhook-url").AttrOr("value", ""), "the input is kept")
			require.Equal(t, "true", p.Doc().Find("#webhook-url").AttrOr("aria-invalid", ""))
			require.Equal(t, 1, p.TestID("catalogue").Length(), "the whole page is re-rendered")
		}
		require.Empty(t, srv.rawAppConfig(t, app.ID), "nothing was stored")
		require.Empty(t, srv.auditEvents(t, models.ActionAppWebhookUpdated))

		// Rotating needs a connection first.
		p := b.post(webhookPath(app.ID), url.Values{"rotate": {"1"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, fieldError(p, "webhook-url"), "Connect the app first")
		require.Empty(t, srv.rawAppConfig(t, app.ID))
	})
}

func TestAppWebhookRotate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		b.get(appPath(app.ID)).requireStatus(http.StatusOK)

		const hook = "https://provisioning.example.com/hooks/roster"
		b.post(webhookPath(app.ID), url.Values{"url": {hook}}).requireStatus(http.StatusSeeOther)
		_, first, _ := srv.webhookSettings(t, app.ID)

		b.post(webhookPath(app.ID), url.Values{"rotate": {"1"}}).
			requireRedirect(http.StatusSeeOther, appPath(app.ID)+"#connection")
		u, second, previous := srv.webhookSettings(t, app.ID)
		require.Equal(t, hook, u, "rotating keeps the URL")
		require.NotEqual(t, first, second)
		require.Equal(t, first, previous, "the old secret keeps working")

		p := b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Flash("success"), "GitHub has a new signing secret")
		require.Equal(t, second, p.TestID("webhook-secret-value").AttrOr("value", ""))
		require.Equal(t, first, p.TestID("webhook-previous-secret").AttrOr("value", ""))

		b.post(webhookPath(app.ID), url.Values{"rotate": {"1"}}).requireStatus(http.StatusSeeOther)
		_, third, previous := srv.webhookSettings(t, app.ID)
		require.Equal(t, second, previous, "the next rotation drops the oldest secret")

		events := srv.auditEvents(t, models.ActionAppWebhookUpdated)
		require.Len(t, events, 3)
		require.JSONEq(t, `{"url":"`+hook+`","secret":"rotated"}`, *events[0].After)
		for _, ev := range events {
			for _, secret := range []string{first, second, third} {
				require.NotContains(t, *ev.After, secret)
				if ev.Before != nil {
					require.NotContains(t, *ev.Before, secret)
				}
			}
		}
	})
}

func TestAppWebhookViewer(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		connected := srv.createApp(t, "GitHub", models.AppWebhook)
		unconnected := srv.createApp(t, "Card", models.AppWebhook)
		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)
		admin.get("/apps").requireStatus(http.StatusOK)
		const hook = "https://provisioning.example.com/hooks/roster"
		admin.post(webhookPath(connected.ID), url.Values{"url": {hook}}).requireStatus(http.StatusSeeOther)
		admin.post(webhookPath(connected.ID), url.Values{"rotate": {"1"}}).requireStatus(http.StatusSeeOther)
		_, secret, previous := srv.webhookSettings(t, connected.ID)
		before := srv.rawAppConfig(t, connected.ID)

		for _, role := range []models.Role{models.RoleViewer, models.RoleApprover} {
			t.Run(string(role), func(t *testing.T) {
				b := srv.browser(t)
				b.signInAs(role)

				p := b.get("/apps")
				p.requireStatus(http.StatusOK)
				require.Empty(t, p.TestID("app-row-GitHub").Find(`[data-testid="app-not-connected"]`).Nodes)
				require.Equal(t, 1, p.TestID("app-row-Card").Find(`[data-testid="app-not-connected"]`).Length())

				p = b.get(appPath(connected.ID))
				p.requireStatus(http.StatusOK)
				require.Equal(t, hook, p.Text("webhook-url"))
				require.NotContains(t, p.Body, secret)
				require.NotContains(t, p.Body, previous)
				require.Empty(t, p.TestID("webhook-secret").Nodes)
				require.Empty(t, p.TestID("webhook-form").Nodes)
				require.Empty(t, p.Doc().Find("main form").Nodes, "no forms at all")

				p = b.get(appPath(unconnected.ID))
				p.requireStatus(http.StatusOK)
				require.Equal(t, apps.NotConnectedMessage, p.Text("app-not-connected"))

				b.post(webhookPath(connected.ID), url.Values{"url": {"https://evil.example.com"}}).requireStatus(http.StatusForbidden)
				b.post(webhookPath(connected.ID), url.Values{"rotate": {"1"}}).requireStatus(http.StatusForbidden)
			})
		}
		require.Equal(t, before, srv.rawAppConfig(t, connected.ID), "nothing changed")
	})
}

func TestAppWebhookManualApp(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Laptop", models.AppManual)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get("/apps")
		p.requireStatus(http.StatusOK)
		require.Empty(t, p.TestID("app-not-connected").Nodes)
		p = b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Empty(t, p.TestID("connection").Nodes, "manual apps have no connection")
		require.Empty(t, p.TestID("app-not-connected").Nodes)

		b.post(webhookPath(app.ID), url.Values{"url": {"https://example.com/hooks"}}).requireStatus(http.StatusNotFound)
		b.post(webhookPath(9999), url.Values{"url": {"https://example.com/hooks"}}).requireStatus(http.StatusNotFound)
		require.Empty(t, srv.rawAppConfig(t, app.ID))
	})
}
