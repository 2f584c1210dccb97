package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendOutcomes(t *testing.T) {
	t.Parallel()
	// A fixed clock, so an HTTP-date Retry-After is a known distance away.
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		wantRetry   bool
		wantAfter   time.Duration // Retry-After, within a second (elapsed time is subtracted from a date)
		wantErr     string        // "%s" is the webhook's URL; "" means done
		wantExcerpt string
	}{
		{name: "200 is done", status: 200, body: "{\"ok\": true,\n  \"account\": \"ada\"}\n", wantExcerpt: `{"ok": true, "account": "ada"}`},
		{name: "201 is done", status: 201, body: "created"},
		{name: "204 is done", status: 204},
		{name: "400 fails at once", status: 400, body: "missing work_email", wantErr: "POST %s: 400 Bad Request"},
		{name: "401 fails at once", status: 401, body: "invalid signature", wantErr: "POST %s: 401 Unauthorized"},
		{name: "404 fails at once", status: 404, wantErr: "POST %s: 404 Not Found"},
		{name: "409 fails at once", status: 409, wantErr: "POST %s: 409 Conflict"},
		{name: "422 fails at once", status: 422, body: `{"error":"unknown group eng"}`, wantErr: "POST %s: 422 Unprocessable Entity"},
		{name: "429 with Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "30"}, wantRetry: true, wantAfter: 30 * time.Second, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with Retry-After HTTP date", status: 429, header: map[string]string{"Retry-After": "Mon, 02 Mar 2026 08:02:00 GMT"}, wantRetry: true, wantAfter: 2 * time.Minute, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with a Retry-After date in the past", status: 429, header: map[string]string{"Retry-After": "Mon, 02 Mar 2026 07:00:00 GMT"}, wantRetry: true, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with a day of Retry-After is capped at an hour", status: 429, header: map[string]string{"Retry-After": "86400"}, wantRetry: true, wantAfter: time.Hour, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with an overflowing Retry-After is capped", status: 429, header: map[string]string{"Retry-After": "99999999999999999999999"}, wantRetry: true, wantAfter: time.Hour, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with a malformed Retry-After", status: 429, header: map[string]string{"Retry-After": "soon"}, wantRetry: true, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 with a negative Retry-After", status: 429, header: map[string]string{"Retry-After": "-5"}, wantRetry: true, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "429 without Retry-After", status: 429, wantRetry: true, wantErr: "POST %s: 429 Too Many Requests"},
		{name: "408 is a timeout: retry", status: 408, wantRetry: true, wantErr: "POST %s: 408 Request Timeout"},
		{name: "500 retries", status: 500, body: "panic: nil map", wantRetry: true, wantErr: "POST %s: 500 Internal Server Error"},
		{name: "502 retries", status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", wantRetry: true, wantErr: "POST %s: 502 Bad Gateway"},
		{name: "503 with Retry-After retries", status: 503, header: map[string]string{"Retry-After": "120"}, body: "maintenance", wantRetry: true, wantAfter: 2 * time.Minute, wantErr: "POST %s: 503 Service Unavailable"},
		{name: "an unnamed 5xx retries", status: 599, wantRetry: true, wantErr: "POST %s: 599"},
		{name: "Retry-After on a permanent failure is ignored", status: 400, header: map[string]string{"Retry-After": "30"}, wantErr: "POST %s: 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			res := testClient().Send(context.Background(), rc.config("/hook"), samplePayload(), now)

			assert.Equal(t, tt.status, res.Status)
			assert.Equal(t, tt.wantRetry, res.Retry, "retry")
			assert.InDelta(t, tt.wantAfter, res.RetryAfter, float64(time.Second), "Retry-After %s", res.RetryAfter)
			assert.LessOrEqual(t, res.RetryAfter, tt.wantAfter)
			if tt.wantErr == "" {
				assert.NoError(t, res.Err)
				assert.True(t, res.Done())
			} else {
				require.Error(t, res.Err)
				assert.Equal(t, fmt.Sprintf(tt.wantErr, rc.URL+"/hook"), res.Err.Error())
				assert.False(t, res.Done())
			}
			wantExcerpt := tt.wantExcerpt
			if wantExcerpt == "" {
				wantExcerpt = tt.body
			}
			assert.Equal(t, wantExcerpt, res.Excerpt)
			assert.Positive(t, res.Duration)
			assert.Len(t, rc.received(), 1, "one attempt, no loop")
			assertNoSecret(t, res)
		})
	}
}

func TestSendUsesItsOwnStatusText(t *testing.T) {
	t.Parallel()
	// net/http cannot set a reason phrase, so answer on the raw connection.
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 503 <script>alert(1)</script>\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy")
		_ = buf.Flush()
	})
	res := testClient().Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now())
	assert.Equal(t, 503, res.Status)
	assert.True(t, res.Retry)
	assert.Equal(t, "POST "+rc.URL+"/hook: 503 Service Unavailable", res.Err.Error())
	assert.Equal(t, "busy", res.Excerpt)
}

func TestSendRedirectIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   int
		location string
		wantErr  string // %s is the receiver's base URL
	}{
		{301, "/moved?token=abc", "POST %[1]s/hook: 301 Moved Permanently: webhooks are not redirected; if the endpoint moved, set the app's URL to %[1]s/moved"},
		{302, "https://user:pw@new.example.com/hooks#x", "POST %[1]s/hook: 302 Found: webhooks are not redirected; if the endpoint moved, set the app's URL to https://new.example.com/hooks"},
		{303, "/moved", "POST %[1]s/hook: 303 See Other: webhooks are not redirected; if the endpoint moved, set the app's URL to %[1]s/moved"},
		{307, "/moved", "POST %[1]s/hook: 307 Temporary Redirect: webhooks are not redirected; if the endpoint moved, set the app's URL to %[1]s/moved"},
		{308, "/moved", "POST %[1]s/hook: 308 Permanent Redirect: webhooks are not redirected; if the endpoint moved, set the app's URL to %[1]s/moved"},
		{300, "", "POST %[1]s/hook: 300 Multiple Choices: webhooks are not redirected; check the app's URL"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if r.URL.Path == "/hook" && tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				if r.URL.Path == "/hook" {
					w.WriteHeader(tt.status)
				}
			})
			res := testClient().Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now())

			assert.Equal(t, tt.status, res.Status)
			assert.False(t, res.Retry)
			require.Error(t, res.Err)
			assert.Equal(t, fmt.Sprintf(tt.wantErr, rc.URL), res.Err.Error())
			assert.NotContains(t, res.Err.Error(), "token=abc")
			assert.NotContains(t, res.Err.Error(), "pw")
			require.Len(t, rc.received(), 1, "the redirect is not followed")
			assertNoSecret(t, res)
		})
	}
}

func TestSendRedirectIsNotFollowedWithCallersClient(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
	})
	caller := &http.Client{Timeout: 5 * time.Second}
	res := NewClient(caller).Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now())

	assert.Equal(t, http.StatusTemporaryRedirect, res.Status)
	assert.False(t, res.Retry)
	assert.Len(t, rc.received(), 1)
	assert.Nil(t, caller.CheckRedirect, "the caller's client is not modified")
}

func TestSendTimeoutRetries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	cfg := rc.config("/slow")
	cfg.Timeout = 100 * time.Millisecond
	res := testClient().Send(context.Background(), cfg, samplePayload(), time.Now())

	assert.Zero(t, res.Status)
	assert.True(t, res.Retry)
	assert.Zero(t, res.RetryAfter)
	require.Error(t, res.Err)
	assert.Equal(t, "POST "+rc.URL+"/slow: no answer within 100ms", res.Err.Error())
	assert.ErrorIs(t, res.Err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, res.Duration, 100*time.Millisecond)
	assert.Less(t, res.Duration, 3*time.Second)
	assertNoSecret(t, res)
}

func TestSendDefaultTimeoutIsNamed(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "POST https://x/hooks: no answer within 10s",
		failedAttempt(context.Background(), expired(t), context.DeadlineExceeded, "https://x/hooks", Config{}.timeout()).Err.Error())
}

// expired is a context whose deadline has passed.
func expired(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return ctx
}

func TestSendConnectionRefusedRetries(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	cfg := Config{URL: "http://user:hunter2-password@" + addr + "/hook?token=query-token", Secret: testSecret}
	res := testClient().Send(context.Background(), cfg, samplePayload(), time.Now())

	assert.Zero(t, res.Status)
	assert.True(t, res.Retry)
	require.Error(t, res.Err)
	assert.True(t, strings.HasPrefix(res.Err.Error(), "POST http://"+addr+"/hook: "), res.Err.Error())
	assert.Contains(t, res.Err.Error(), "connection refused")
	assertNoSecret(t, res, "hunter2-password", "query-token")
}

func TestSendInterruptedRetries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(http.ResponseWriter, *http.Request, []byte) {})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // River is shutting down, say
	res := testClient().Send(ctx, rc.config("/hook"), samplePayload(), time.Now())

	assert.True(t, res.Retry)
	assert.ErrorIs(t, res.Err, context.Canceled)
	assert.Equal(t, "POST "+rc.URL+"/hook: interrupted before an answer (context canceled)", res.Err.Error())
}

func TestSendTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := Config{URL: srv.URL + "/hook", Secret: testSecret}

	t.Run("an untrusted certificate fails at once", func(t *testing.T) {
		t.Parallel()
		res := testClient().Send(context.Background(), cfg, samplePayload(), time.Now())
		assert.False(t, res.Retry)
		require.Error(t, res.Err)
		assert.True(t, strings.HasPrefix(res.Err.Error(), "POST "+srv.URL+"/hook: TLS certificate not accepted: "), res.Err.Error())
	})
	t.Run("a trusted certificate is done", func(t *testing.T) {
		t.Parallel()
		res := NewClient(srv.Client()).Send(context.Background(), cfg, samplePayload(), time.Now())
		assert.NoError(t, res.Err)
		assert.Equal(t, http.StatusAccepted, res.Status)
	})
}

func TestSendHeadersSignatureAndIdempotency(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		// The receiver does what docs/webhooks.md tells receivers to do.
		if err := Verify(testSecret, r.Header, body, time.Now(), DefaultTolerance); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	client := testClient()
	p := samplePayload()
	first := time.Now()
	second := first.Add(-90 * time.Second) // a retry, signed at another time

	for _, now := range []time.Time{first, second} {
		res := client.Send(context.Background(), rc.config("/hook"), p, now)
		require.NoError(t, res.Err, res.Excerpt)
		require.Equal(t, http.StatusNoContent, res.Status)
	}

	got := rc.received()
	require.Len(t, got, 2)
	for i, now := range []time.Time{first, second} {
		h := got[i].header
		assert.Equal(t, "application/json", h.Get("Content-Type"))
		assert.Equal(t, "Roster-Webhook/1", h.Get("User-Agent"))
		assert.Equal(t, p.ID, h.Get("Idempotency-Key"))
		assert.Equal(t, strconv.FormatInt(now.Unix(), 10), h.Get("Roster-Timestamp"))
		assert.Equal(t, Sign(testSecret, now.Unix(), got[i].body), h.Get("Roster-Signature"))
		assert.Regexp(t, `^v1=[0-9a-f]{64}$`, h.Get("Roster-Signature"))
		assert.Equal(t, http.MethodPost, got[i].method)
		assert.Equal(t, "/hook", got[i].path)

		var decoded Payload
		require.NoError(t, json.Unmarshal(got[i].body, &decoded))
		assert.Equal(t, p, decoded)
	}
	assert.Equal(t, got[0].body, got[1].body, "a retry sends the same body")
	assert.NotEqual(t, got[0].header.Get("Roster-Signature"), got[1].header.Get("Roster-Signature"))
}

func TestSendSignsWithBothSecretsWhileRotating(t *testing.T) {
	t.Parallel()
	const oldSecret = "the-previous-secret-0123456789"
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusOK) })
	cfg := rc.config("/hook")
	cfg.PreviousSecret = oldSecret
	now := time.Now()
	res := testClient().Send(context.Background(), cfg, samplePayload(), now)
	require.NoError(t, res.Err)
	assertNoSecret(t, res, oldSecret)

	got := rc.received()[0]
	assert.Equal(t, Sign(testSecret, now.Unix(), got.body)+","+Sign(oldSecret, now.Unix(), got.body), got.header.Get("Roster-Signature"))
	assert.NoError(t, Verify(testSecret, got.header, got.body, now, 0), "a receiver with the new secret")
	assert.NoError(t, Verify(oldSecret, got.header, got.body, now, 0), "a receiver still on the old secret")
	assert.ErrorIs(t, Verify("some-other-secret-0123456789", got.header, got.body, now, 0), ErrBadSignature)
}

func TestSendPayloadJSON(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusOK) })
	now := time.Date(2026, 9, 30, 17, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	p := Payload{ID: "act_1", Op: OpDisable, App: App{ID: 3, Name: "GitHub"}, Person: Person{ID: 42, EmployeeID: "E1042", Status: "terminated"}}
	res := testClient().Send(context.Background(), rc.config("/hook"), p, now)
	require.NoError(t, res.Err)

	var body map[string]any
	require.NoError(t, json.Unmarshal(rc.received()[0].body, &body))
	assert.Equal(t, []string{"app", "id", "occurred_at", "op", "person"}, keys(body), "entitlement, params and previous are left out when empty")
	assert.Equal(t, "2026-09-30T15:00:00Z", body["occurred_at"], "a missing occurred_at is the send time, in UTC")
	person := body["person"].(map[string]any)
	assert.Equal(t, []any{}, person["groups"], "groups is a list, never null")
	assert.Equal(t, map[string]any{}, person["custom"], "custom is an object, never null")
	assert.Equal(t, []string{
		"cost_center", "country", "custom", "department", "division", "employee_id", "employment_type",
		"first_name", "groups", "id", "last_name", "location", "manager_id", "personal_email", "phone",
		"preferred_name", "start_date", "status", "team", "termination_date", "timezone", "title", "work_email",
	}, keys(person), "every person field is present, empty or not")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSendRejectsWhatNoRetryCanFix(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusOK) })
	good := rc.config("/hook")
	tests := []struct {
		name    string
		cfg     Config
		edit    func(*Payload)
		wantErr string
	}{
		{"no secret", Config{URL: good.URL}, nil, "webhook: the signing secret must be at least 16 bytes"},
		{"short secret", Config{URL: good.URL, Secret: "tiny-secret"}, nil, "webhook: the signing secret must be at least 16 bytes"},
		{"not http", Config{URL: "ftp://example.com/x", Secret: testSecret}, nil, "webhook: the URL must start with https:// or http://"},
		{"no idempotency key", good, func(p *Payload) { p.ID = "" }, "webhook: the action has no idempotency key"},
		{"a key that cannot be a header", good, func(p *Payload) { p.ID = "act_1\r\nX-Evil: 1" }, "webhook: the idempotency key must be printable ASCII without spaces"},
		{"a key too long", good, func(p *Payload) { p.ID = strings.Repeat("k", 256) }, "webhook: the idempotency key is longer than 255 bytes"},
		{"unknown op", good, func(p *Payload) { p.Op = "task" }, `webhook: unknown operation "task"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := samplePayload()
			if tt.edit != nil {
				tt.edit(&p)
			}
			res := testClient().Send(context.Background(), tt.cfg, p, time.Now())
			assert.False(t, res.Retry)
			assert.Zero(t, res.Status)
			require.Error(t, res.Err)
			assert.Equal(t, tt.wantErr, res.Err.Error())
			assertNoSecret(t, res, "tiny-secret")
		})
	}
	assert.Empty(t, rc.received(), "nothing was sent")
}

func TestSendNeverReturnsTheSecret(t *testing.T) {
	t.Parallel()
	const oldSecret = "the-previous-secret-0123456789"
	// A receiver that echoes everything it gets, the secrets included,
	// in the body and in a redirect's Location.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		echo := fmt.Sprintf("secret=%s previous=%s headers=%v body=%s", testSecret, oldSecret, r.Header, body)
		status, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.Header().Set("Location", "/x?"+testSecret)
		w.Header().Set("Retry-After", testSecret)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(echo))
	})
	for _, status := range []int{200, 302, 400, 429, 503} {
		cfg := rc.config("/" + strconv.Itoa(status))
		cfg.PreviousSecret = oldSecret
		res := testClient().Send(context.Background(), cfg, samplePayload(), time.Now())
		require.Equal(t, status, res.Status)
		assert.Contains(t, res.Excerpt, "secret=[redacted] previous=[redacted]")
		assertNoSecret(t, res, oldSecret)
	}
	bad := Config{URL: "https://example.com", Secret: "short-secret", PreviousSecret: "short-prev"}
	require.Error(t, bad.Validate())
	assert.NotContains(t, bad.Validate().Error(), "short-secret")
	assert.NotContains(t, bad.Validate().Error(), "short-prev")
}

func TestSendIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if Verify(testSecret, r.Header, body, time.Now(), 0) != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	client := testClient()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			p := samplePayload()
			p.ID = fmt.Sprintf("act_%d", i)
			errs <- client.Send(context.Background(), rc.config("/hook"), p, time.Now()).Err
		}()
	}
	for range 20 {
		assert.NoError(t, <-errs)
	}
	keys := map[string]bool{}
	for _, r := range rc.received() {
		keys[r.header.Get(HeaderIdempotencyKey)] = true
	}
	assert.Len(t, keys, 20)
}

func TestSendRefusesInsideTargetsByDefault(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	res := NewClient(nil).Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now())
	if res.Err == nil || res.Retry || !strings.Contains(res.Err.Error(), "is a loopback address; set ROSTER_ALLOW_PRIVATE_TARGETS=127.0.0.0/8 to allow it") {
		t.Fatalf("Send to 127.0.0.1 with the default client = %+v, want a permanent refusal naming the setting", res)
	}
	if n := len(rc.received()); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
	if res = testClient().Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now()); res.Err != nil {
		t.Fatalf("with 127.0.0.0/8 allowed: %v", res.Err)
	}
}
