package scim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/redact"
)

// Wire constants.
const (
	// UserAgent identifies Roster's requests.
	UserAgent = "Roster-SCIM/1"
	// ContentType is RFC 7644 §3.1's media type.
	ContentType = "application/scim+json"
	accept      = "application/scim+json, application/json"
	// maxBody bounds a response read: a page of 1,000 users with their
	// groups fits many times over.
	maxBody = 16 << 20
	// maxInlineWait is the longest wait a Client sits through itself
	// between attempts; a longer Retry-After goes back to the caller.
	maxInlineWait = 10 * time.Second
	firstBackoff  = 500 * time.Millisecond
)

// Client calls one SCIM service provider. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string // BaseURL without a trailing slash
	http   *http.Client
	tokens oauth2.TokenSource // nil with a static bearer token
	wait   func(ctx context.Context, d time.Duration) error

	mu          sync.Mutex
	patch       patchSupport
	askedConfig bool     // the ServiceProviderConfig was read (or tried) for patch
	accessSeen  []string // the latest OAuth access tokens, redacted like the configured secrets
}

// patchSupport is what the client knows of the server's PATCH.
type patchSupport int

const (
	patchUnknown patchSupport = iota
	patchYes
	patchNo
)

// Options of a Client beyond its Config.
type Options struct {
	// Policy decides the addresses the client may reach, for the base URL
	// and the OAuth token URL alike. The zero Policy allows public https://
	// targets only.
	Policy outbound.Policy
	// HTTPClient, when set, replaces the client on Policy's transport;
	// its redirect policy is replaced so that redirects are never followed.
	HTTPClient *http.Client
}

// NewClient returns a Client for cfg, or the reasons cfg is invalid.
// Requests go through opts.HTTPClient or, when it is nil, the transport of
// opts.Policy (the zero Policy: public https:// targets only), and
// redirects are never followed: a SCIM base URL that redirects is a
// misconfiguration.
func NewClient(cfg Config, opts Options) (*Client, error) {
	if err := cfg.Validate(opts.Policy); err != nil {
		return nil, err
	}
	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		hc.Transport = opts.Policy.Transport()
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		cfg:  cfg,
		base: strings.TrimRight(cfg.BaseURL, "/"),
		http: &hc,
		wait: sleep,
	}
	if cfg.OAuth != nil {
		cc := &clientcredentials.Config{
			ClientID:     cfg.OAuth.ClientID,
			ClientSecret: cfg.OAuth.ClientSecret,
			TokenURL:     cfg.OAuth.TokenURL,
			Scopes:       cfg.OAuth.Scopes,
		}
		tokenHTTP := hc
		tokenHTTP.Timeout = cfg.timeout()
		// The token source lives as long as the client, so its context
		// only carries the HTTP client; each fetch is bounded by Timeout.
		c.tokens = cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, &tokenHTTP))
	}
	return c, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call is one logical request: the client may make it several times.
type call struct {
	method string
	path   string     // "/Users/2819c223", appended to the base URL
	query  url.Values // nil for none
	body   any        // marshalled as JSON; nil for none
}

func (r call) url(base string) string {
	u := base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	return u
}

// do makes the call, retrying short waits, and decodes a 2xx body into out
// (when out is not nil and the body is not empty).
func (c *Client) do(ctx context.Context, r call, out any) error {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("scim: %s %s: cannot encode the request: %w", r.method, r.path, err)
		}
	}
	attempts := c.cfg.attempts()
	for attempt := 1; ; attempt++ {
		raw, err := c.attempt(ctx, r, body)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(raw)) == 0 {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return &Error{Op: r.method + " " + redact.DisplayURL(r.url(c.base)), msg: "the answer is not SCIM JSON", Excerpt: excerpt(raw, c.knownSecrets()), cause: err}
			}
			return nil
		}
		var e *Error
		if !errors.As(err, &e) || !e.Retry || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		wait := e.RetryAfter
		if wait == 0 {
			wait = firstBackoff << (attempt - 1)
		}
		if wait > maxInlineWait {
			return err
		}
		if c.wait(ctx, wait) != nil {
			return err
		}
	}
}

// attempt makes one request and returns the body of a 2xx answer.
func (c *Client) attempt(ctx context.Context, r call, body []byte) ([]byte, error) {
	target := r.url(c.base)
	op := r.method + " " + redact.DisplayURL(target)
	attemptCtx, cancel := context.WithTimeout(ctx, c.cfg.timeout())
	defer cancel()

	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(attemptCtx, r.method, target, reader)
	if err != nil {
		return nil, &Error{Op: op, msg: "cannot build the request"}
	}
	if body != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", UserAgent)
	if err := c.authorize(req); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, failedAttempt(op, ctx, attemptCtx, err, c.cfg.timeout(), c.knownSecrets())
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, failedAttempt(op, ctx, attemptCtx, err, c.cfg.timeout(), c.knownSecrets())
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return nil, statusError(op, resp, raw, time.Now(), c.knownSecrets())
	}
	if len(raw) > maxBody {
		return nil, &Error{Op: op, Status: resp.StatusCode, msg: fmt.Sprintf("the answer is larger than %d MiB", maxBody>>20)}
	}
	return raw, nil
}

// authorize sets the bearer token, fetching one with the client
// credentials when needed.
func (c *Client) authorize(req *http.Request) error {
	if c.tokens == nil {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
		return nil
	}
	tok, err := c.tokens.Token()
	if err != nil {
		return c.tokenError(req.Context(), err)
	}
	c.rememberAccessToken(tok.AccessToken)
	tok.SetAuthHeader(req)
	return nil
}

// rememberAccessToken keeps the latest access tokens so that a server
// echoing one does not put it in an error.
func (c *Client) rememberAccessToken(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slices.Contains(c.accessSeen, s) {
		return
	}
	if len(c.accessSeen) >= 4 {
		c.accessSeen = slices.Delete(c.accessSeen, 0, 1)
	}
	c.accessSeen = append(c.accessSeen, s)
}

// knownSecrets are the values no message may contain.
func (c *Client) knownSecrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(c.cfg.secrets(), c.accessSeen...)
}

// tokenError describes a failed token fetch without the body the
// oauth2 package puts in its message, which may echo credentials.
func (c *Client) tokenError(ctx context.Context, err error) error {
	op := "POST " + redact.DisplayURL(c.cfg.OAuth.TokenURL)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Op: op, msg: "no OAuth token", Excerpt: excerpt(re.Body, c.knownSecrets())}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
			e.msg += ": " + statusText(e.Status)
			e.Retry = e.Status == http.StatusTooManyRequests || e.Status >= 500
			e.RetryAfter = outbound.RetryAfter(re.Response.Header.Get("Retry-After"), time.Now(), MaxRetryAfter)
		}
		if re.ErrorCode != "" {
			e.msg += ": " + redact.Sanitize(re.ErrorCode, 64)
		}
		if re.ErrorDescription != "" {
			e.Detail = excerpt([]byte(re.ErrorDescription), c.knownSecrets())
		}
		return e
	}
	timeout := c.cfg.timeout()
	return failedAttempt(op+" (OAuth token)", ctx, ctx, err, timeout, c.knownSecrets())
}

// failedAttempt describes an attempt that got no answer. Everything is
// worth retrying except a certificate Roster does not trust and a target
// the outbound policy refuses, which need a person to fix.
func failedAttempt(op string, parent, attempt context.Context, err error, timeout time.Duration, secrets []string) *Error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var netErr net.Error
	re, refused := outbound.Refused(err)
	switch {
	case parent.Err() != nil:
		return &Error{Op: op, Retry: true, msg: fmt.Sprintf("interrupted before an answer (%v)", parent.Err()), cause: parent.Err()}
	case errors.Is(attempt.Err(), context.DeadlineExceeded):
		return &Error{Op: op, Retry: true, msg: "no answer within " + formatDuration(timeout), cause: context.DeadlineExceeded}
	case refused:
		return &Error{Op: op, msg: re.Error(), cause: re}
	case untrustedCertificate(err):
		return &Error{Op: op, msg: "TLS certificate not accepted: " + excerpt([]byte(cause.Error()), secrets), cause: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &Error{Op: op, Retry: true, msg: "timed out: " + excerpt([]byte(cause.Error()), secrets), cause: err}
	default:
		return &Error{Op: op, Retry: true, msg: excerpt([]byte(cause.Error()), secrets), cause: err}
	}
}

func untrustedCertificate(err error) bool {
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &host) || errors.As(err, &invalid)
}
