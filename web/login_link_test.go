package web_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestLoginLink(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		a := srv.createAdmin(t, models.RoleAdmin)
		link := srv.loginLink(t, a)
		b := srv.browser(t)

		// Looking at the link (as a mail scanner would) does not use it.
		for range 2 {
			p := b.get(link)
			p.requireStatus(http.StatusOK)
			require.Equal(t, a.Email, p.Text("link-email"))
			require.Equal(t, link, p.TestID("link-continue").Closest("form").AttrOr("action", ""))
			require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"), "the token must not leak to other sites")
		}
		require.Empty(t, srv.auditEvents(t, models.ActionSignIn))

		p := b.post(link, nil)
		p.requireRedirect(http.StatusSeeOther, "/")
		session := p.Cookie("roster_session")
		require.NotNil(t, session, "signing in sets the session cookie")

		p = b.get("/")
		p.requireStatus(http.StatusOK)
		require.Equal(t, a.Email, p.TestID("current-user").Find("div").First().Text())
		signIns := srv.auditEvents(t, models.ActionSignIn)
		require.Len(t, signIns, 1)
		require.Equal(t, a.Email, signIns[0].ActorEmail)
		require.JSONEq(t, `{"method":"login_link"}`, *signIns[0].After)
		require.NotNil(t, srv.admin(t, a.ID).LastLoginAt)

		// The same link again, from another browser: refused.
		other := srv.browser(t)
		p = other.post(link, nil)
		p.requireStatus(http.StatusForbidden)
		require.Equal(t, "Link not valid", p.Text("denied-title"))
		other.requireSignedOut()
		p = other.get(link)
		p.requireStatus(http.StatusForbidden)
		require.Equal(t, "Link not valid", p.Text("denied-title"))

		failed := srv.auditEvents(t, models.ActionSignInFailed)
		require.NotEmpty(t, failed)
		require.JSONEq(t, `{"reason":"invalid sign-in link"}`, *failed[len(failed)-1].After)
		srv.stop() // writes the count of the repeat, held until the minute ends
		require.Equal(t, 2, failureCount(t, srv.auditEvents(t, models.ActionSignInFailed)))
	})
}

func TestLoginLinkRenewsSession(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		before := b.cookie("roster_session")
		require.NotNil(t, before)

		// A second sign-in in the same browser gets a fresh session token:
		// whoever knew the old one (fixation) is left with nothing.
		owner := b.signInAs(models.RoleOwner)
		after := b.cookie("roster_session")
		require.NotNil(t, after)
		require.NotEqual(t, before.Value, after.Value, "the session token is renewed on sign-in")
		p := b.get("/")
		p.requireStatus(http.StatusOK)
		require.Equal(t, owner.Email, p.TestID("current-user").Find("div").First().Text())

		replay := srv.browser(t)
		replay.setCookie(before)
		replay.requireSignedOut()
	})
}

func TestLoginLinkRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		spoil      func(t *testing.T, srv *testServer, a *models.Admin)
		wantTitle  string
		wantReason string
		getShows   bool // the confirmation page still shows
	}{
		{name: "expired", wantTitle: "Link not valid", wantReason: "invalid sign-in link",
			spoil: func(t *testing.T, srv *testServer, a *models.Admin) {
				err := srv.DB.Gorm.Exec("UPDATE login_tokens SET expires_at = ? WHERE admin_id = ?",
					time.Now().Add(-time.Minute).UTC(), a.ID).Error
				require.NoError(t, err)
			}},
		{name: "admin disabled", wantTitle: "Not authorised", wantReason: "admin disabled",
			spoil: func(t *testing.T, srv *testServer, a *models.Admin) {
				require.NoError(t, srv.Store.SetAdminDisabled(context.Background(), models.CLIActor, a.ID, true))
			}},
		{name: "unknown token", wantTitle: "Link not valid", wantReason: "invalid sign-in link",
			spoil: func(t *testing.T, srv *testServer, a *models.Admin) {
				require.NoError(t, srv.DB.Gorm.Exec("DELETE FROM login_tokens WHERE admin_id = ?", a.ID).Error)
			}},
	}
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t, dialect)
				a := srv.createAdmin(t, models.RoleOwner)
				srv.createAdmin(t, models.RoleOwner) // so a may be disabled
				link := srv.loginLink(t, a)
				tt.spoil(t, srv, a)
				b := srv.browser(t)

				p := b.get(link)
				if tt.getShows {
					p.requireStatus(http.StatusOK)
				} else {
					p.requireStatus(http.StatusForbidden)
					require.Equal(t, "Link not valid", p.Text("denied-title"))
				}
				// A refused link's page creates no session; the sign-in page does.
				b.token()
				before := b.cookie("roster_session") // the pre-sign-in session holding the CSRF token
				require.NotNil(t, before)
				p = b.post(link, nil)
				p.requireStatus(http.StatusForbidden)
				require.Equal(t, tt.wantTitle, p.Text("denied-title"))
				if c := p.Cookie("roster_session"); c != nil {
					require.Equal(t, before.Value, c.Value, "no signed-in session is started")
				}
				b.requireSignedOut()

				require.Empty(t, srv.auditEvents(t, models.ActionSignIn))
				failed := srv.auditEvents(t, models.ActionSignInFailed)
				require.NotEmpty(t, failed)
				require.JSONEq(t, `{"reason":"`+tt.wantReason+`"}`, *failed[0].After)
				require.Nil(t, srv.admin(t, a.ID).LastLoginAt)
			})
		}
	})
}

func TestLoginLinkConcurrentUse(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		a := srv.createAdmin(t, models.RoleViewer)
		link := srv.loginLink(t, a)
		browsers := make([]*browser, 8)
		for i := range browsers {
			browsers[i] = srv.browser(t)
			browsers[i].get(link).requireStatus(http.StatusOK)
		}

		statuses := make([]int, len(browsers))
		var wg sync.WaitGroup
		for i, b := range browsers {
			wg.Go(func() {
				// Not b.post: require must not fail from another goroutine.
				token := b.csrf
				req := b.request(http.MethodPost, link, nil)
				req.Header.Set("X-CSRF-Token", token)
				resp, err := b.client.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		wg.Wait()

		won := 0
		for _, s := range statuses {
			switch s {
			case http.StatusSeeOther:
				won++
			case http.StatusForbidden:
			default:
				t.Fatalf("statuses %v: want one 303 and the rest 403", statuses)
			}
		}
		require.Equal(t, 1, won, "a link signs in once: %v", statuses)
		require.Len(t, srv.auditEvents(t, models.ActionSignIn), 1)
	})
}
