package scim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

func asError(err error, target **scim.Error) bool { return errors.As(err, target) }

func TestOutcomes(t *testing.T) {
	t.Parallel()
	inTwoMinutes := time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		reply      scimtest.Reply
		wantStatus int
		wantRetry  bool
		wantAfter  time.Duration // within 3s: an HTTP date has whole seconds, and parallel tests take time
		wantErr    string        // "" means success
		wantType   string
		notFound   bool
	}{
		{name: "200 is done", reply: scimtest.Reply{Status: 200, Body: `{"id":"7","userName":"ada@example.com"}`}},
		{name: "400 fails at once with the server's detail", reply: scimtest.Reply{Status: 400, SCIMType: "invalidValue", Detail: "title is too long"},
			wantStatus: 400, wantErr: "400 Bad Request: invalidValue: title is too long", wantType: "invalidValue"},
		{name: "401 fails at once", reply: scimtest.Reply{Status: 401, Detail: "bad token"}, wantStatus: 401, wantErr: "401 Unauthorized: check the app's token or client credentials: bad token"},
		{name: "403 fails at once", reply: scimtest.Reply{Status: 403, Detail: "read only"}, wantStatus: 403, wantErr: "403 Forbidden: read only"},
		{name: "404 is not found", reply: scimtest.Reply{Status: 404, Detail: "Resource 7 not found"}, wantStatus: 404, wantErr: "404 Not Found", notFound: true},
		{name: "408 retries", reply: scimtest.Reply{Status: 408}, wantStatus: 408, wantRetry: true, wantErr: "408 Request Timeout"},
		{name: "429 with Retry-After seconds", reply: scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "30"}}, wantStatus: 429, wantRetry: true, wantAfter: 30 * time.Second, wantErr: "429 Too Many Requests"},
		{name: "429 with Retry-After HTTP date", reply: scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": inTwoMinutes}}, wantStatus: 429, wantRetry: true, wantAfter: 2 * time.Minute, wantErr: "429 Too Many Requests"},
		{name: "429 with a day of Retry-After is capped", reply: scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "86400"}}, wantStatus: 429, wantRetry: true, wantAfter: time.Hour, wantErr: "429 Too Many Requests"},
		{name: "429 with a malformed Retry-After", reply: scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "soon"}}, wantStatus: 429, wantRetry: true, wantErr: "429 Too Many Requests"},
		{name: "500 retries", reply: scimtest.Reply{Status: 500, Body: "panic: nil map"}, wantStatus: 500, wantRetry: true, wantErr: "500 Internal Server Error"},
		{name: "503 with Retry-After retries", reply: scimtest.Reply{Status: 503, Header: map[string]string{"Retry-After": "120"}}, wantStatus: 503, wantRetry: true, wantAfter: 2 * time.Minute, wantErr: "503 Service Unavailable"},
		{name: "501 does not retry", reply: scimtest.Reply{Status: 501}, wantStatus: 501, wantErr: "501 Not Implemented"},
		{name: "a redirect is not followed", reply: scimtest.Reply{Status: 302, Header: map[string]string{"Location": "https://elsewhere.example/scim"}}, wantStatus: 302, wantErr: "302 Found: SCIM calls are not redirected"},
		{name: "Retry-After on a permanent failure is ignored", reply: scimtest.Reply{Status: 400, Header: map[string]string{"Retry-After": "30"}}, wantStatus: 400, wantErr: "400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, scimtest.Options{})
			srv.Queue(http.MethodGet, "/Users/7", tt.reply)
			u, err := newClient(t, srv).GetUser(context.Background(), "7")
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "ada@example.com", u.UserName)
				return
			}
			var e *scim.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantStatus, e.Status)
			assert.Equal(t, tt.wantRetry, e.Retry, "retry")
			assert.InDelta(t, tt.wantAfter, e.RetryAfter, float64(3*time.Second), "Retry-After %s", e.RetryAfter)
			assert.LessOrEqual(t, e.RetryAfter, tt.wantAfter)
			assert.Equal(t, tt.wantType, e.SCIMType)
			assert.Contains(t, err.Error(), "scim: GET "+srv.URL()+"/Users/7: "+tt.wantErr)
			assert.Equal(t, tt.notFound, errors.Is(err, scim.ErrNotFound), "ErrNotFound")
			retry, after := scim.Retryable(err)
			assert.Equal(t, e.Retry, retry)
			assert.Equal(t, e.RetryAfter, after)
		})
	}
}

// A server that never answers: the attempt ends at the client's timeout,
// is worth retrying, and unwraps to context.DeadlineExceeded.
func TestTimeout(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	srv.Queue(http.MethodGet, "/Users/7", scimtest.Reply{Status: 200, Hold: never})
	c := newClient(t, srv, func(cfg *scim.Config) { cfg.Timeout = 50 * time.Millisecond })

	_, err := c.GetUser(context.Background(), "7")
	var e *scim.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retry)
	assert.Zero(t, e.Status)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "scim: GET "+srv.URL()+"/Users/7: no answer within 50ms", err.Error())
}

// The caller giving up is retryable too, and says so.
func TestCallerCancels(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	arrived := make(chan struct{})
	srv.Queue(http.MethodGet, "/Users/7", scimtest.Reply{Status: 200, Hold: never, Arrived: arrived})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := newClient(t, srv).GetUser(ctx, "7")
	var e *scim.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retry)
	assert.Contains(t, err.Error(), "interrupted before an answer")
}

// A connection refused (nothing listens) is retryable.
func TestConnectionError(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv, func(cfg *scim.Config) { cfg.BaseURL = "http://127.0.0.1:1/scim/v2" })
	_, err := c.GetUser(context.Background(), "7")
	var e *scim.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retry)
	assert.Zero(t, e.Status)
}

// The zero policy refuses loopback: the refusal is permanent and says
// which setting allows it.
func TestPolicyRefusesInside(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	_, err := scim.NewClient(scim.Config{BaseURL: srv.URL(), Token: testToken}, scim.Options{})
	require.Error(t, err, "plain http to loopback needs the policy's permission")

	c, err := scim.NewClient(scim.Config{BaseURL: "https://" + srv.URL()[len("http://"):], Token: testToken, Attempts: 1}, scim.Options{})
	require.NoError(t, err)
	_, err = c.GetUser(context.Background(), "7")
	var e *scim.Error
	require.ErrorAs(t, err, &e)
	assert.False(t, e.Retry)
	assert.Contains(t, err.Error(), "ROSTER_ALLOW_PRIVATE_TARGETS")
	assert.Zero(t, srv.Count("*", "*"))
}

// With attempts left, the client sits through a short Retry-After itself.
func TestRetriesShortWaits(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	srv.Queue(http.MethodGet, "/Users/1",
		scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "2"}},
		scimtest.Reply{Status: 503})
	c := newClient(t, srv, func(cfg *scim.Config) { cfg.Attempts = 3 })
	w := recordWaits(c)

	u, err := c.GetUser(context.Background(), "1")
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", u.UserName)
	assert.Equal(t, []time.Duration{2 * time.Second, time.Second}, w.all(), "Retry-After, then the client's own backoff")
	assert.Equal(t, 3, srv.Count(http.MethodGet, "/Users/1"))
}

// A long Retry-After goes back to the caller (the job runner) at once.
func TestLeavesLongWaitsToTheCaller(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.Queue(http.MethodGet, "/Users/1", scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "600"}})
	c := newClient(t, srv, func(cfg *scim.Config) { cfg.Attempts = 3 })
	w := recordWaits(c)

	_, err := c.GetUser(context.Background(), "1")
	retry, after := scim.Retryable(err)
	assert.True(t, retry)
	assert.Equal(t, 10*time.Minute, after)
	assert.Empty(t, w.all())
	assert.Equal(t, 1, srv.Count(http.MethodGet, "/Users/1"))
}

// Every request carries the SCIM media type, the User-Agent and the token.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv)
	_, err := c.Create(context.Background(), scim.User{UserName: "ada@example.com"})
	require.NoError(t, err)
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		assert.Equal(t, "Roster-SCIM/1", r.Header.Get("User-Agent"))
		assert.Equal(t, "application/scim+json, application/json", r.Header.Get("Accept"))
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		if r.Method == http.MethodPost {
			assert.Equal(t, "application/scim+json", r.Header.Get("Content-Type"))
		}
	}
}
