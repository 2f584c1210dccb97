package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/redact"
)

// Sentinel errors a caller decides on; an *Error matches them with
// errors.Is.
var (
	// ErrNotFound is a 404 for the user or group addressed: the caller
	// re-creates the account or marks it gone, as the app is set up to.
	ErrNotFound = errors.New("scim: not found")
	// ErrConflict is a 409: the server already holds a resource with a
	// unique value (userName, externalId) the request carries.
	ErrConflict = errors.New("scim: conflict")
	// ErrPatchUnsupported is a group change on a server without PATCH.
	ErrPatchUnsupported = errors.New("scim: the server does not support PATCH")
)

// MaxRetryAfter caps the server's Retry-After.
const MaxRetryAfter = time.Hour

// ExcerptLimit is the most bytes of a response body an Error keeps.
const ExcerptLimit = 500

// Error is the outcome of a call that did not succeed.
type Error struct {
	Op         string        // "PATCH https://example.com/scim/v2/Users/2819c223"
	Status     int           // 0 when no response
	Retry      bool          // 408, 429, 5xx but 501, timeouts, connection errors
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date), capped at MaxRetryAfter; 0 when absent
	SCIMType   string        // RFC 7644 §3.12 scimType, such as "uniqueness" or "invalidValue"
	Detail     string        // the server's detail, sanitised and redacted
	Excerpt    string        // the start of the response body, sanitised and redacted
	msg        string        // what went wrong, without Op
	cause      error
}

func (e *Error) Error() string {
	s := "scim: " + e.Op + ": " + e.msg
	if e.SCIMType != "" {
		s += ": " + e.SCIMType
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap gives the cause: context.DeadlineExceeded for a timeout, a
// *outbound.RefusedError, ErrPatchUnsupported...
func (e *Error) Unwrap() error { return e.cause }

// Is matches ErrNotFound to a 404 and ErrConflict to a 409.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}

// Retryable reports whether err is worth trying again later, and after how
// long the server asked to wait (0 when it did not say).
func Retryable(err error) (bool, time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Retry, e.RetryAfter
	}
	return false, 0
}

// scimError is RFC 7644 §3.12's error body. status is a string in the
// RFC, a number on some servers.
type scimError struct {
	Detail   string          `json:"detail"`
	SCIMType string          `json:"scimType"`
	Status   json.RawMessage `json:"status"`
}

// statusError classifies an answered request that was not a 2xx.
func statusError(op string, resp *http.Response, body []byte, answeredAt time.Time, secrets []string) *Error {
	code := resp.StatusCode
	e := &Error{Op: op, Status: code, msg: statusText(code), Excerpt: excerpt(body, secrets)}
	var se scimError
	if json.Unmarshal(body, &se) == nil {
		e.Detail = excerpt([]byte(se.Detail), secrets)
		e.SCIMType = redact.Sanitize(se.SCIMType, 64)
	}
	switch {
	case code >= 300 && code < 400:
		e.msg += ": SCIM calls are not redirected; check the app's base URL"
	case code == http.StatusUnauthorized:
		e.msg += ": check the app's token or client credentials"
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || (code >= 500 && code != http.StatusNotImplemented):
		e.Retry = true
		e.RetryAfter = outbound.RetryAfter(resp.Header.Get("Retry-After"), answeredAt, MaxRetryAfter)
	}
	return e
}

// statusText is "503 Service Unavailable": our wording, not the server's
// reason phrase.
func statusText(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return strconv.Itoa(code)
}

// excerpt is text from a server as admins may see it (redact.Excerpt),
// with the client's secrets replaced.
func excerpt(raw []byte, secrets []string) string {
	return redact.Excerpt(raw, ExcerptLimit, secrets...)
}
