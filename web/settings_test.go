package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestSettingsTimezone(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get("/settings")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("settings-save").Length())

		p = b.post("/settings", url.Values{"timezone": {"Mars/Olympus"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, p.Doc().Find(".field-error").Text(), "IANA time zone")
		tz, err := srv.Store.Setting(ctx, models.SettingOrgTimezone, "UTC")
		require.NoError(t, err)
		require.Equal(t, "UTC", tz, "a bad zone changes nothing")

		b.post("/settings", url.Values{"timezone": {"Asia/Tokyo"}}).requireRedirect(http.StatusSeeOther, "/settings")
		tz, err = srv.Store.Setting(ctx, models.SettingOrgTimezone, "UTC")
		require.NoError(t, err)
		require.Equal(t, "Asia/Tokyo", tz)
		require.Len(t, srv.auditEvents(t, models.ActionSettingChanged), 1)
	})
}

func TestSettingsViewerReadsOnly(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	p := b.get("/settings")
	p.requireStatus(http.StatusOK)
	require.Zero(t, p.TestID("settings-save").Length())
	b.post("/settings", url.Values{"timezone": {"Asia/Tokyo"}}).requireStatus(http.StatusForbidden)
}
