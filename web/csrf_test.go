package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// These requests carry no Sec-Fetch-Site header (Go's client sends none)
// unless a test sets one, so the CSRF check decides on the token alone.

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

// The token lives in the session: no CSRF cookie is set, and with an
// https base URL the session cookie carries the __Host- prefix (https
// only, Path=/, no Domain), so neither a sibling subdomain nor a
// plain-HTTP answer can plant it.
func TestCSRFCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []serverOption
		wantCookie string
	}{
		{name: "http", wantCookie: "roster_session"},
		{name: "https", opts: []serverOption{withTLS()}, wantCookie: "__Host-roster_session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, models.SQLite, tt.opts...)
			a := srv.createAdmin(t, models.RoleViewer)
			link := srv.loginLink(t, a)
			b := srv.browser(t)

			var set []*http.Cookie
			p := b.get("/login")
			p.requireStatus(http.StatusOK)
			require.NotEmpty(t, b.csrf, "the sign-in page carries a token")
			set = append(set, p.Cookies()...)
			b.get(link).requireStatus(http.StatusOK)
			p = b.post(link, nil)
			p.requireRedirect(http.StatusSeeOther, "/")
			set = append(set, p.Cookies()...)
			set = append(set, b.get("/").Cookies()...)

			require.NotEmpty(t, set)
			for _, c := range set {
				require.Equal(t, tt.wantCookie, c.Name, "the session cookie is the only cookie")
				require.Equal(t, "/", c.Path)
				require.Empty(t, c.Domain)
				require.Equal(t, tt.name == "https", c.Secure)
				require.True(t, c.HttpOnly)
				require.Equal(t, http.SameSiteLaxMode, c.SameSite)
			}
		})
	}
}

// A roster_csrf cookie planted by a sibling subdomain or over plain HTTP,
// with the matching form field, used to pass echo's double-submit check.
// The token is now the session's: the planted pair is refused and nothing
// is created.
func TestCSRFPlantedCookie(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	attacker := srv.browser(t)
	attacker.signInAs(models.RoleViewer)
	tests := []struct {
		name  string
		token func() string
	}{
		{name: "value of the attacker's choosing", token: func() string { return strings.Repeat("a", 32) }},
		{name: "token of the attacker's own session", token: attacker.token},
	}
	for i, tt := range tests {
		for _, via := range []string{"form", "header"} {
			t.Run(tt.name+" in "+via, func(t *testing.T) {
				t.Parallel()
				victim := srv.browser(t)
				victim.signInAs(models.RoleOwner)
				token := tt.token()
				victim.setCookie(&http.Cookie{Name: "roster_csrf", Value: token})
				victim.setCookie(&http.Cookie{Name: "_csrf", Value: token})

				email := fmt.Sprintf("planted-%d-%s@example.com", i, via)
				form := url.Values{"email": {email}, "role": {"owner"}}
				req := victim.request(http.MethodPost, "/admins", nil)
				if via == "form" {
					form.Set("_csrf", token)
				} else {
					req.Header.Set("X-CSRF-Token", token)
					req.Header.Set("HX-Request", "true")
				}
				req.Body = io.NopCloser(strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-site") // posted from the sibling
				victim.do(req).requireStatus(http.StatusForbidden)

				_, err := srv.Store.AdminByEmail(context.Background(), email)
				require.ErrorIs(t, err, models.ErrNotFound, "nothing may be created with a planted token")
				victim.post("/admins", url.Values{"email": {email}, "role": {"viewer"}}).
					requireRedirect(http.StatusSeeOther, "/admins") // the victim's own token still works
			})
		}
	}
}

// Signing out ends the session and its token with it.
func TestCSRFTokenEndsAtSignOut(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	before := b.token()
	b.post("/logout", nil).requireRedirect(http.StatusSeeOther, "/login?signed_out=1")

	a := srv.createAdmin(t, models.RoleViewer)
	link := srv.loginLink(t, a)
	b.get(link).requireStatus(http.StatusOK)
	require.NotEqual(t, before, b.token(), "the new session has a new token")
	b.postRaw(link, url.Values{"_csrf": {before}}).requireStatus(http.StatusForbidden)
	b.post(link, nil).requireRedirect(http.StatusSeeOther, "/")
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
