package scim

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/redact"
)

// Limits of a SCIM app's configuration.
const (
	// DefaultTimeout bounds one attempt when the config does not say.
	DefaultTimeout = 30 * time.Second
	// MaxTimeout keeps an attempt inside River's default job timeout.
	MaxTimeout = time.Minute
	// DefaultAttempts is how many times a call is tried before its error
	// is handed back, when the config does not say.
	DefaultAttempts = 3
	// MaxAttempts bounds Config.Attempts.
	MaxAttempts = 10
)

// Config of a SCIM app (stored encrypted by the caller). Exactly one of
// Token and OAuth is set.
type Config struct {
	// BaseURL is the SCIM root the app documents, such as
	// https://example.com/scim/v2; /Users and /Groups are appended to it.
	BaseURL string `json:"base_url"`
	// Token is a long-lived bearer token.
	Token string `json:"token,omitempty"`
	// OAuth, instead of Token, fetches bearer tokens with the OAuth 2.0
	// client credentials grant.
	OAuth *OAuth `json:"oauth,omitempty"`
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Attempts is how many times a retryable failure is tried within one
	// call, when the server's Retry-After (or the client's own backoff) is
	// short; 0 means DefaultAttempts, 1 means no retrying in the client.
	Attempts int `json:"attempts,omitempty"`
}

// OAuth holds client credentials (RFC 6749 §4.4).
type OAuth struct {
	TokenURL     string   `json:"token_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes,omitempty"`
}

// String shows the config without its secrets, so that %v and %+v are safe
// in logs.
func (c Config) String() string {
	auth := "no credentials"
	switch {
	case c.Token != "" && c.OAuth != nil:
		auth = "a bearer token and OAuth client credentials"
	case c.Token != "":
		auth = "a bearer token"
	case c.OAuth != nil:
		auth = c.OAuth.String()
	}
	return fmt.Sprintf("SCIM %s with %s", redact.DisplayURL(c.BaseURL), auth)
}

// GoString keeps %#v from printing the secrets.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from printing the secrets.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String shows the client credentials without the secret.
func (o OAuth) String() string {
	return fmt.Sprintf("OAuth client %q at %s", o.ClientID, redact.DisplayURL(o.TokenURL))
}

// GoString keeps %#v from printing the secret.
func (o OAuth) GoString() string { return o.String() }

// Validate checks the config for policy, the outbound policy the client
// will dial through. Messages never contain a secret.
func (c Config) Validate(policy outbound.Policy) error {
	var errs []error
	if _, err := parseEndpoint("the base URL", c.BaseURL, policy, true); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.Token == "" && c.OAuth == nil:
		errs = append(errs, errors.New("scim: set a bearer token or OAuth client credentials"))
	case c.Token != "" && c.OAuth != nil:
		errs = append(errs, errors.New("scim: set a bearer token or OAuth client credentials, not both"))
	case c.Token != "":
		if strings.TrimSpace(c.Token) != c.Token || strings.ContainsAny(c.Token, " \t\r\n") {
			errs = append(errs, errors.New("scim: the bearer token must not contain spaces or line breaks"))
		}
	default:
		errs = append(errs, c.OAuth.validate(policy)...)
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("scim: the timeout must be between 0 (meaning %s) and %s", formatDuration(DefaultTimeout), formatDuration(MaxTimeout)))
	}
	if c.Attempts < 0 || c.Attempts > MaxAttempts {
		errs = append(errs, fmt.Errorf("scim: attempts must be between 0 (meaning %d) and %d", DefaultAttempts, MaxAttempts))
	}
	return errors.Join(errs...)
}

func (o *OAuth) validate(policy outbound.Policy) []error {
	var errs []error
	if _, err := parseEndpoint("the OAuth token URL", o.TokenURL, policy, false); err != nil {
		errs = append(errs, err)
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("scim: the OAuth client id is required"))
	}
	if o.ClientSecret == "" {
		errs = append(errs, errors.New("scim: the OAuth client secret is required"))
	}
	for _, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			errs = append(errs, errors.New("scim: each OAuth scope is one word, without spaces"))
			break
		}
	}
	return errs
}

// parseEndpoint accepts an absolute https URL with a host and no user
// info, query or fragment; plain http only where the policy lets plain
// text through. base also refuses a URL that already names an endpoint.
// Messages do not repeat the URL, which may hold credentials.
func parseEndpoint(what, raw string, policy outbound.Policy, base bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("scim: %s is required", what)
	}
	if strings.TrimSpace(raw) != raw {
		return nil, fmt.Errorf("scim: %s has spaces around it", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("scim: %s is not a valid URL", what)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scim: %s must start with https://", what)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("scim: %s must name a host, like https://example.com/scim/v2", what)
	}
	if u.User != nil {
		return nil, fmt.Errorf("scim: %s must not carry a user name or password; use the token fields", what)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("scim: %s must not have a query (?…) or fragment (#…)", what)
	}
	if u.Scheme == "http" && !plainAllowed(u, policy) {
		return nil, fmt.Errorf("scim: %s must start with https:// (plain http:// is only for private addresses allowed by %s)", what, outbound.EnvAllow)
	}
	if base {
		last := strings.ToLower(strings.TrimRight(u.Path, "/"))
		for _, endpoint := range []string{"/users", "/groups", "/serviceproviderconfig", "/schemas", "/resourcetypes", "/bulk", "/me"} {
			if strings.HasSuffix(last, endpoint) {
				return nil, fmt.Errorf("scim: %s must be the SCIM root, without %s at the end", what, u.Path[strings.LastIndex(strings.ToLower(u.Path), endpoint):])
			}
		}
	}
	return u, nil
}

// plainAllowed says whether plain http to u's host can pass the policy:
// for an address, exactly; for a name, when the policy allows anything
// inside at all (the dial still refuses plain text to public addresses).
func plainAllowed(u *url.URL, policy outbound.Policy) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return len(policy.Allow) > 0 || len(policy.Self) > 0
	}
	port := uint16(80)
	if p := u.Port(); p != "" {
		var n uint16
		if _, err := fmt.Sscan(p, &n); err != nil {
			return false
		}
		port = n
	}
	return policy.Check(netip.AddrPortFrom(addr, port), true) == nil
}

// timeout is the configured timeout or the default.
func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// attempts is the configured number of attempts or the default.
func (c Config) attempts() int {
	if c.Attempts <= 0 {
		return DefaultAttempts
	}
	return c.Attempts
}

// secrets are the values no message may contain.
func (c Config) secrets() []string {
	s := []string{c.Token}
	if c.OAuth != nil {
		s = append(s, c.OAuth.ClientSecret)
	}
	return s
}

// formatDuration prints whole seconds as "10s" rather than "1m0s".
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
