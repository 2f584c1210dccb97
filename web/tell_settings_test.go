package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestSettingsMailAddresses(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get("/settings")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("settings-welcome-address").Length())
		sel, _ := p.TestID("settings-welcome-address").Find("option[selected]").Attr("value")
		require.Equal(t, "work", sel, "work is the default")
		require.Equal(t, 1, p.TestID("settings-alert-addresses").Length())

		p = b.post("/settings", url.Values{"timezone": {"UTC"}, "welcome_address": {"personal"},
			"alert_addresses": {"it@example.com, not an address"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, p.Doc().Find(".has-error .field-error").Text(), "“not an address” is not an email address")
		v, _ := p.TestID("settings-alert-addresses").Attr("value")
		require.Equal(t, "it@example.com, not an address", v, "the input is kept")
		got, err := srv.Store.Setting(ctx, models.SettingAlertAddresses, "")
		require.NoError(t, err)
		require.Empty(t, got, "nothing is stored")
		got, err = srv.Store.Setting(ctx, models.SettingWelcomeAddress, models.WelcomeWork)
		require.NoError(t, err)
		require.Equal(t, models.WelcomeWork, got)

		b.post("/settings", url.Values{"welcome_address": {"elsewhere"}, "timezone": {"UTC"}}).
			requireStatus(http.StatusUnprocessableEntity)

		b.post("/settings", url.Values{"timezone": {"UTC"}, "welcome_address": {"personal"},
			"alert_addresses": {" it@example.com ,Security <sec@example.com>,, "}}).requireRedirect(http.StatusSeeOther, "/settings")
		got, err = srv.Store.Setting(ctx, models.SettingAlertAddresses, "")
		require.NoError(t, err)
		require.Equal(t, "it@example.com, sec@example.com", got)
		got, err = srv.Store.Setting(ctx, models.SettingWelcomeAddress, models.WelcomeWork)
		require.NoError(t, err)
		require.Equal(t, models.WelcomePersonal, got)
		require.Len(t, srv.auditEvents(t, models.ActionSettingChanged), 2, "the time zone did not change")

		p = b.get("/settings")
		sel, _ = p.TestID("settings-welcome-address").Find("option[selected]").Attr("value")
		require.Equal(t, "personal", sel)
		v, _ = p.TestID("settings-alert-addresses").Attr("value")
		require.Equal(t, "it@example.com, sec@example.com", v)
	})
}

func TestSettingsMailAddressesViewerReadsOnly(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	p := b.get("/settings")
	_, disabled := p.TestID("settings-alert-addresses").Attr("disabled")
	require.True(t, disabled)
	b.post("/settings", url.Values{"alert_addresses": {"x@example.com"}}).requireStatus(http.StatusForbidden)
}
