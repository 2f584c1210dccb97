package webhook

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSign(t *testing.T) {
	t.Parallel()
	// Computed independently: printf '1772438400.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef
	assert.Equal(t, "v1=72c827362b83448c337053743918221660dfbd8502f215712a49d354b521a99d",
		Sign("0123456789abcdef", 1772438400, []byte(`{"a":1}`)))
	assert.NotEqual(t, Sign(testSecret, 1, []byte("x")), Sign(testSecret, 2, []byte("x")), "the timestamp is signed")
	assert.NotEqual(t, Sign(testSecret, 1, []byte("x")), Sign(testSecret, 1, []byte("y")), "the body is signed")
	assert.NotEqual(t, Sign(testSecret, 12, []byte("3.x")), Sign(testSecret, 123, []byte(".x")), "the dot separates timestamp and body")
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"act_1","op":"grant"}`)
	ts := now.Unix()
	good := Sign(testSecret, ts, body)
	other := Sign("another-secret-0123456789", ts, body)
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	stamp := strconv.FormatInt(ts, 10)
	tests := []struct {
		name      string
		secret    string
		header    http.Header
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error // nil means accepted
	}{
		{name: "a good request", header: header(HeaderTimestamp, stamp, HeaderSignature, good)},
		{name: "header names are case-insensitive", header: http.Header{"Roster-Timestamp": {stamp}, "Roster-Signature": {good}}},
		{name: "rotated: new secret first", header: header(HeaderTimestamp, stamp, HeaderSignature, good+","+other)},
		{name: "rotated: new secret second, with spaces", header: header(HeaderTimestamp, stamp, HeaderSignature, other+" , "+good)},
		{name: "rotated: on separate header lines", header: header(HeaderTimestamp, stamp, HeaderSignature, other, HeaderSignature, good)},
		{name: "other schemes are ignored", header: header(HeaderTimestamp, stamp, HeaderSignature, "v2=abc,"+good)},
		{name: "a minute late is within tolerance", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(time.Minute)},
		{name: "at the edge of the tolerance", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(DefaultTolerance)},
		{name: "a clock slightly behind the sender's", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(-4 * time.Minute)},
		{name: "a custom tolerance", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(time.Hour), tolerance: 2 * time.Hour},

		{name: "wrong secret", secret: "a-wrong-secret-0123456789", header: header(HeaderTimestamp, stamp, HeaderSignature, good), want: ErrBadSignature},
		{name: "tampered body", header: header(HeaderTimestamp, stamp, HeaderSignature, good), body: []byte(`{"id":"act_1","op":"delete"}`), want: ErrBadSignature},
		{name: "tampered timestamp", header: header(HeaderTimestamp, strconv.FormatInt(ts+1, 10), HeaderSignature, good), want: ErrBadSignature},
		{name: "only another secret's signature", header: header(HeaderTimestamp, stamp, HeaderSignature, other), want: ErrBadSignature},
		{name: "upper-case hex is not what Roster sends", header: header(HeaderTimestamp, stamp, HeaderSignature, "v1="+strings.ToUpper(strings.TrimPrefix(good, "v1="))), want: ErrBadSignature},
		{name: "the bare hex without v1=", header: header(HeaderTimestamp, stamp, HeaderSignature, strings.TrimPrefix(good, "v1=")), want: ErrBadSignature},
		{name: "an empty signature", header: header(HeaderTimestamp, stamp, HeaderSignature, ""), want: ErrBadSignature},
		{name: "stale: replayed ten minutes later", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(10 * time.Minute), want: ErrStaleTimestamp},
		{name: "stale: from the future", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(-6 * time.Minute), want: ErrStaleTimestamp},
		{name: "stale: a zero tolerance means the default", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(6 * time.Minute), tolerance: 0, want: ErrStaleTimestamp},
		{name: "stale: a tight tolerance", header: header(HeaderTimestamp, stamp, HeaderSignature, good), now: now.Add(31 * time.Second), tolerance: 30 * time.Second, want: ErrStaleTimestamp},
		{name: "missing timestamp", header: header(HeaderSignature, good), want: ErrMissingHeader},
		{name: "missing signature", header: header(HeaderTimestamp, stamp), want: ErrMissingHeader},
		{name: "no headers at all", header: http.Header{}, want: ErrMissingHeader},
		{name: "a timestamp in milliseconds", header: header(HeaderTimestamp, stamp+"000", HeaderSignature, good), want: ErrBadTimestamp},
		{name: "a negative timestamp", header: header(HeaderTimestamp, "-"+stamp, HeaderSignature, good), want: ErrBadTimestamp},
		{name: "a fractional timestamp", header: header(HeaderTimestamp, stamp+".5", HeaderSignature, good), want: ErrBadTimestamp},
		{name: "a timestamp with spaces", header: header(HeaderTimestamp, " "+stamp, HeaderSignature, good), want: ErrBadTimestamp},
		{name: "an RFC 3339 timestamp", header: header(HeaderTimestamp, now.Format(time.RFC3339), HeaderSignature, good), want: ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret, b, at := tt.secret, tt.body, tt.now
			if secret == "" {
				secret = testSecret
			}
			if b == nil {
				b = body
			}
			if at.IsZero() {
				at = now
			}
			err := Verify(secret, tt.header, b, at, tt.tolerance)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestVerifyMessages(t *testing.T) {
	t.Parallel()
	now := time.Unix(1772438400, 0)
	h := http.Header{}
	h.Set(HeaderTimestamp, "1772438400")
	h.Set(HeaderSignature, Sign(testSecret, 1772438400, nil))
	err := Verify(testSecret, h, nil, now.Add(412*time.Second+300*time.Millisecond), 0)
	assert.EqualError(t, err, "webhook: timestamp outside the tolerance: 412s off, allowed ±300s")
	assert.EqualError(t, Verify(testSecret, http.Header{}, nil, now, 0), "webhook: missing signature header: Roster-Timestamp")
	assert.EqualError(t, Verify("", h, nil, now, 0), "webhook: no secret to verify with")
}
