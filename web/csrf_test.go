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
)

// These requests carry no Sec-Fetch-Site header (Go's client sends none),
// so echo's CSRF middleware decides on the token alone.

func TestCSRFInvite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		send       func(b *browser, form url.Values) *page
		wantStatus int
	}{
		{name: "no token", wantStatus: http.StatusForbidden,
			send: func(b *browser, form url.Values) *page { return b.postRaw("/admins", form) }},
		{name: "wrong token", wantStatus: http.StatusForbidden,
			send: func(b *browser, form url.Values) *page {
				form.Set("_csrf", strings.Repeat("x", len(b.token())))
				return b.postRaw("/admins", form)
			}},
		{name: "token of another browser", wantStatus: http.StatusForbidden,
			send: func(b *browser, form url.Values) *page {
				form.Set("_csrf", b.srv.browser(b.t).token())
				return b.postRaw("/admins", form)
			}},
		{name: "token in _csrf", wantStatus: http.StatusSeeOther,
			send: func(b *browser, form url.Values) *page { return b.post("/admins", form) }},
		{name: "token in X-CSRF-Token, as htmx sends it", wantStatus: http.StatusSeeOther,
			send: func(b *browser, form url.Values) *page {
				req := b.request(http.MethodPost, "/admins", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-CSRF-Token", b.token())
				req.Header.Set("HX-Request", "true")
				return b.do(req)
			}},
	}
	srv := newServer(t, models.SQLite)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := srv.browser(t)
			b.signInAs(models.RoleOwner)
			email := fmt.Sprintf("invitee-%d@example.com", i)

			p := tt.send(b, url.Values{"email": {email}, "role": {"viewer"}})
			require.Equal(t, tt.wantStatus, p.Status, "body: %s", p.Body)

			_, err := srv.Store.AdminByEmail(context.Background(), email)
			if tt.wantStatus == http.StatusSeeOther {
				require.NoError(t, err, "the admin was invited")
				require.Equal(t, "/admins", p.Location())
				return
			}
			require.ErrorIs(t, err, models.ErrNotFound, "nothing may be created without a valid token")
			require.Equal(t, "error-page", p.TestID("error-page").AttrOr("data-testid", ""))
			require.Contains(t, p.Body, "did not come from Roster")
		})
	}
}

func TestCSRFSignOut(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)

	b.postRaw("/logout", nil).requireStatus(http.StatusForbidden)
	b.postRaw("/logout", url.Values{"_csrf": {"forged"}}).requireStatus(http.StatusForbidden)

	b.get("/").requireStatus(http.StatusOK) // still signed in
	require.Empty(t, srv.auditEvents(t, models.ActionSignOut))
}

func TestCSRFCookie(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	p := b.get("/login")
	p.requireStatus(http.StatusOK)

	c := p.Cookie("roster_csrf")
	require.NotNil(t, c, "the sign-in page sets the CSRF cookie")
	require.True(t, c.HttpOnly, "scripts read the token from the meta tag, never the cookie")
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, c.Value, b.csrf, "the meta tag carries the cookie's token")
}

// Browsers that send fetch metadata are judged by it instead of the token.
func TestCSRFFetchMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		site       string
		withToken  bool
		wantStatus int
	}{
		{site: "same-origin", withToken: false, wantStatus: http.StatusSeeOther},
		{site: "cross-site", withToken: true, wantStatus: http.StatusForbidden},
		{site: "cross-site", withToken: false, wantStatus: http.StatusForbidden},
		{site: "same-site", withToken: false, wantStatus: http.StatusForbidden},
		{site: "same-site", withToken: true, wantStatus: http.StatusSeeOther},
	}
	srv := newServer(t, models.SQLite)
	for i, tt := range tests {
		name := tt.site + " without token"
		if tt.withToken {
			name = tt.site + " with token"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := srv.browser(t)
			b.signInAs(models.RoleOwner)
			email := fmt.Sprintf("fetch-%d@example.com", i)
			form := url.Values{"email": {email}, "role": {"viewer"}}
			if tt.withToken {
				form.Set("_csrf", b.token())
			}
			req := b.request(http.MethodPost, "/admins", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", tt.site)
			p := b.do(req)
			p.requireStatus(tt.wantStatus)

			_, err := srv.Store.AdminByEmail(context.Background(), email)
			require.Equal(t, tt.wantStatus == http.StatusSeeOther, err == nil)
		})
	}
}

// A token issued before sign-in (which anyone who planted it could know)
// is worthless after it: sign-in rotates the CSRF token with the session.
func TestCSRFTokenRotatesAtSignIn(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	before := b.token()
	b.signInAs(models.RoleOwner)
	require.NotEqual(t, before, b.token(), "the signed-in page carries a new token")

	form := url.Values{"email": {"planted@example.com"}, "role": {"viewer"}, "_csrf": {before}}
	b.postRaw("/admins", form).requireStatus(http.StatusForbidden)
	_, err := srv.Store.AdminByEmail(context.Background(), "planted@example.com")
	require.ErrorIs(t, err, models.ErrNotFound)
}
