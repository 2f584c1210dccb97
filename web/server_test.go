package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/web"
	"github.com/rosterhq/roster/web/auth"
)

// This file is the harness the web tests share: a real server over its own
// migrated database, and browsers that keep cookies, never follow
// redirects and read the CSRF token from every page they load.
//
// Go's HTTP client sends no Sec-Fetch-Site header, so the CSRF check
// never takes its fetch-metadata shortcut here: every
// state-changing request in these tests passes (or fails) on the token
// alone, the path an older browser or a script takes.

// testServer is a running Roster web server over its own database.
type testServer struct {
	URL   string
	DB    *models.DB
	Store *models.Store

	http    *httptest.Server
	handler *web.Server
	emails  atomic.Int64
}

// serverSetup is what options may change before the server starts.
type serverSetup struct {
	cfg  web.Config
	deps web.Deps
	tls  bool
	// oidc builds the provider once the server's URL is known, since the
	// redirect URL points back at the server.
	oidc func(t *testing.T, baseURL string) web.OIDC
}

// serverOption adjusts a test server before it starts.
type serverOption func(*serverSetup)

// withConfig changes the web.Config (BaseURL is set by the harness).
func withConfig(f func(*web.Config)) serverOption {
	return func(s *serverSetup) { f(&s.cfg) }
}

// withDefaultSignInLimit restores the production sign-in rate limit,
// which the harness otherwise lifts (see newServer).
func withDefaultSignInLimit() serverOption {
	return func(s *serverSetup) { s.cfg.SignInRate, s.cfg.SignInBurst = 0, 0 }
}

// withReady replaces the readiness check.
func withReady(ready func(context.Context) error) serverOption {
	return func(s *serverSetup) { s.deps.Ready = ready }
}

// withTLS serves over HTTPS, with an https BaseURL.
func withTLS() serverOption {
	return func(s *serverSetup) { s.tls = true }
}

// withRoleMap maps IdP groups to roles.
func withRoleMap(m auth.RoleMap) serverOption {
	return func(s *serverSetup) { s.deps.RoleMap = m }
}

// withOIDC signs in through a real auth.Provider discovered from idp;
// adjust may change the provider's config (AllowedDomain, GroupsClaim...).
func withOIDC(idp *mockoidc.MockOIDC, adjust func(*auth.Config)) serverOption {
	return func(s *serverSetup) {
		s.oidc = func(t *testing.T, baseURL string) web.OIDC {
			cfg := auth.Config{
				Issuer:       idp.Issuer(),
				ClientID:     idp.ClientID,
				ClientSecret: idp.ClientSecret,
				RedirectURL:  baseURL + "/auth/oidc/callback",
			}
			if adjust != nil {
				adjust(&cfg)
			}
			p, err := auth.NewProvider(context.Background(), cfg)
			require.NoError(t, err)
			return p
		}
	}
}

// forEachDialect runs fn as a parallel subtest on SQLite and PostgreSQL.
func forEachDialect(t *testing.T, fn func(t *testing.T, dialect models.Dialect)) {
	t.Helper()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// testSecretKey is the test servers' ROSTER_SECRET_KEY (32 bytes).
const testSecretKey = "roster-web-tests-fixed-key-32byt"

// newServer starts Roster on 127.0.0.1 over a fresh migrated database.
func newServer(t *testing.T, dialect models.Dialect, opts ...serverOption) *testServer {
	t.Helper()
	db := modelstest.Open(t, dialect)
	store := models.NewStore(db)
	plan := planner.New(store)
	// A River client that works the planning queue alone: approving
	// inserts action jobs in the same transaction and nothing runs them
	// during web tests, while uploads and rule edits are planned by their
	// jobs as in production (waitPlanned waits for them).
	client, closeJobs, err := jobs.NewClient(context.Background(), db, store,
		jobs.Options{PlanOnly: true, FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
		closeJobs()
	})
	sealer, err := models.NewSealer([]byte(testSecretKey))
	require.NoError(t, err)
	// Every test signs in through login links from 127.0.0.1, many times
	// over, so the sign-in rate limit is lifted unless a test asks for it
	// (withDefaultSignInLimit).
	setup := serverSetup{cfg: web.Config{SignInRate: 1e6, SignInBurst: 1e6}, deps: web.Deps{
		DB:       db,
		Store:    store,
		Logger:   slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(),
		Ready: func(ctx context.Context) error {
			return migrations.Check(ctx, db.SQL, string(db.Dialect))
		},
		Planner:   plan,
		Importer:  &jobs.Imports{Syncer: &hrsync.Syncer{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanSyncRun}},
		Decider:   &jobs.Decisions{Store: store},
		Replanner: &jobs.Planning{Store: store},
		Accounts:  &reconcile.Reconciler{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanAccounts},
		AppTester: jobs.NewAppTests(store, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback(), Logger: slog.New(slog.DiscardHandler)}),
		Sealer:    sealer,
	}}
	for _, o := range opts {
		o(&setup)
	}

	// The listener exists before the server starts, so the URL is known
	// while the handler (and the OIDC redirect URL) is being built.
	hs := httptest.NewUnstartedServer(nil)
	scheme := "http"
	if setup.tls {
		scheme = "https"
	}
	baseURL := scheme + "://" + hs.Listener.Addr().String()
	u, err := url.Parse(baseURL)
	require.NoError(t, err)
	setup.cfg.BaseURL = u
	if setup.oidc != nil {
		setup.deps.OIDC = setup.oidc(t, baseURL)
	}
	handler := web.New(setup.cfg, setup.deps)
	hs.Config.Handler = handler
	if setup.tls {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(handler.Close)
	t.Cleanup(hs.Close) // runs first: no request is in flight when the session store stops
	return &testServer{URL: baseURL, DB: db, Store: store, http: hs, handler: handler}
}

// stop shuts the server down as serve does: no request in flight, then
// the handler closed (which writes counts still held in memory). The
// database stays open for the test to read.
func (s *testServer) stop() {
	s.http.Close()
	s.handler.Close()
}

// waitPlanned waits until every plan run (an upload's, a rule edit's) has
// been carried out by the planning jobs.
func (s *testServer) waitPlanned(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		everyone, other, err := s.Store.OpenPlanRuns(context.Background())
		return err == nil && everyone == 0 && other == 0
	}, 30*time.Second, 20*time.Millisecond, "planning jobs did not finish")
}

// createAdmin adds an admin with a unique email, as the command line would.
func (s *testServer) createAdmin(t *testing.T, role models.Role) *models.Admin {
	t.Helper()
	email := fmt.Sprintf("%s-%d@example.com", role, s.emails.Add(1))
	a, err := s.Store.CreateAdmin(context.Background(), models.CLIActor, email, "", role)
	require.NoError(t, err)
	return a
}

// admin reloads an admin from the store.
func (s *testServer) admin(t *testing.T, id int64) *models.Admin {
	t.Helper()
	a, err := s.Store.AdminByID(context.Background(), id)
	require.NoError(t, err)
	return a
}

// loginLink issues a one-time sign-in link path for an admin.
func (s *testServer) loginLink(t *testing.T, a *models.Admin) string {
	t.Helper()
	token, err := s.Store.CreateLoginToken(context.Background(), models.CLIActor, a)
	require.NoError(t, err)
	return "/login/link/" + token
}

// auditEvents returns the events with this action, newest first.
func (s *testServer) auditEvents(t *testing.T, action string) []models.AuditEvent {
	t.Helper()
	events, _, err := s.Store.ListAuditEvents(context.Background(), models.AuditFilter{Action: action, Limit: 500})
	require.NoError(t, err)
	return events
}

// browser is one person's client: its own cookie jar, no automatic
// redirects, and the CSRF token of the last page it loaded.
type browser struct {
	t      *testing.T
	srv    *testServer
	client *http.Client
	csrf   string
}

// browser opens a new browser with empty cookies; failures are t's.
func (s *testServer) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{
		t:   t,
		srv: s,
		client: &http.Client{
			Transport: s.http.Client().Transport, // trusts the test certificate under withTLS
			Jar:       jar,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// page is a response, read in full.
type page struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   string
	resp   *http.Response
	doc    *goquery.Document
}

// Cookies are the cookies the response set.
func (p *page) Cookies() []*http.Cookie { return p.resp.Cookies() }

// Cookie returns the cookie the response set with this name, or nil.
func (p *page) Cookie(name string) *http.Cookie {
	for _, c := range p.resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Doc parses the body as HTML.
func (p *page) Doc() *goquery.Document {
	p.t.Helper()
	if p.doc == nil {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		require.NoError(p.t, err)
		p.doc = doc
	}
	return p.doc
}

// TestID selects the elements with this data-testid.
func (p *page) TestID(id string) *goquery.Selection {
	return p.Doc().Find(`[data-testid="` + id + `"]`)
}

// Text is the trimmed text of the elements with this data-testid.
func (p *page) Text(id string) string {
	return strings.TrimSpace(p.TestID(id).Text())
}

// Flash is the message of the flash of this kind (success, error, info),
// without its dismiss button.
func (p *page) Flash(kind string) string {
	return strings.TrimSpace(p.TestID("flash-" + kind).Find("span").Text())
}

// Location is the redirect target.
func (p *page) Location() string { return p.Header.Get("Location") }

// requireRedirect checks for a redirect with this status to this location.
func (p *page) requireRedirect(status int, location string) {
	p.t.Helper()
	require.Equal(p.t, status, p.Status, "body: %s", p.Body)
	require.Equal(p.t, location, p.Location())
}

// requireStatus checks the status code, showing the body when it differs.
func (p *page) requireStatus(status int) {
	p.t.Helper()
	require.Equal(p.t, status, p.Status, "body: %s", p.Body)
}

// do sends a request with the browser's cookies and reads the answer.
func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	p := &page{t: b.t, Status: resp.StatusCode, Header: resp.Header, Body: string(body), resp: resp}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if token, ok := p.Doc().Find(`meta[name="csrf-token"]`).Attr("content"); ok && token != "" {
			b.csrf = token
		}
	}
	return p
}

// roundTrip sends a request below the http.Client, with the browser's
// cookies, for answers the client refuses to parse (such as a Location
// with control characters). Cookies the answer sets are not kept.
func (b *browser) roundTrip(req *http.Request) *page {
	b.t.Helper()
	for _, c := range b.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := b.client.Transport.RoundTrip(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return &page{t: b.t, Status: resp.StatusCode, Header: resp.Header, Body: string(body), resp: resp}
}

// request builds a request for a path on the server (or an absolute URL).
func (b *browser) request(method, path string, body io.Reader) *http.Request {
	b.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = b.srv.URL + path
	}
	req, err := http.NewRequest(method, target, body)
	require.NoError(b.t, err)
	return req
}

// get loads a page.
func (b *browser) get(path string) *page {
	b.t.Helper()
	return b.do(b.request(http.MethodGet, path, nil))
}

// token returns the CSRF token of the last page, loading the sign-in page
// first if the browser has seen none.
func (b *browser) token() string {
	b.t.Helper()
	if b.csrf == "" {
		b.get("/login").requireStatus(http.StatusOK)
		require.NotEmpty(b.t, b.csrf, "no csrf-token meta on /login")
	}
	return b.csrf
}

// post submits a form with the CSRF token in _csrf, as a page's form does.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	// A copy: test tables share their forms between the parallel
	// SQLite and PostgreSQL subtests, and writing the token into the
	// caller's map was a data race between them.
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.token())
	return b.postRaw(path, form)
}

// postRaw submits a form exactly as given, with no token added.
func (b *browser) postRaw(path string, form url.Values) *page {
	b.t.Helper()
	req := b.request(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// cookie returns the browser's cookie with this name for the server, or nil.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookie puts a cookie in the browser's jar, e.g. to replay an old one.
func (b *browser) setCookie(c *http.Cookie) {
	u, _ := url.Parse(b.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
}

// signIn uses a one-time link: the confirmation page, then its form.
func (b *browser) signIn(a *models.Admin) {
	b.t.Helper()
	link := b.srv.loginLink(b.t, a)
	b.get(link).requireStatus(http.StatusOK)
	b.post(link, nil).requireRedirect(http.StatusSeeOther, "/")
	// Follow the redirect as a browser would: sign-in rotates the CSRF
	// token, so the next form needs the token of a page loaded after it.
	b.get("/").requireStatus(http.StatusOK)
}

// signInAs creates an admin with this role and signs in as them.
func (b *browser) signInAs(role models.Role) *models.Admin {
	b.t.Helper()
	a := b.srv.createAdmin(b.t, role)
	b.signIn(a)
	return a
}

// requireSignedOut checks that the browser's session no longer admits it.
func (b *browser) requireSignedOut() {
	b.t.Helper()
	b.get("/").requireRedirect(http.StatusSeeOther, "/login?next=%2F")
}

// startIdP runs mockoidc on 127.0.0.1 for one test.
func startIdP(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// ssoStart begins SSO sign-in and returns the IdP URL Roster sends the
// browser to.
func (b *browser) ssoStart(next string) string {
	b.t.Helper()
	path := "/auth/oidc/start"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	p := b.get(path)
	require.Equal(b.t, http.StatusFound, p.Status, "body: %s", p.Body)
	require.NotEmpty(b.t, p.Location())
	return p.Location()
}

// idpAuthorize plays the browser at the IdP, which signs in the next
// queued user at once, and returns the callback path and query on Roster
// without following it.
func (b *browser) idpAuthorize(authURL string) string {
	b.t.Helper()
	idp := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := idp.Get(authURL)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(b.t, http.StatusFound, resp.StatusCode, "authorize: %s", body)
	loc, err := resp.Location()
	require.NoError(b.t, err)
	require.True(b.t, strings.HasPrefix(loc.String(), b.srv.URL+"/auth/oidc/callback?"), "IdP redirected to %s", loc)
	return loc.RequestURI()
}

// ssoSignIn runs the whole SSO round trip for user and returns Roster's
// answer to the callback.
func (b *browser) ssoSignIn(idp *mockoidc.MockOIDC, user mockoidc.User, next string) *page {
	b.t.Helper()
	authURL := b.ssoStart(next)
	idp.QueueUser(user)
	return b.get(b.idpAuthorize(authURL))
}

// idpUser is a verified IdP identity for email.
func idpUser(subject, email string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: subject, Email: email, EmailVerified: true}
}
