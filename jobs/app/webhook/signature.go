package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers Roster sets on every request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "Roster-Timestamp"
	HeaderSignature      = "Roster-Signature"
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// signaturePrefix names the scheme: v1 is HMAC-SHA256 over
// timestamp + "." + body, hex-encoded in lower case.
const signaturePrefix = "v1="

// Reasons Verify rejects a request; test them with errors.Is.
var (
	ErrMissingHeader  = errors.New("webhook: missing signature header")
	ErrBadTimestamp   = errors.New("webhook: malformed timestamp")
	ErrStaleTimestamp = errors.New("webhook: timestamp outside the tolerance")
	ErrBadSignature   = errors.New("webhook: no signature matches")
)

// Sign returns the Roster-Signature value for a body sent at timestamp
// (unix seconds): "v1=" and the hex HMAC-SHA256 of timestamp + "." + body.
func Sign(secret string, timestamp int64, body []byte) string {
	return sign(secret, strconv.FormatInt(timestamp, 10), body)
}

// sign works on the timestamp as it appears in the header, which is what
// Verify and the Python and Node.js recipes hash.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a request Roster signed: the Roster-Timestamp header must
// be within ±tolerance of now (replay protection; tolerance <= 0 means
// DefaultTolerance), and one of the comma-separated Roster-Signature
// values must be Sign's value for that timestamp and body. Several values
// appear while a secret is rotated ("v1=a,v1=b"); values of other schemes
// are ignored. The comparison takes constant time.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("webhook: no secret to verify with")
	}
	ts := header.Get(HeaderTimestamp)
	if ts == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderTimestamp)
	}
	sent, ok := parseTimestamp(ts)
	if !ok {
		return ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(sent); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s off, allowed ±%s", ErrStaleTimestamp, formatDuration(skew.Abs().Truncate(time.Second)), formatDuration(tolerance))
	}
	values := header.Values(HeaderSignature)
	if len(values) == 0 {
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	}
	want := []byte(sign(secret, ts, body))
	matched := false
	for _, v := range values {
		for _, got := range strings.Split(v, ",") {
			// Check every value, so the time taken does not say which matched.
			if hmac.Equal([]byte(strings.TrimSpace(got)), want) {
				matched = true
			}
		}
	}
	if !matched {
		return ErrBadSignature
	}
	return nil
}

// parseTimestamp reads unix seconds written as ASCII digits only, the
// same rule the recipes in docs/webhooks.md apply.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) > 12 { // beyond the year 33658: not a real timestamp
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}
