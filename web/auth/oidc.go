package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/models"
)

// Errors a sign-in can end with. Their messages are shown to the person
// signing in, so they say what happened and what to do, without jargon.
var (
	// ErrStateMismatch means the callback does not belong to the sign-in
	// this browser started: an expired session, a second tab, or a forged
	// (login CSRF) request.
	ErrStateMismatch = errors.New("this sign-in link has expired or was started elsewhere; please sign in again")
	// ErrNonceMismatch means the ID token was issued for another sign-in
	// attempt, which is what a replayed or injected code looks like.
	ErrNonceMismatch = errors.New("the identity provider's answer belongs to a different sign-in attempt; please sign in again")
	// ErrEmailNotVerified refuses an address the IdP has not confirmed,
	// because admins are matched by email and anyone can type one in.
	ErrEmailNotVerified = errors.New("your identity provider has not verified your email address")
	// ErrNoEmail refuses a sign-in without a usable email, since the email
	// is how an admin is found.
	ErrNoEmail = errors.New("your identity provider did not share a usable email address")
	// ErrDomainNotAllowed refuses emails outside Config.AllowedDomain.
	ErrDomainNotAllowed = errors.New("your email domain is not allowed to sign in here")
	// ErrIdPError reports that the identity provider refused or failed the
	// sign-in; the wrapping error carries the IdP's own code for the logs.
	ErrIdPError = errors.New("the identity provider did not complete the sign-in")
)

// RefusedError is a sign-in Roster refused after reading the ID token,
// so the email the identity provider asserted is known and can go to the
// audit trail. It wraps one of the sentinels above; the email is as the
// IdP sent it (normalised) and, for ErrEmailNotVerified, unproven.
type RefusedError struct {
	Email string
	Err   error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// AssertedEmail is the email the identity provider asserted in a refused
// sign-in, or "" when the refusal came before an ID token was read.
func AssertedEmail(err error) string {
	var re *RefusedError
	if errors.As(err, &re) {
		return re.Email
	}
	return ""
}

// baseScopes are always requested: openid for the ID token, email and
// profile for the claims an Identity is built from.
var baseScopes = []string{oidc.ScopeOpenID, "email", "profile"}

// Config for the OIDC client.
type Config struct {
	Issuer, ClientID, ClientSecret string
	RedirectURL                    string   // e.g. https://roster.example.com/auth/oidc/callback
	AllowedDomain                  string   // optional: only emails @this domain (case-insensitive) may sign in
	GroupsClaim                    string   // optional: name of the ID-token claim holding group names (default none)
	Scopes                         []string // optional extra scopes; "openid email profile" always requested
}

// Provider talks to one OIDC issuer; it is safe for concurrent use.
type Provider struct {
	oauth         oauth2.Config
	verifier      *oidc.IDTokenVerifier
	allowedDomain string
	groupsClaim   string
}

// NewProvider runs discovery against cfg.Issuer, so a misconfigured issuer
// fails at start rather than at the first sign-in. An HTTP client set on
// ctx with oidc.ClientContext is used for discovery and key fetches.
func NewProvider(ctx context.Context, cfg Config) (*Provider, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("auth: OIDC issuer is required")
	case cfg.ClientID == "":
		return nil, errors.New("auth: OIDC client ID is required")
	case cfg.RedirectURL == "":
		return nil, errors.New("auth: OIDC redirect URL is required")
	}
	op, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover OIDC issuer %s: %w", cfg.Issuer, err)
	}
	scopes := slices.Clone(baseScopes)
	for _, s := range cfg.Scopes {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &Provider{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint:     op.Endpoint(), // AuthStyle left to auto-detect: IdPs differ on basic vs post
			Scopes:       scopes,
		},
		verifier:      op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		allowedDomain: strings.ToLower(strings.TrimPrefix(strings.TrimSpace(cfg.AllowedDomain), "@")),
		groupsClaim:   strings.TrimSpace(cfg.GroupsClaim),
	}, nil
}

// Flow is the per-attempt secret state the caller keeps in the server-side
// session between the redirect and the callback.
type Flow struct{ State, Nonce, Verifier string }

// NewFlow draws fresh secrets for one sign-in attempt; reusing a Flow
// would let one captured callback be replayed.
func NewFlow() (Flow, error) {
	state, err := randomToken()
	if err != nil {
		return Flow{}, err
	}
	nonce, err := randomToken()
	if err != nil {
		return Flow{}, err
	}
	return Flow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier()}, nil
}

// randomToken returns 32 random bytes, URL-safe, to go in query strings.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AuthCodeURL returns the IdP URL to redirect to: code flow, PKCE S256
// challenge of f.Verifier, state and nonce.
func (p *Provider) AuthCodeURL(f Flow) string {
	return p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
}

// Identity is a verified sign-in.
type Identity struct {
	Issuer, Subject, Email, Name string
	Groups                       []string
}

// Exchange completes the flow started with f. callback is the callback
// request's query (state, code, error, error_description). The state is
// checked before anything else so a forged callback never reaches the IdP.
func (p *Provider) Exchange(ctx context.Context, f Flow, callback url.Values) (*Identity, error) {
	if !equalSecret(f.State, callback.Get("state")) {
		return nil, ErrStateMismatch
	}
	if code := callback.Get("error"); code != "" {
		return nil, fmt.Errorf("%w: %q: %q", ErrIdPError, code, callback.Get("error_description"))
	}
	code := callback.Get("code")
	if code == "" {
		return nil, errors.New("auth: the sign-in callback carried no authorization code")
	}
	if f.Verifier == "" {
		return nil, errors.New("auth: flow has no PKCE verifier")
	}
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%w: token endpoint: %w", ErrIdPError, err)
		}
		return nil, fmt.Errorf("auth: exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, errors.New("auth: token response has no id_token")
	}
	idToken, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("auth: verify ID token: %w", err)
	}
	if !equalSecret(f.Nonce, idToken.Nonce) {
		return nil, ErrNonceMismatch
	}
	return p.identity(idToken)
}

// equalSecret compares in constant time so timing does not leak how much
// of a guessed secret was right. An empty want never matches: a session
// without a flow must not accept a callback without a state.
func equalSecret(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// identity applies Roster's rules to a verified ID token's claims.
func (p *Provider) identity(t *oidc.IDToken) (*Identity, error) {
	var claims struct {
		Email             string          `json:"email"`
		EmailVerified     json.RawMessage `json:"email_verified"`
		Name              string          `json:"name"`
		PreferredUsername string          `json:"preferred_username"`
	}
	if err := t.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: read ID token claims: %w", err)
	}
	if strings.TrimSpace(claims.Email) == "" {
		return nil, ErrNoEmail
	}
	email, err := models.NormalizeEmail(claims.Email)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoEmail, err)
	}
	if !isTrue(claims.EmailVerified) {
		return nil, &RefusedError{Email: email, Err: ErrEmailNotVerified}
	}
	if p.allowedDomain != "" && email[strings.LastIndexByte(email, '@')+1:] != p.allowedDomain {
		return nil, &RefusedError{Email: email, Err: ErrDomainNotAllowed}
	}
	groups, err := p.groups(t)
	if err != nil {
		return nil, &RefusedError{Email: email, Err: err}
	}
	name := strings.TrimSpace(claims.Name)
	if name == "" {
		name = strings.TrimSpace(claims.PreferredUsername)
	}
	return &Identity{Issuer: t.Issuer, Subject: t.Subject, Email: email, Name: name, Groups: groups}, nil
}

// isTrue accepts the JSON boolean true or the string "true": some IdPs
// (AWS Cognito among them) send email_verified as a string. Anything else,
// including a missing claim, counts as not verified.
func isTrue(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "true", `"true"`:
		return true
	}
	return false
}

// groups reads the configured groups claim, which IdPs send either as a
// list or, for a single group, as a bare string.
func (p *Provider) groups(t *oidc.IDToken) ([]string, error) {
	if p.groupsClaim == "" {
		return nil, nil
	}
	var claims map[string]json.RawMessage
	if err := t.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: read ID token claims: %w", err)
	}
	raw, ok := claims[p.groupsClaim]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, fmt.Errorf("auth: ID token claim %q is neither a string nor a list of strings", p.groupsClaim)
	}
	if one == "" {
		return nil, nil
	}
	return []string{one}, nil
}
