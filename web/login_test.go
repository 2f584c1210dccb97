package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/auth"
)

func TestSignInPageWithoutSSO(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)

	p := b.get("/login")
	p.requireStatus(http.StatusOK)
	require.Empty(t, p.TestID("sso-sign-in").Nodes)
	require.Contains(t, p.Body, "roster login-link")
	require.Equal(t, "no-store", p.Header.Get("Cache-Control"))

	for _, path := range []string{"/auth/oidc/start", "/auth/oidc/callback?state=x&code=y"} {
		p := b.get(path)
		p.requireStatus(http.StatusNotFound)
		require.Equal(t, 1, p.TestID("error-page").Length())
	}
	require.Equal(t, 1, b.get("/login?signed_out=1").TestID("signed-out").Length())
}

func TestSignInPageWhenSignedIn(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)

	b.get("/login").requireRedirect(http.StatusSeeOther, "/")
	b.get("/login?next=%2Factivity").requireRedirect(http.StatusSeeOther, "/activity")
	b.get("/login?next=%2F%2Fevil.example").requireRedirect(http.StatusSeeOther, "/")
}

func TestSSORoundTrip(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		idp := startIdP(t)
		srv := newServer(t, dialect, withOIDC(idp, nil))
		a, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "jane@example.com", "Jane", models.RoleApprover)
		require.NoError(t, err)
		b := srv.browser(t)

		p := b.get("/login?next=%2Factivity")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "/auth/oidc/start?next=%2Factivity", p.TestID("sso-sign-in").AttrOr("href", ""))

		authURL := b.ssoStart("/activity")
		u, err := url.Parse(authURL)
		require.NoError(t, err)
		require.Equal(t, idp.AuthorizationEndpoint(), u.Scheme+"://"+u.Host+u.Path)
		require.Equal(t, srv.URL+"/auth/oidc/callback", u.Query().Get("redirect_uri"))
		require.Equal(t, "S256", u.Query().Get("code_challenge_method"))
		before := b.cookie("roster_session")
		require.NotNil(t, before, "the flow's secrets wait in the session")

		idp.QueueUser(idpUser("sub-jane", "Jane@Example.com"))
		callback := b.idpAuthorize(authURL)
		p = b.get(callback)
		p.requireRedirect(http.StatusSeeOther, "/activity")
		after := b.cookie("roster_session")
		require.NotNil(t, after)
		require.NotEqual(t, before.Value, after.Value, "the session token is renewed on sign-in")

		p = b.get("/")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Jane", p.TestID("current-user").Find("div").First().Text())
		require.Equal(t, 1, p.TestID("dashboard-empty").Length())

		got := srv.admin(t, a.ID)
		require.NotNil(t, got.OIDCSubject)
		require.Equal(t, "sub-jane", *got.OIDCSubject)
		require.Equal(t, idp.Issuer(), *got.OIDCIssuer)
		require.NotNil(t, got.LastLoginAt)
		signIns := srv.auditEvents(t, models.ActionSignIn)
		require.Len(t, signIns, 1)
		require.Equal(t, "jane@example.com", signIns[0].ActorEmail)
		require.JSONEq(t, `{"method":"sso"}`, *signIns[0].After)

		// The callback replayed in another browser finds no sign-in in progress.
		thief := srv.browser(t)
		p = thief.get(callback)
		p.requireStatus(http.StatusForbidden)
		require.Equal(t, "Sign-in expired", p.Text("denied-title"))
		thief.requireSignedOut()

		// A second SSO sign-in with the same identity works.
		other := srv.browser(t)
		other.ssoSignIn(idp, idpUser("sub-jane", "jane@example.com"), "").requireRedirect(http.StatusSeeOther, "/")
		other.get("/").requireStatus(http.StatusOK)
	})
}

func TestSSORefused(t *testing.T) {
	t.Parallel()
	const email = "sam@example.com"
	tests := []struct {
		name        string
		adjust      func(*auth.Config)
		setup       func(t *testing.T, srv *testServer, idp *mockoidc.MockOIDC) // the admin sam exists unless setup removes them
		callback    func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string
		wantTitle   string
		wantMessage string
		wantReason  string
		wantTried   string // the email the refusal is audited with; "" when none was asserted
	}{
		{
			name: "state mismatch",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(idpUser("sub-sam", email))
				return withQuery(t, b.idpAuthorize(authURL), "state", "forged-state")
			},
			wantTitle: "Sign-in failed", wantMessage: auth.ErrStateMismatch.Error(), wantReason: auth.ErrStateMismatch.Error(),
		},
		{
			name: "nonce mismatch",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				// A code issued for another attempt that shares state and
				// verifier: only the nonce in the ID token differs.
				authURL := withQuery(t, b.ssoStart(""), "nonce", "nonce-of-another-attempt")
				idp.QueueUser(idpUser("sub-sam", email))
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Sign-in failed", wantMessage: auth.ErrNonceMismatch.Error(), wantReason: auth.ErrNonceMismatch.Error(),
		},
		{
			name: "IdP refused",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				state := mustQuery(t, b.ssoStart("")).Get("state")
				return "/auth/oidc/callback?" + url.Values{"state": {state}, "error": {"access_denied"}}.Encode()
			},
			wantTitle: "Sign-in failed", wantMessage: auth.ErrIdPError.Error(), wantReason: "access_denied",
		},
		{
			name: "no sign-in in progress",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				return "/auth/oidc/callback?state=s&code=c"
			},
			wantTitle: "Sign-in expired", wantMessage: "unknown or has expired", wantReason: "no sign-in in progress",
		},
		{
			name: "email not verified",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(&mockoidc.MockUser{Subject: "sub-sam", Email: email, EmailVerified: false})
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Sign-in failed", wantMessage: auth.ErrEmailNotVerified.Error(), wantReason: auth.ErrEmailNotVerified.Error(), wantTried: email,
		},
		{
			name:   "domain not allowed",
			adjust: func(c *auth.Config) { c.AllowedDomain = "corp.example" },
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(idpUser("sub-sam", email))
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Sign-in failed", wantMessage: auth.ErrDomainNotAllowed.Error(), wantReason: auth.ErrDomainNotAllowed.Error(), wantTried: email,
		},
		{
			name: "not an admin",
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(idpUser("sub-stranger", "stranger@example.com"))
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Not authorised", wantMessage: "stranger@example.com is not a Roster admin", wantReason: "not an active admin", wantTried: "stranger@example.com",
		},
		{
			name: "admin disabled",
			setup: func(t *testing.T, srv *testServer, _ *mockoidc.MockOIDC) {
				a, err := srv.Store.AdminByEmail(context.Background(), email)
				require.NoError(t, err)
				require.NoError(t, srv.Store.SetAdminDisabled(context.Background(), models.CLIActor, a.ID, true))
			},
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(idpUser("sub-sam", email))
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Not authorised", wantMessage: "is not a Roster admin", wantReason: "not an active admin", wantTried: email,
		},
		{
			name: "email bound to another identity",
			setup: func(t *testing.T, srv *testServer, idp *mockoidc.MockOIDC) {
				b := srv.browser(t)
				b.ssoSignIn(idp, idpUser("sub-sam", email), "").requireRedirect(http.StatusSeeOther, "/")
			},
			callback: func(t *testing.T, b *browser, idp *mockoidc.MockOIDC) string {
				authURL := b.ssoStart("")
				idp.QueueUser(idpUser("sub-recycled", email))
				return b.idpAuthorize(authURL)
			},
			wantTitle: "Not authorised", wantMessage: "linked to a different account", wantReason: models.ErrIdentityMismatch.Error(), wantTried: email,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			idp := startIdP(t)
			srv := newServer(t, models.SQLite, withOIDC(idp, tt.adjust))
			_, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, email, "", models.RoleOwner)
			require.NoError(t, err)
			srv.createAdmin(t, models.RoleOwner) // so sam may be disabled
			if tt.setup != nil {
				tt.setup(t, srv, idp)
			}
			signInsBefore := len(srv.auditEvents(t, models.ActionSignIn))
			b := srv.browser(t)

			p := b.get(tt.callback(t, b, idp))
			p.requireStatus(http.StatusForbidden)
			require.Equal(t, tt.wantTitle, p.Text("denied-title"))
			require.Contains(t, p.Text("denied-message"), tt.wantMessage)
			b.requireSignedOut()

			require.Len(t, srv.auditEvents(t, models.ActionSignIn), signInsBefore, "no sign-in recorded")
			failed := srv.auditEvents(t, models.ActionSignInFailed)
			require.Len(t, failed, 1)
			require.Contains(t, *failed[0].After, tt.wantReason)
			require.Equal(t, tt.wantTried, failed[0].SubjectLabel, "the email that was tried")
			wantActor := tt.wantTried
			if wantActor == "" {
				wantActor = "unknown"
			}
			require.Equal(t, wantActor, failed[0].ActorEmail)
		})
	}
}

func TestSSONext(t *testing.T) {
	t.Parallel()
	tests := []struct{ next, want string }{
		{"/activity", "/activity"},
		{"/activity?action=admin.invited", "/activity?action=admin.invited"},
		{"/admins", "/admins"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/admins", "/"},
		{"https://evil.example", "/"},
		{"https://evil.example/admins", "/"},
		{`/\evil.example`, "/"},
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
		{"/auth/oidc/start", "/"},
	}
	idp := startIdP(t)
	srv := newServer(t, models.SQLite, withOIDC(idp, nil))
	_, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "ned@example.com", "", models.RoleViewer)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			// Not parallel: the IdP hands out queued users in order.
			b := srv.browser(t)
			p := b.ssoSignIn(idp, idpUser("sub-ned", "ned@example.com"), tt.next)
			p.requireRedirect(http.StatusSeeOther, tt.want)
		})
	}
}

// browserLocation resolves a Location header the way a browser's URL
// parser does, which drops ASCII tabs and newlines anywhere in the input.
func browserLocation(t *testing.T, base, location string) *url.URL {
	t.Helper()
	location = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(location)
	b, err := url.Parse(base)
	require.NoError(t, err)
	ref, err := url.Parse(location)
	require.NoError(t, err)
	return b.ResolveReference(ref)
}

func TestSafeNextControlCharacters(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)

	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example"} {
		p := b.roundTrip(b.request(http.MethodGet, "/login?next="+url.QueryEscape(next), nil))
		require.Equal(t, http.StatusSeeOther, p.Status)
		u := browserLocation(t, srv.URL, p.Location())
		require.Equal(t, srv.URL, u.Scheme+"://"+u.Host, "next=%q redirected to %s", next, u)
	}
}

func TestSSORoleMap(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	groups := func(c *auth.Config) { c.GroupsClaim, c.Scopes = "groups", []string{"groups"} }
	srv := newServer(t, models.SQLite, withOIDC(idp, groups), withRoleMap(auth.RoleMap{
		"roster-owners": models.RoleOwner, "it": models.RoleApprover,
	}))
	a, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "gil@example.com", "", models.RoleViewer)
	require.NoError(t, err)
	user := &mockoidc.MockUser{Subject: "sub-gil", Email: "gil@example.com", EmailVerified: true, Groups: []string{"it", "staff"}}

	b := srv.browser(t)
	b.ssoSignIn(idp, user, "").requireRedirect(http.StatusSeeOther, "/")
	require.Equal(t, models.RoleApprover, srv.admin(t, a.ID).Role)
	p := b.get("/")
	p.requireStatus(http.StatusOK)
	require.Equal(t, "approver", p.TestID("current-user").Find(`[data-testid="role-badge"]`).Text())
	changed := srv.auditEvents(t, models.ActionAdminRole)
	require.Len(t, changed, 1)
	require.Equal(t, "sso-groups", changed[0].ActorEmail)

	// The only owner is never demoted by their groups.
	o, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "olga@example.com", "", models.RoleOwner)
	require.NoError(t, err)
	b = srv.browser(t)
	b.ssoSignIn(idp, &mockoidc.MockUser{Subject: "sub-olga", Email: "olga@example.com", EmailVerified: true, Groups: []string{"it"}}, "").
		requireRedirect(http.StatusSeeOther, "/")
	require.Equal(t, models.RoleOwner, srv.admin(t, o.ID).Role)
}

func TestSSORoleMapRefusedSignIn(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	groups := func(c *auth.Config) { c.GroupsClaim, c.Scopes = "groups", []string{"groups"} }
	srv := newServer(t, models.SQLite, withOIDC(idp, groups), withRoleMap(auth.RoleMap{"roster-owners": models.RoleOwner}))
	a, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "ivy@example.com", "", models.RoleViewer)
	require.NoError(t, err)
	srv.browser(t).ssoSignIn(idp, idpUser("sub-ivy", "ivy@example.com"), "").requireRedirect(http.StatusSeeOther, "/")

	// Someone else at the IdP now holds the address (a recycled mailbox).
	b := srv.browser(t)
	p := b.ssoSignIn(idp, &mockoidc.MockUser{Subject: "sub-other", Email: "ivy@example.com", EmailVerified: true,
		Groups: []string{"roster-owners"}}, "")
	p.requireStatus(http.StatusForbidden)
	require.Equal(t, "Not authorised", p.Text("denied-title"))
	require.Equal(t, models.RoleViewer, srv.admin(t, a.ID).Role, "a refused sign-in must not apply its groups")
	require.Empty(t, srv.auditEvents(t, models.ActionAdminRole))
}

func TestSSOTokenErrorHidesInternals(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	srv := newServer(t, models.SQLite, withOIDC(idp, nil))
	b := srv.browser(t)

	// A challenge that does not match the session's verifier makes the
	// token endpoint refuse the code.
	authURL := withQuery(t, b.ssoStart(""), "code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	idp.QueueUser(idpUser("sub-x", "x@example.com"))
	p := b.get(b.idpAuthorize(authURL))
	p.requireStatus(http.StatusForbidden)
	require.Equal(t, "Sign-in failed", p.Text("denied-title"))
	failed := srv.auditEvents(t, models.ActionSignInFailed)
	require.Len(t, failed, 1)
	require.Contains(t, *failed[0].After, "invalid_grant", "the audit trail keeps the IdP's answer")
	msg := p.Text("denied-message")
	require.NotContains(t, msg, "oauth2", "the IdP's raw answer is for the log, not the page")
	require.NotContains(t, msg, "invalid_grant")
}

// mustQuery parses the query of a URL.
func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

// withQuery returns raw with one query parameter replaced.
func withQuery(t *testing.T, raw, key, value string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
