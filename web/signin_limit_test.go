package web_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web"
)

// trustLoopback makes the test client a trusted proxy, so X-Forwarded-For
// picks the client address a request counts against.
func trustLoopback(t *testing.T) serverOption {
	_, n, err := net.ParseCIDR("127.0.0.0/8")
	require.NoError(t, err)
	return withConfig(func(c *web.Config) { c.TrustedProxies = []*net.IPNet{n} })
}

// from sends a request as if from addr (by X-Forwarded-For; "" sends
// none). POSTs carry the browser's CSRF token.
func (b *browser) from(addr, method, path string) *page {
	b.t.Helper()
	req := b.request(method, path, nil)
	if method == http.MethodPost {
		req.Header.Set("X-CSRF-Token", b.token())
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	return b.do(req)
}

// exhaust sends requests from addr until one is refused with 429 and
// returns it. The first DefaultSignInBurst are never refused; after them
// the test sends far faster than DefaultSignInRate, so a refusal follows.
func exhaust(t *testing.T, b *browser, addr, method, path string) *page {
	t.Helper()
	for i := range 3 * web.DefaultSignInBurst {
		p := b.from(addr, method, path)
		if p.Status == http.StatusTooManyRequests {
			require.GreaterOrEqual(t, i, web.DefaultSignInBurst, "refused within the burst")
			return p
		}
	}
	t.Fatalf("%s %s from %q: no 429 after %d requests", method, path, addr, 3*web.DefaultSignInBurst)
	return nil
}

// requireLimited checks that addr's bucket is empty: a fresh one would
// let DefaultSignInBurst requests through, so a 429 must come within
// half of that (the bucket may refill a token or two meanwhile on a
// loaded machine). It returns the 429.
func requireLimited(t *testing.T, b *browser, addr, method, path string) *page {
	t.Helper()
	for range web.DefaultSignInBurst / 2 {
		if p := b.from(addr, method, path); p.Status == http.StatusTooManyRequests {
			requireTooMany(t, p)
			return p
		}
	}
	t.Fatalf("%s %s from %q: not limited", method, path, addr)
	return nil
}

// requireTooMany checks a refusal is the plain page with a Retry-After
// in whole seconds.
func requireTooMany(t *testing.T, p *page) {
	t.Helper()
	p.requireStatus(http.StatusTooManyRequests)
	secs, err := strconv.Atoi(p.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q is whole seconds", p.Header.Get("Retry-After"))
	require.Positive(t, secs)
	require.Equal(t, 1, p.TestID("error-page").Length())
	require.Contains(t, p.Body, "Too many attempts")
	wait := "a second"
	if secs > 1 {
		wait = strconv.Itoa(secs) + " seconds"
	}
	require.Contains(t, p.Body, "Wait "+wait+" and try again.", "the page says how long, as Retry-After does")
}

func sessionRows(t *testing.T, srv *testServer) int {
	t.Helper()
	var n int
	require.NoError(t, srv.DB.SQL.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&n))
	return n
}

func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		idp := startIdP(t)
		srv := newServer(t, dialect, withOIDC(idp, nil), withDefaultSignInLimit(), trustLoopback(t))
		routes := []struct{ method, path string }{
			{http.MethodGet, "/login/link/junk"},
			{http.MethodPost, "/login/link/junk"},
			{http.MethodGet, "/auth/oidc/start"},
			{http.MethodGet, "/auth/oidc/callback?state=s&code=c"},
			{http.MethodGet, "/login"},
		}
		for i, r := range routes {
			addr := fmt.Sprintf("203.0.113.%d", i+1) // each address its own bucket
			b := srv.browser(t)
			requireTooMany(t, exhaust(t, b, addr, r.method, r.path))
			// One bucket per address across the sign-in routes.
			other := routes[(i+1)%len(routes)]
			requireLimited(t, b, addr, other.method, other.path)

			// Refused before the session is loaded: a cookie-less client
			// over its limit leaves no session row behind.
			refused := false
			for range web.DefaultSignInBurst / 2 {
				fresh := srv.browser(t)
				if r.method == http.MethodPost {
					fresh.token() // from 127.0.0.1, whose bucket is full
				}
				before := sessionRows(t, srv)
				if p := fresh.from(addr, r.method, r.path); p.Status == http.StatusTooManyRequests {
					require.Equal(t, before, sessionRows(t, srv), "%s %s: a refused request wrote a session row", r.method, r.path)
					refused = true
					break
				}
			}
			require.True(t, refused, "%s %s from %s: not limited", r.method, r.path, addr)
		}

		// Other addresses have their own buckets; other routes are not limited.
		b := srv.browser(t)
		exhaust(t, b, "203.0.113.99", http.MethodGet, "/login/link/junk")
		b.from("198.51.100.1", http.MethodGet, "/login/link/junk").requireStatus(http.StatusForbidden)
		b.from("203.0.113.99", http.MethodGet, "/healthz").requireStatus(http.StatusOK)
		b.from("203.0.113.99", http.MethodGet, "/").requireStatus(http.StatusSeeOther)
	})
}

// A client that is not a trusted proxy cannot pick a fresh bucket with
// X-Forwarded-For.
func TestSignInRateLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	t.Parallel()
	_, tenNet, err := net.ParseCIDR("10.0.0.0/8")
	require.NoError(t, err)
	for name, trusted := range map[string][]*net.IPNet{"no trusted proxies": nil, "peer is not a trusted proxy": {tenNet}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, models.SQLite, withDefaultSignInLimit(), withConfig(func(c *web.Config) { c.TrustedProxies = trusted }))
			b := srv.browser(t)
			exhaust(t, b, "", http.MethodGet, "/login/link/junk")
			for _, spoofed := range []string{"198.51.100.7", "198.51.100.8, 10.0.0.1", "2001:db8::1"} {
				requireLimited(t, b, spoofed, http.MethodGet, "/login/link/junk")
			}
		})
	}
}

// An IPv6 client usually holds a whole /64: its addresses share a bucket.
func TestSignInRateLimitIPv6Prefix(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withDefaultSignInLimit(), trustLoopback(t))
	b := srv.browser(t)
	exhaust(t, b, "2001:db8:0:1::1", http.MethodGet, "/login/link/junk")
	requireLimited(t, b, "2001:db8:0:1::2", http.MethodGet, "/login/link/junk")
	requireLimited(t, b, "2001:db8:0:1:ffff:ffff:ffff:ffff", http.MethodGet, "/login/link/junk")
	b.from("2001:db8:0:2::1", http.MethodGet, "/login/link/junk").requireStatus(http.StatusForbidden)
}

// A flood of junk sign-in links is one event written at once and one
// carrying the count, per address and minute.
func TestSignInFailuresCollapse(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect, trustLoopback(t)) // the harness lifts the rate limit
		b := srv.browser(t)
		const n = 200
		for range n {
			b.from("203.0.113.9", http.MethodGet, "/login/link/junk").requireStatus(http.StatusForbidden)
		}
		b.from("198.51.100.1", http.MethodGet, "/login/link/junk").requireStatus(http.StatusForbidden)
		srv.stop() // writes the counts still held, as a shutdown does

		var flood []models.AuditEvent
		for _, e := range srv.auditEvents(t, models.ActionSignInFailed) {
			if e.IP != "203.0.113.9" {
				require.Equal(t, "198.51.100.1", e.IP)
				require.JSONEq(t, `{"reason":"invalid sign-in link"}`, *e.After, "a lone failure has no count")
				continue
			}
			require.Equal(t, "unknown", e.ActorEmail)
			require.Contains(t, *e.After, `"reason":"invalid sign-in link"`)
			flood = append(flood, e)
		}
		// The requests take a few seconds, so they may straddle a minute:
		// at most two rows for each minute, and the counts add up.
		minutes := len(flood) - len(counted(t, flood))
		require.Positive(t, minutes)
		require.LessOrEqual(t, minutes, 2)
		require.LessOrEqual(t, len(flood), 2*minutes)
		require.Equal(t, n, failureCount(t, flood), "every failure counted once")
	})
}

// counted are the counts of the events that carry one: the events
// written when a minute with repeats closes.
func counted(t *testing.T, events []models.AuditEvent) []int {
	t.Helper()
	var counts []int
	for _, e := range events {
		var after struct {
			Count  *int   `json:"count"`
			Window string `json:"window"`
		}
		require.NotNil(t, e.After)
		require.NoError(t, json.Unmarshal([]byte(*e.After), &after))
		if after.Count != nil {
			require.NotEmpty(t, after.Window, "a count says which minute it covers")
			counts = append(counts, *after.Count)
		}
	}
	return counts
}

// failureCount is how many failures events record: each minute's first
// is written at once and its count event (if any) holds the minute's
// total, that first included.
func failureCount(t *testing.T, events []models.AuditEvent) int {
	t.Helper()
	counts := counted(t, events)
	n := len(events) - 2*len(counts) // firsts of minutes without repeats
	for _, c := range counts {
		n += c
	}
	return n
}

// Pages a stranger can ask for without limit (unknown paths, refused
// forms) and refused sign-in links create no server-side session: only
// pages that need one (the sign-in page, a valid link's form, the SSO
// start) do, and those are rate-limited.
func TestStrangersWriteNoSessionRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		before := sessionRows(t, srv)
		for range 3 {
			srv.browser(t).get("/no-such-page").requireStatus(http.StatusNotFound)
			srv.browser(t).get("/login/link/junk").requireStatus(http.StatusForbidden)
			srv.browser(t).postRaw("/login/link/junk", nil).requireStatus(http.StatusForbidden)
			srv.browser(t).postRaw("/logout", nil).requireStatus(http.StatusForbidden)
		}
		require.Equal(t, before, sessionRows(t, srv))

		// A signed-in admin's error pages still carry their token.
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		token := b.csrf
		b.csrf = ""
		p := b.get("/no-such-page")
		p.requireStatus(http.StatusNotFound)
		require.Equal(t, token, p.Doc().Find(`meta[name="csrf-token"]`).AttrOr("content", ""))
	})
}
