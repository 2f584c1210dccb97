package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// An app's page shows the settings and actions its kind declares
// (connector.Capabilities), and the routes of the others answer 404.
func TestAppPageFollowsTheKind(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		hook := srv.createApp(t, "GitHub", models.AppWebhook)
		laptop := srv.createApp(t, "Laptop", models.AppManual)
		slack := srv.createApp(t, "Slack", models.AppSCIM)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		webhookOnly := []string{"connection", "webhook-form", "concurrency-form", "app-health", "test-connection"}
		manualOnly := []string{"task-settings", "task-assignee-form"}

		p := b.get(appPath(hook.ID))
		p.requireStatus(http.StatusOK)
		for _, id := range webhookOnly {
			require.Equal(t, 1, p.TestID(id).Length(), "a webhook app's page has %s", id)
		}
		for _, id := range manualOnly {
			require.Empty(t, p.TestID(id).Nodes, "a webhook app's page has no %s", id)
		}
		require.Contains(t, p.Text("app-details"), "Roster calls the app's endpoint with signed JSON", "the kind's own words")

		p = b.get(appPath(laptop.ID))
		p.requireStatus(http.StatusOK)
		for _, id := range webhookOnly {
			require.Empty(t, p.TestID(id).Nodes, "a manual app's page has no %s", id)
		}
		for _, id := range manualOnly {
			require.Equal(t, 1, p.TestID(id).Length(), "a manual app's page has %s", id)
		}
		require.Contains(t, p.Text("app-details"), "Roster creates a task for IT")

		// A SCIM app calls the app (calls at once, health, Test
		// connection); its connection is set from the command line.
		p = b.get(appPath(slack.ID))
		p.requireStatus(http.StatusOK)
		for _, id := range []string{"scim-connection", "concurrency-form", "app-health", "test-connection"} {
			require.Equal(t, 1, p.TestID(id).Length(), "a SCIM app's page has %s", id)
		}
		for _, id := range append([]string{"webhook-form"}, manualOnly...) {
			require.Empty(t, p.TestID(id).Nodes, "a SCIM app's page has no %s", id)
		}
		require.Contains(t, p.Text("scim-connection"), "Set its connection with roster app add")

		b.post(appPath(laptop.ID)+"/webhook", url.Values{"url": {"https://example.com/hooks"}}).requireStatus(http.StatusNotFound)
		b.post(appPath(laptop.ID)+"/concurrency", url.Values{"max_concurrency": {"2"}}).requireStatus(http.StatusNotFound)
		b.post(appPath(laptop.ID)+"/test", nil).requireStatus(http.StatusNotFound)
		b.post(appPath(hook.ID)+"/tasks", url.Values{"to": {""}}).requireStatus(http.StatusNotFound)
		require.Empty(t, srv.auditEvents(t, models.ActionAppTested), "nothing was called")
	})
}

// The new-app form offers the registry's kinds, in its order and words.
func TestNewAppFormOffersRegisteredKinds(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleAdmin)
	p := b.get("/apps")
	p.requireStatus(http.StatusOK)
	var values []string
	p.Doc().Find(`#new-app-kind option`).Each(func(_ int, s *goquery.Selection) {
		values = append(values, s.AttrOr("value", ""))
	})
	require.Equal(t, []string{"webhook", "manual", "scim"}, values)
}
