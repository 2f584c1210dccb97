package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/web/auth"
)

const redirectURL = "https://roster.example.com/auth/oidc/callback"

// idp is a real mockoidc server that also records what reached its token
// endpoint, so tests can prove a request was (or was not) made and what
// it carried.
type idp struct {
	*mockoidc.MockOIDC

	mu            sync.Mutex
	tokenRequests []url.Values
}

// startIdP runs mockoidc on 127.0.0.1. It is started by hand rather than
// with mockoidc.Run because middleware can only be added before Start;
// setup may change the server's settings before it starts, too.
func startIdP(t *testing.T, setup ...func(*mockoidc.MockOIDC)) *idp {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	for _, f := range setup {
		f(m)
	}
	s := &idp{MockOIDC: m}
	require.NoError(t, m.AddMiddleware(s.recordTokenRequests))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return s
}

func (s *idp) recordTokenRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.URL.Path == mockoidc.TokenEndpoint {
			s.mu.Lock()
			s.tokenRequests = append(s.tokenRequests, r.PostForm) // parsed by the handler
			s.mu.Unlock()
		}
	})
}

func (s *idp) tokenRequestsSeen() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.tokenRequests...)
}

// newProvider discovers the mock IdP with a config the test may adjust.
func newProvider(t *testing.T, s *idp, adjust func(*auth.Config)) *auth.Provider {
	t.Helper()
	cfg := auth.Config{
		Issuer:       s.Issuer(),
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		RedirectURL:  redirectURL,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	p, err := auth.NewProvider(context.Background(), cfg)
	require.NoError(t, err)
	return p
}

// authorize plays the browser: it follows AuthCodeURL to the IdP, which
// signs in the next queued user at once, and returns the query of the
// redirect back to Roster without following it.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := browser.Get(authURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusFound, resp.StatusCode, "authorize: %s", body)
	loc, err := resp.Location()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), redirectURL+"?"), "redirected to %s", loc)
	return loc.Query()
}

// signIn runs a whole sign-in for user and returns what Exchange made of it.
func signIn(t *testing.T, s *idp, p *auth.Provider, user mockoidc.User) (*auth.Identity, error) {
	t.Helper()
	f, err := auth.NewFlow()
	require.NoError(t, err)
	s.QueueUser(user)
	return p.Exchange(context.Background(), f, authorize(t, p.AuthCodeURL(f)))
}

// rawUser is a mockoidc.User whose extra ID-token claims are given
// verbatim, for values MockUser cannot express: its EmailVerified is a
// bool that is dropped when false (omitempty), and its Groups is always a
// list.
type rawUser struct {
	subject string
	claims  map[string]any
}

func (u rawUser) ID() string { return u.subject }

func (u rawUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.subject})
}

func (u rawUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return rawClaims{IDTokenClaims: base, extra: u.claims}, nil
}

// rawClaims adds extra to the standard claims mockoidc fills in.
type rawClaims struct {
	*mockoidc.IDTokenClaims
	extra map[string]any
}

func (c rawClaims) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(c.IDTokenClaims)
	if err != nil {
		return nil, err
	}
	merged := map[string]any{}
	if err := json.Unmarshal(b, &merged); err != nil {
		return nil, err
	}
	maps.Copy(merged, c.extra)
	return json.Marshal(merged)
}

func TestExchangeRoundTrip(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	p := newProvider(t, s, func(c *auth.Config) {
		c.GroupsClaim = "groups"
		c.Scopes = []string{"groups"} // mockoidc only puts groups in the token for this scope
		c.AllowedDomain = "Example.COM"
	})
	f, err := auth.NewFlow()
	require.NoError(t, err)
	s.QueueUser(&mockoidc.MockUser{
		Subject:           "sub-jane",
		Email:             "Jane.Doe@Example.COM",
		EmailVerified:     true,
		PreferredUsername: "jane",
		Groups:            []string{"roster-admins", "it"},
	})
	callback := authorize(t, p.AuthCodeURL(f))
	require.Equal(t, f.State, callback.Get("state"))

	id, err := p.Exchange(context.Background(), f, callback)
	require.NoError(t, err)
	assert.Equal(t, &auth.Identity{
		Issuer:  s.Issuer(),
		Subject: "sub-jane",
		Email:   "jane.doe@example.com",
		Name:    "jane",
		Groups:  []string{"roster-admins", "it"},
	}, id)

	_, err = p.Exchange(context.Background(), f, callback)
	assert.ErrorIs(t, err, auth.ErrIdPError, "a code is good for one exchange only")
}

func TestExchangeClaims(t *testing.T) {
	t.Parallel()
	verified := func(email string) *mockoidc.MockUser {
		return &mockoidc.MockUser{Subject: "sub-1", Email: email, EmailVerified: true, Groups: []string{"it"}}
	}
	raw := func(claims map[string]any) rawUser { return rawUser{subject: "sub-1", claims: claims} }
	tests := []struct {
		name       string
		cfg        auth.Config // only AllowedDomain, GroupsClaim and Scopes are used
		user       mockoidc.User
		wantErr    error  // a sentinel; nil means success
		wantAnyErr bool   // an error that is no sentinel
		wantEmail  string // on a refusal, the email it carries (auth.AssertedEmail)
		wantName   string
		wantGroups []string
	}{
		{name: "groups ignored without GroupsClaim", cfg: auth.Config{Scopes: []string{"groups"}},
			user: verified("a@example.com"), wantEmail: "a@example.com"},
		{name: "groups claim absent", cfg: auth.Config{GroupsClaim: "groups"},
			user: verified("a@example.com"), wantEmail: "a@example.com"},
		{name: "groups as a single string", cfg: auth.Config{GroupsClaim: "roles"},
			user:      raw(map[string]any{"email": "a@example.com", "email_verified": true, "roles": "it"}),
			wantEmail: "a@example.com", wantGroups: []string{"it"}},
		{name: "groups of the wrong type", cfg: auth.Config{GroupsClaim: "roles"},
			user:       raw(map[string]any{"email": "a@example.com", "email_verified": true, "roles": 7}),
			wantAnyErr: true, wantEmail: "a@example.com"},
		{name: "name preferred to preferred_username",
			user:      raw(map[string]any{"email": "a@example.com", "email_verified": true, "name": "Ada L", "preferred_username": "ada"}),
			wantEmail: "a@example.com", wantName: "Ada L"},
		{name: "email_verified as the string true",
			user:      raw(map[string]any{"email": "a@example.com", "email_verified": "true"}),
			wantEmail: "a@example.com"},
		{name: "email_verified as the string false",
			user:    raw(map[string]any{"email": "a@example.com", "email_verified": "false"}),
			wantErr: auth.ErrEmailNotVerified, wantEmail: "a@example.com"},
		{name: "email_verified false (MockUser omits the claim)",
			user:    &mockoidc.MockUser{Subject: "sub-1", Email: "a@example.com"},
			wantErr: auth.ErrEmailNotVerified, wantEmail: "a@example.com"},
		{name: "email_verified of another type",
			user:    raw(map[string]any{"email": "a@example.com", "email_verified": 1}),
			wantErr: auth.ErrEmailNotVerified, wantEmail: "a@example.com"},
		{name: "no email",
			user:    &mockoidc.MockUser{Subject: "sub-1", EmailVerified: true},
			wantErr: auth.ErrNoEmail},
		{name: "email that is no address",
			user:    raw(map[string]any{"email": "not an address", "email_verified": true}),
			wantErr: auth.ErrNoEmail},
		{name: "allowed domain, any case", cfg: auth.Config{AllowedDomain: "@Example.com"},
			user: verified("A@EXAMPLE.COM"), wantEmail: "a@example.com"},
		{name: "other domain", cfg: auth.Config{AllowedDomain: "example.com"},
			user: verified("a@example.org"), wantErr: auth.ErrDomainNotAllowed, wantEmail: "a@example.org"},
		{name: "subdomain is another domain", cfg: auth.Config{AllowedDomain: "example.com"},
			user: verified("a@mail.example.com"), wantErr: auth.ErrDomainNotAllowed, wantEmail: "a@mail.example.com"},
		{name: "domain as a suffix", cfg: auth.Config{AllowedDomain: "example.com"},
			user: verified("a@evilexample.com"), wantErr: auth.ErrDomainNotAllowed, wantEmail: "a@evilexample.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startIdP(t)
			p := newProvider(t, s, func(c *auth.Config) {
				c.AllowedDomain, c.GroupsClaim, c.Scopes = tt.cfg.AllowedDomain, tt.cfg.GroupsClaim, tt.cfg.Scopes
			})
			id, err := signIn(t, s, p, tt.user)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, id)
				assert.Equal(t, tt.wantEmail, auth.AssertedEmail(err), "the email the refusal carries")
			case tt.wantAnyErr:
				require.Error(t, err)
				assert.Nil(t, id)
				assert.Equal(t, tt.wantEmail, auth.AssertedEmail(err), "the email the refusal carries")
			default:
				require.NoError(t, err)
				assert.Equal(t, "sub-1", id.Subject)
				assert.Equal(t, tt.wantEmail, id.Email)
				assert.Equal(t, tt.wantName, id.Name)
				assert.Equal(t, tt.wantGroups, id.Groups)
			}
		})
	}
}

func TestExchangeStateMismatch(t *testing.T) {
	t.Parallel()
	other, err := auth.NewFlow()
	require.NoError(t, err)
	tests := []struct {
		name     string
		flow     func(auth.Flow) auth.Flow
		callback func(url.Values) // tampers with a genuine callback
	}{
		{name: "wrong state", callback: func(q url.Values) { q.Set("state", other.State) }},
		{name: "state with a suffix", callback: func(q url.Values) { q.Set("state", q.Get("state")+"x") }},
		{name: "no state", callback: func(q url.Values) { q.Del("state") }},
		{name: "IdP error with the wrong state", callback: func(q url.Values) {
			q.Set("state", other.State)
			q.Set("error", "access_denied")
		}},
		{name: "session lost its flow, callback has no state",
			flow:     func(auth.Flow) auth.Flow { return auth.Flow{} },
			callback: func(q url.Values) { q.Del("state") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startIdP(t)
			p := newProvider(t, s, nil)
			f, err := auth.NewFlow()
			require.NoError(t, err)
			callback := authorize(t, p.AuthCodeURL(f))
			require.NotEmpty(t, callback.Get("code"))
			tt.callback(callback)
			if tt.flow != nil {
				f = tt.flow(f)
			}

			id, err := p.Exchange(context.Background(), f, callback)
			require.ErrorIs(t, err, auth.ErrStateMismatch)
			assert.Nil(t, id)
			assert.Empty(t, s.tokenRequestsSeen(), "the code must not be sent to the IdP")
		})
	}
}

func TestExchangeNonceMismatch(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	p := newProvider(t, s, nil)
	f, err := auth.NewFlow()
	require.NoError(t, err)
	// A code minted for another attempt that shares the state and the
	// verifier, so only the nonce tells them apart.
	injected := f
	injected.Nonce = "nonce-of-another-attempt"
	callback := authorize(t, p.AuthCodeURL(injected))

	id, err := p.Exchange(context.Background(), f, callback)
	require.ErrorIs(t, err, auth.ErrNonceMismatch)
	assert.Nil(t, id)
	assert.NotEmpty(t, s.tokenRequestsSeen(), "the nonce is only known once the ID token is in")
}

func TestExchangeIdPError(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	p := newProvider(t, s, nil)
	f, err := auth.NewFlow()
	require.NoError(t, err)
	// mockoidc answers every authorize request with a code, so the error
	// redirect an IdP sends when the person clicks "deny" is built by hand.
	callback := url.Values{
		"state":             {f.State},
		"error":             {"access_denied"},
		"error_description": {"The user denied the request"},
	}

	id, err := p.Exchange(context.Background(), f, callback)
	require.ErrorIs(t, err, auth.ErrIdPError)
	assert.Nil(t, id)
	assert.Contains(t, err.Error(), "access_denied")
	assert.Contains(t, err.Error(), "The user denied the request")
	assert.Empty(t, s.tokenRequestsSeen())
}

func TestExchangeNoCode(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	p := newProvider(t, s, nil)
	f, err := auth.NewFlow()
	require.NoError(t, err)

	_, err = p.Exchange(context.Background(), f, url.Values{"state": {f.State}})
	require.Error(t, err)
	assert.Empty(t, s.tokenRequestsSeen())
}

func TestExchangePKCE(t *testing.T) {
	t.Parallel()
	t.Run("verifier is sent", func(t *testing.T) {
		t.Parallel()
		s := startIdP(t)
		p := newProvider(t, s, nil)
		f, err := auth.NewFlow()
		require.NoError(t, err)

		_, err = p.Exchange(context.Background(), f, authorize(t, p.AuthCodeURL(f)))
		require.NoError(t, err)
		var verifiers []string
		for _, form := range s.tokenRequestsSeen() {
			verifiers = append(verifiers, form.Get("code_verifier"))
		}
		assert.Contains(t, verifiers, f.Verifier)
	})
	t.Run("wrong verifier is refused", func(t *testing.T) {
		t.Parallel()
		s := startIdP(t)
		p := newProvider(t, s, nil)
		f, err := auth.NewFlow()
		require.NoError(t, err)
		callback := authorize(t, p.AuthCodeURL(f))
		f.Verifier = oauth2.GenerateVerifier() // a thief with the code but not the session

		id, err := p.Exchange(context.Background(), f, callback)
		require.ErrorIs(t, err, auth.ErrIdPError)
		assert.Nil(t, id)
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, mockoidc.InvalidGrant, re.ErrorCode)
	})
}

func TestExchangeExpiredIDToken(t *testing.T) {
	t.Parallel()
	s := startIdP(t, func(m *mockoidc.MockOIDC) {
		m.FastForward(-time.Hour) // tokens issued an hour ago, with mockoidc's 10-minute lifetime
	})
	p := newProvider(t, s, nil)

	id, err := signIn(t, s, p, mockoidc.DefaultUser())
	var expired *oidc.TokenExpiredError
	require.ErrorAs(t, err, &expired)
	assert.Nil(t, id)
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	p := newProvider(t, s, func(c *auth.Config) { c.Scopes = []string{"groups", "email", " "} })
	f, err := auth.NewFlow()
	require.NoError(t, err)

	u, err := url.Parse(p.AuthCodeURL(f))
	require.NoError(t, err)
	assert.Equal(t, s.AuthorizationEndpoint(), u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, s.ClientID, q.Get("client_id"))
	assert.Equal(t, redirectURL, q.Get("redirect_uri"))
	assert.Equal(t, "openid email profile groups", q.Get("scope"))
	assert.Equal(t, f.State, q.Get("state"))
	assert.Equal(t, f.Nonce, q.Get("nonce"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Equal(t, oauth2.S256ChallengeFromVerifier(f.Verifier), q.Get("code_challenge"))
	assert.NotContains(t, u.RawQuery, f.Verifier, "the verifier never leaves the server")
}

func TestNewFlow(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 50 {
		f, err := auth.NewFlow()
		require.NoError(t, err)
		for _, secret := range []string{f.State, f.Nonce, f.Verifier} {
			assert.GreaterOrEqual(t, len(secret), 43, "32 bytes in unpadded base64")
			assert.Equal(t, url.QueryEscape(secret), secret, "URL-safe")
			assert.False(t, seen[secret], "secrets repeat")
			seen[secret] = true
		}
	}
}

func TestNewProviderErrors(t *testing.T) {
	t.Parallel()
	s := startIdP(t)
	valid := auth.Config{Issuer: s.Issuer(), ClientID: s.ClientID, ClientSecret: s.ClientSecret, RedirectURL: redirectURL}
	tests := []struct {
		name   string
		adjust func(*auth.Config)
	}{
		{name: "no issuer", adjust: func(c *auth.Config) { c.Issuer = "" }},
		{name: "no client ID", adjust: func(c *auth.Config) { c.ClientID = "" }},
		{name: "no redirect URL", adjust: func(c *auth.Config) { c.RedirectURL = "" }},
		{name: "issuer without discovery", adjust: func(c *auth.Config) { c.Issuer = s.Addr() + "/nowhere" }},
		{name: "issuer differs from discovery", adjust: func(c *auth.Config) { c.Issuer = s.Issuer() + "/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.adjust(&cfg)
			p, err := auth.NewProvider(context.Background(), cfg)
			require.Error(t, err)
			assert.Nil(t, p)
		})
	}
}
