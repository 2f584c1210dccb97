package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestSignOut(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		a := b.signInAs(models.RoleOwner)
		p := b.get("/")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("sign-out").Length())
		session := b.cookie("roster_session")
		require.NotNil(t, session)

		p = b.post("/logout", nil)
		p.requireRedirect(http.StatusSeeOther, "/login?signed_out=1")
		gone := p.Cookie("roster_session")
		require.NotNil(t, gone, "the session cookie is cleared")
		require.Empty(t, gone.Value)
		require.Less(t, gone.MaxAge, 0)

		p = b.get("/login?signed_out=1")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("signed-out").Length())
		b.requireSignedOut()

		// The old cookie, replayed, is no session at all: it was destroyed
		// on the server, not merely forgotten by the browser.
		replay := srv.browser(t)
		replay.setCookie(session)
		replay.requireSignedOut()
		replay.get("/admins").requireRedirect(http.StatusSeeOther, "/login?next=%2Fadmins")

		events := srv.auditEvents(t, models.ActionSignOut)
		require.Len(t, events, 1)
		require.Equal(t, a.Email, events[0].ActorEmail)
		require.Equal(t, a.Email, events[0].SubjectLabel)
	})
}

func TestSignOutSignedOut(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)

	b.post("/logout", nil).requireRedirect(http.StatusSeeOther, "/login?signed_out=1")
	require.Empty(t, srv.auditEvents(t, models.ActionSignOut), "nobody signed out")
}
