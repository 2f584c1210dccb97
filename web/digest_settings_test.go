package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestSettingsDigestHour(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get("/settings")
		p.requireStatus(http.StatusOK)
		sel, _ := p.TestID("settings-digest-hour").Find("option[selected]").Attr("value")
		require.Equal(t, "8", sel, "8 is the default")
		require.Equal(t, 24, p.TestID("settings-digest-hour").Find("option").Length())

		for _, bad := range []string{"24", "-1", "seven", "1e99", "99999999999999999999"} {
			p = b.post("/settings", url.Values{"timezone": {"UTC"}, "digest_hour": {bad}})
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Contains(t, p.Doc().Find(".has-error .field-error").Text(), "Choose an hour from 0 to 23.")
		}
		got, err := srv.Store.Setting(ctx, models.SettingDigestHour, "")
		require.NoError(t, err)
		require.Empty(t, got, "nothing is stored")

		b.post("/settings", url.Values{"timezone": {"UTC"}, "digest_hour": {"6"}}).requireRedirect(http.StatusSeeOther, "/settings")
		got, err = srv.Store.Setting(ctx, models.SettingDigestHour, "")
		require.NoError(t, err)
		require.Equal(t, "6", got)
		sel, _ = b.get("/settings").TestID("settings-digest-hour").Find("option[selected]").Attr("value")
		require.Equal(t, "6", sel)

		// A form without the field leaves the hour alone.
		b.post("/settings", url.Values{"timezone": {"UTC"}}).requireRedirect(http.StatusSeeOther, "/settings")
		got, err = srv.Store.Setting(ctx, models.SettingDigestHour, "")
		require.NoError(t, err)
		require.Equal(t, "6", got)
	})
}

func TestDigestPreferenceIsPerAdmin(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		other := srv.createAdmin(t, models.RoleAdmin)
		b := srv.browser(t)
		me := b.signInAs(models.RoleViewer)

		p := b.get("/settings")
		_, disabled := p.TestID("settings-digest-hour").Attr("disabled")
		require.True(t, disabled, "viewers cannot change the hour")
		_, checked := p.TestID("digest-me").Attr("checked")
		require.True(t, checked, "everyone gets the digest by default")
		require.Equal(t, 1, p.TestID("digest-save").Length(), "but every admin sets their own preference")
		b.post("/settings", url.Values{"digest_hour": {"6"}}).requireStatus(http.StatusForbidden)

		b.post("/settings/digest", url.Values{}).requireRedirect(http.StatusSeeOther, "/settings")
		out, err := srv.Store.DigestOptOut(ctx, me.ID)
		require.NoError(t, err)
		require.True(t, out)
		out, err = srv.Store.DigestOptOut(ctx, other.ID)
		require.NoError(t, err)
		require.False(t, out, "only the signed-in admin opts out")
		p = b.get("/settings")
		require.Contains(t, p.Flash("success"), "no longer get the daily digest")
		_, checked = p.TestID("digest-me").Attr("checked")
		require.False(t, checked)
		require.Len(t, srv.auditEvents(t, models.ActionDigestPreference), 1)

		b.post("/settings/digest", url.Values{"digest": {"on"}}).requireRedirect(http.StatusSeeOther, "/settings")
		out, err = srv.Store.DigestOptOut(ctx, me.ID)
		require.NoError(t, err)
		require.False(t, out)
	})
}
