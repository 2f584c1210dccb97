package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	p := srv.browser(t).get("/healthz")
	p.requireStatus(http.StatusOK)
	require.Equal(t, "ok\n", p.Body)
	require.Nil(t, p.Cookie("roster_session"), "probes get no session")
	require.Nil(t, p.Cookie("roster_csrf"))
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect) // the real check: migrations.Check
		srv.browser(t).get("/readyz").requireStatus(http.StatusOK)

		down := newServer(t, dialect, withReady(func(context.Context) error { return errors.New("database is gone") }))
		p := down.browser(t).get("/readyz")
		p.requireStatus(http.StatusServiceUnavailable)
		require.NotContains(t, p.Body, "database is gone", "the reason goes to the log")
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)
	target := srv.createAdmin(t, models.RoleViewer)
	b.get("/admins").requireStatus(http.StatusOK)
	b.post(fmt.Sprintf("/admins/%d/role", target.ID), url.Values{"role": {"approver"}}).requireStatus(http.StatusSeeOther)
	b.get("/no/such/page/12345").requireStatus(http.StatusNotFound)

	p := b.get("/metrics")
	p.requireStatus(http.StatusOK)
	require.Contains(t, p.Body, "# TYPE roster_http_request_duration_seconds histogram")
	require.Contains(t, p.Body, `roster_http_request_duration_seconds_count{method="GET",route="/admins",status="200"} 1`)
	require.Contains(t, p.Body, `roster_http_request_duration_seconds_count{method="POST",route="/admins/:id/role",status="303"} 1`)
	require.Contains(t, p.Body, `roster_http_request_duration_seconds_count{method="POST",route="/login/link/:token",status="303"} 1`)
	require.Contains(t, p.Body, `route="unmatched",status="404"`)
	require.NotContains(t, p.Body, fmt.Sprintf("/admins/%d/", target.ID), "no raw paths with ids")
	require.NotContains(t, p.Body, "12345")
	require.NotRegexp(t, `route="/login/link/[A-Za-z0-9_-]{20,}"`, p.Body, "no sign-in tokens in labels")
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withConfig(func(c *web.Config) { c.MetricsToken = "s3cret" }))
	b := srv.browser(t)
	b.get("/metrics").requireStatus(http.StatusUnauthorized)

	req := b.request(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	b.do(req).requireStatus(http.StatusUnauthorized)

	req = b.request(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	b.do(req).requireStatus(http.StatusOK)
}

// requireSecurityHeaders checks the headers every HTML response carries.
func requireSecurityHeaders(t *testing.T, p *page, what string) {
	t.Helper()
	require.True(t, strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"), "%s is HTML", what)
	csp := p.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'", what)
	require.Contains(t, csp, "frame-ancestors 'none'", what)
	require.NotContains(t, csp, "unsafe-inline", what)
	require.Equal(t, "DENY", p.Header.Get("X-Frame-Options"), what)
	require.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"), what)
	require.Contains(t, []string{"same-origin", "no-referrer"}, p.Header.Get("Referrer-Policy"), what)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withConfig(func(c *web.Config) { c.BodyLimit = "1K" }))
	owner := srv.createAdmin(t, models.RoleOwner)
	link := srv.loginLink(t, owner)
	b := srv.browser(t)

	check := func(what string, p *page, status int) {
		t.Helper()
		p.requireStatus(status)
		requireSecurityHeaders(t, p, what)
		require.Empty(t, p.Header.Get("Strict-Transport-Security"), "no HSTS over plain HTTP")
	}
	check("sign-in page", b.get("/login"), http.StatusOK)
	check("link page", b.get(link), http.StatusOK)
	check("unknown path", b.get("/nope"), http.StatusNotFound)
	check("signed-out POST", b.post("/admins", nil), http.StatusUnauthorized)
	check("missing CSRF token", b.postRaw("/logout", nil), http.StatusForbidden)
	b.post(link, nil).requireRedirect(http.StatusSeeOther, "/")
	check("dashboard", b.get("/"), http.StatusOK)
	check("admins", b.get("/admins"), http.StatusOK)
	check("activity", b.get("/activity"), http.StatusOK)
	check("invalid form", b.post("/admins", url.Values{"email": {"x"}, "role": {"viewer"}}), http.StatusUnprocessableEntity)
	check("used link", b.post(link, nil), http.StatusForbidden)
	check("body too large", b.post("/admins", url.Values{"name": {strings.Repeat("n", 2048)}}), http.StatusRequestEntityTooLarge)
}

func TestSignedInPagesAreNotCached(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	for _, path := range pageRoutes {
		require.Equal(t, "no-store", b.get(path).Header.Get("Cache-Control"), path)
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []serverOption
		wantSecure bool
		wantName   string
	}{
		{name: "http", wantSecure: false, wantName: "roster_session"},
		{name: "https", opts: []serverOption{withTLS()}, wantSecure: true, wantName: "__Host-roster_session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, models.SQLite, tt.opts...)
			a := srv.createAdmin(t, models.RoleViewer)
			link := srv.loginLink(t, a)
			b := srv.browser(t)
			b.get(link).requireStatus(http.StatusOK)
			p := b.post(link, nil)
			p.requireRedirect(http.StatusSeeOther, "/")

			c := p.Cookie(tt.wantName)
			require.NotNil(t, c, tt.wantName)
			require.True(t, c.HttpOnly)
			require.Equal(t, http.SameSiteLaxMode, c.SameSite)
			require.Equal(t, tt.wantSecure, c.Secure)
			require.Equal(t, "/", c.Path)
			require.Empty(t, c.Domain)
			require.Nil(t, p.Cookie("roster_csrf"), "the CSRF token lives in the session, not a cookie")
			b.get("/").requireStatus(http.StatusOK)
			hsts := b.get("/").Header.Get("Strict-Transport-Security")
			if tt.wantSecure {
				require.Contains(t, hsts, "max-age=")
			} else {
				require.Empty(t, hsts)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	for _, signedIn := range []bool{false, true} {
		b := srv.browser(t)
		if signedIn {
			b.signInAs(models.RoleViewer)
		}
		for _, path := range []string{"/nope", "/admins/1/nope", "/static/nope.js", "/static/"} {
			p := b.get(path)
			p.requireStatus(http.StatusNotFound)
			if strings.HasPrefix(path, "/static/") {
				continue // the file server's own plain 404
			}
			require.Equal(t, 1, p.TestID("error-page").Length(), path)
			require.Contains(t, p.Body, "Page not found", path)
			require.NotContains(t, p.Body, "goroutine", path)
			require.NotContains(t, p.Body, ".go:", path)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)
	req := b.request(http.MethodDelete, "/admins", nil)
	req.Header.Set("X-CSRF-Token", b.token())
	p := b.do(req)
	p.requireStatus(http.StatusMethodNotAllowed)
	require.Equal(t, 1, p.TestID("error-page").Length())
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withConfig(func(c *web.Config) { c.BodyLimit = "1K" }))
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)

	p := b.post("/admins", url.Values{"email": {"big@example.com"}, "role": {"viewer"}, "name": {strings.Repeat("n", 2048)}})
	p.requireStatus(http.StatusRequestEntityTooLarge)
	require.Equal(t, 1, p.TestID("error-page").Length())
	_, err := srv.Store.AdminByEmail(context.Background(), "big@example.com")
	require.ErrorIs(t, err, models.ErrNotFound)

	b.post("/admins", url.Values{"email": {"small@example.com"}, "role": {"viewer"}}).requireStatus(http.StatusSeeOther)
}

func TestServerErrorHidesInternals(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		require.NoError(t, srv.DB.Gorm.Exec("DROP TABLE audit_events").Error)

		p := b.get("/activity")
		p.requireStatus(http.StatusInternalServerError)
		require.Equal(t, 1, p.TestID("error-page").Length())
		require.Contains(t, p.Body, "Something went wrong")
		require.NotEmpty(t, p.Header.Get("X-Request-Id"))
		require.Contains(t, p.Body, p.Header.Get("X-Request-Id"), "the request id is quoted for the operator")
		for _, leak := range []string{"audit_events", "SELECT", "no such table", "does not exist", "store:", ".go:"} {
			require.NotContains(t, p.Body, leak)
		}
		requireSecurityHeaders(t, p, "server error")
	})
}

func TestSessionStoreErrorUsesErrorPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	require.NoError(t, srv.DB.Gorm.Exec("DROP TABLE sessions").Error)

	p := b.get("/admins")
	p.requireStatus(http.StatusInternalServerError)
	require.Equal(t, 1, p.TestID("error-page").Length(), "a session store failure shows the error page: %q", p.Body)
	requireSecurityHeaders(t, p, "session store error")
}
