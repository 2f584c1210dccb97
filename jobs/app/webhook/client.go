package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/redact"
)

// UserAgent identifies Roster's requests; the number is the payload
// version.
const UserAgent = "Roster-Webhook/1"

// How much of a response Send reads: enough for the excerpt, then a
// little more so the connection can be reused.
const (
	excerptReadLimit = 4 << 10
	drainLimit       = 64 << 10
)

// Client delivers webhook payloads. It is safe for concurrent use.
type Client struct {
	http *http.Client
}

// NewClient returns a Client on httpClient, or, when it is nil, on the
// transport of the zero outbound.Policy: public https:// targets only.
// Callers that mean to reach private targets pass a client on their
// policy's Transport. Redirects are never followed: a webhook URL that
// redirects is a misconfiguration, and Send reports the 3xx as a
// permanent failure.
func NewClient(httpClient *http.Client) *Client {
	var hc http.Client
	if httpClient != nil {
		hc = *httpClient
	} else {
		hc.Transport = outbound.Policy{}.Transport()
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{http: &hc}
}

// Result of one delivery attempt.
type Result struct {
	Status     int           // 0 when no response
	Excerpt    string        // up to 500 bytes of the response body, valid UTF-8, control characters stripped
	Retry      bool          // 408, 429, 5xx, timeouts, connection errors
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date), capped at MaxWait; 0 when absent
	Err        error         // nil on 2xx
	Duration   time.Duration
}

// Done reports whether the receiver accepted the action.
func (r Result) Done() bool { return r.Err == nil }

// Send makes one attempt to deliver p to the app, signed with the time
// now, and classifies the outcome. It does not retry: River does, using
// Backoff. An invalid config or payload fails permanently without a
// request.
func (c *Client) Send(ctx context.Context, cfg Config, p Payload, now time.Time) Result {
	if err := cfg.Validate(); err != nil {
		return Result{Err: err}
	}
	if err := p.check(); err != nil {
		return Result{Err: err}
	}
	body, err := p.body(now)
	if err != nil {
		return Result{Err: err}
	}
	target := redact.DisplayURL(cfg.URL)

	// The attempt's time runs from before its deadline is set, so an
	// attempt that timed out never reports less than the timeout.
	start := time.Now()
	attemptCtx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("POST %s: cannot build the request", target)}
	}
	ts := now.Unix()
	signature := Sign(cfg.Secret, ts, body)
	if cfg.PreviousSecret != "" {
		signature += "," + Sign(cfg.PreviousSecret, ts, body)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderIdempotencyKey, p.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, signature)

	resp, err := c.http.Do(req)
	if err != nil {
		r := failedAttempt(ctx, attemptCtx, err, target, cfg.timeout())
		r.Duration = time.Since(start)
		return r
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, excerptReadLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	r := Result{Status: resp.StatusCode, Excerpt: excerpt(raw, cfg.Secret, cfg.PreviousSecret), Duration: time.Since(start)}
	classify(&r, resp, target, now.Add(r.Duration))
	return r
}

// classify sets Retry, RetryAfter and Err from the response status.
func classify(r *Result, resp *http.Response, target string, answeredAt time.Time) {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return
	case code >= 300 && code < 400:
		r.Err = fmt.Errorf("POST %s: %s: %s", target, statusText(code), redirectAdvice(resp))
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || (code >= 500 && code < 600):
		r.Retry = true
		r.RetryAfter = outbound.RetryAfter(resp.Header.Get("Retry-After"), answeredAt, MaxWait)
		r.Err = fmt.Errorf("POST %s: %s", target, statusText(code))
	default:
		r.Err = fmt.Errorf("POST %s: %s", target, statusText(code))
	}
}

// redirectAdvice says what to fix when the receiver redirects.
func redirectAdvice(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "webhooks are not redirected; check the app's URL"
	}
	return "webhooks are not redirected; if the endpoint moved, set the app's URL to " + redact.DisplayURL(loc.String())
}

// failedAttempt describes an attempt that got no response. Everything is
// worth retrying (the receiver may have acted; the Idempotency-Key makes
// a second delivery safe) except a certificate Roster does not trust and
// a target the outbound policy refuses, which need a person to fix.
func failedAttempt(parent, attempt context.Context, err error, target string, timeout time.Duration) Result {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var netErr net.Error
	switch {
	case parent.Err() != nil:
		return Result{Retry: true, Err: &deliveryError{fmt.Sprintf("POST %s: interrupted before an answer (%v)", target, parent.Err()), parent.Err()}}
	case errors.Is(attempt.Err(), context.DeadlineExceeded):
		return Result{Retry: true, Err: &deliveryError{fmt.Sprintf("POST %s: no answer within %s", target, formatDuration(timeout)), context.DeadlineExceeded}}
	case refused(err) != nil:
		re := refused(err)
		return Result{Err: &deliveryError{fmt.Sprintf("POST %s: %v", target, re), re}}
	case untrustedCertificate(err):
		return Result{Err: &deliveryError{fmt.Sprintf("POST %s: TLS certificate not accepted: %v", target, cause), err}}
	case errors.As(err, &netErr) && netErr.Timeout():
		return Result{Retry: true, Err: &deliveryError{fmt.Sprintf("POST %s: timed out: %v", target, cause), err}}
	default:
		return Result{Retry: true, Err: &deliveryError{fmt.Sprintf("POST %s: %v", target, cause), err}}
	}
}

func refused(err error) *outbound.RefusedError {
	re, _ := outbound.Refused(err)
	return re
}

func untrustedCertificate(err error) bool {
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &host) || errors.As(err, &invalid)
}

// deliveryError has a plain message (no "Post \"...\":" wrapping from
// net/http) but still unwraps to its cause, so errors.Is(err,
// context.DeadlineExceeded) works.
type deliveryError struct {
	msg   string
	cause error
}

func (e *deliveryError) Error() string { return e.msg }
func (e *deliveryError) Unwrap() error { return e.cause }

// statusText is "503 Service Unavailable": our wording, not the
// receiver's reason phrase.
func statusText(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return strconv.Itoa(code)
}
