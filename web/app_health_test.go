package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/models"
)

func testConnectionPath(appID int64) string { return appPath(appID) + "/test" }

// testReceiver checks each call's signature with the app's secret and
// answers status, keeping the ops it was sent.
type testReceiver struct {
	mu     sync.Mutex
	secret string
	status int
	ops    []string
}

func (h *testReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if webhook.Verify(h.secret, r.Header, body, time.Now(), 0) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"bad signature"}`)
		return
	}
	var p webhook.Payload
	_ = json.Unmarshal(body, &p)
	h.ops = append(h.ops, p.Op)
	w.WriteHeader(h.status)
	_, _ = io.WriteString(w, `{"hello":"roster"}`)
}

// TestAppTestConnection sends a signed test call from the app's page: the
// flash says what the receiver answered, the page shows the last call and
// the error rate, the call is audited, and only admins may send it.
func TestAppTestConnection(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		rcv := &testReceiver{status: http.StatusOK}
		hs := httptest.NewServer(rcv)
		t.Cleanup(hs.Close)
		sealer, err := models.NewSealer([]byte(testSecretKey))
		require.NoError(t, err)
		require.NoError(t, srv.Store.SetWebhookSettings(ctx, models.CLIActor, app.ID, hs.URL+"/hook", "", false, sealer))
		_, rcv.secret, _ = srv.webhookSettings(t, app.ID)

		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		p := b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "None yet", squash(p.Text("last-call")))
		require.Equal(t, "no calls in the last 24 hours", p.Text("error-rate"))
		require.Equal(t, 1, p.TestID("test-connection").Length())

		b.post(testConnectionPath(app.ID), nil).requireRedirect(http.StatusSeeOther, appPath(app.ID)+"#health")
		p = b.get(appPath(app.ID))
		require.Equal(t, `GitHub answered the test call with HTTP 200. It said: {"hello":"roster"}`, p.Flash("success"))
		require.Equal(t, []string{"test"}, rcv.ops, "one signed call with op test")
		require.Equal(t, "OK", p.Text("last-call-result"))
		require.Equal(t, "HTTP 200", p.Text("last-call-status"))
		require.Equal(t, `{"hello":"roster"}`, p.Text("last-call-excerpt"))
		require.Equal(t, "0% of 1 call failed in the last 24 hours", p.Text("error-rate"))
		events := srv.auditEvents(t, models.ActionAppTested)
		require.Len(t, events, 1)
		require.Contains(t, *events[0].After, `"ok":true`)

		rcv.mu.Lock()
		rcv.status = http.StatusServiceUnavailable
		rcv.mu.Unlock()
		b.post(testConnectionPath(app.ID), nil).requireStatus(http.StatusSeeOther)
		p = b.get(appPath(app.ID))
		require.Contains(t, p.Flash("error"), "Test connection failed: POST "+hs.URL+"/hook: 503 Service Unavailable")
		require.Equal(t, "Failed", p.Text("last-call-result"))
		require.Equal(t, "50% of 2 calls failed in the last 24 hours", p.Text("error-rate"))
		require.Zero(t, p.TestID("failing").Length(), "a test leaves the failing streak alone")

		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		require.Zero(t, viewer.get(appPath(app.ID)).TestID("test-connection").Length())
		viewer.post(testConnectionPath(app.ID), nil).requireStatus(http.StatusForbidden)
		manual := srv.createApp(t, "Laptop", models.AppManual)
		b.post(testConnectionPath(manual.ID), nil).requireStatus(http.StatusNotFound)
		require.Len(t, srv.auditEvents(t, models.ActionAppTested), 2, "refused calls audit nothing")
	})
}

// TestAppTestConnectionWithoutURL refuses to call an app with no URL and
// says how to fix it.
func TestAppTestConnectionWithoutURL(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		b.post(testConnectionPath(app.ID), nil).requireStatus(http.StatusSeeOther)
		p := b.get(appPath(app.ID))
		require.Equal(t, "Test connection failed: GitHub has no webhook URL and secret yet: set them on the app's page", p.Flash("error"))
		require.Equal(t, "None yet", squash(p.Text("last-call")))
	})
}

// TestAppPageShowsFailingStreak shows an app's real calls: the last one's
// answer, the error rate and how many failed in a row.
func TestAppPageShowsFailingStreak(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		app := srv.createApp(t, "GitHub", models.AppWebhook)
		now := time.Now()
		policy := models.FailingPolicy{Calls: 5, For: 15 * time.Minute}
		_, err := srv.Store.RecordAppCall(ctx, &models.AppCall{AppID: app.ID, OK: true, Status: 200, At: now.Add(-25 * time.Hour)}, policy)
		require.NoError(t, err)
		_, err = srv.Store.RecordAppCall(ctx, &models.AppCall{AppID: app.ID, OK: true, Status: 200, At: now.Add(-time.Hour)}, policy)
		require.NoError(t, err)
		for i := range 3 {
			_, err = srv.Store.RecordAppCall(ctx, &models.AppCall{AppID: app.ID, Status: 503, Error: "POST https://x.example: 503 Service Unavailable",
				Excerpt: "down for maintenance", At: now.Add(time.Duration(i-3) * time.Minute)}, policy)
			require.NoError(t, err)
		}
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Failed", p.Text("last-call-result"))
		require.Equal(t, "HTTP 503", p.Text("last-call-status"))
		require.Equal(t, "POST https://x.example: 503 Service Unavailable", p.Text("last-call-error"))
		require.Zero(t, p.TestID("last-call-excerpt").Length(), "viewers do not read what the app answered")
		require.NotContains(t, p.Body, "down for maintenance")
		require.Equal(t, "75% of 4 calls failed in the last 24 hours", p.Text("error-rate"), "the call 25 hours ago is not counted")
		require.Equal(t, "3 in a row", squash(p.Text("failing")))
		require.Zero(t, p.TestID("test-connection").Length(), "viewers do not test")

		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)
		p = admin.get(appPath(app.ID))
		require.Equal(t, "down for maintenance", p.Text("last-call-excerpt"), "admins do")
	})
}

// TestDashboardCountsRetryingActions shows actions being retried beside
// the failed changes.
func TestDashboardCountsRetryingActions(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		require.Equal(t, "0", b.get("/").Text("metric-retrying"))

		_, c := f.joiner(personSpec{first: "Rita", last: "Retrying"})
		_, _, err := srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{c.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		a := srv.actionsOf(t, c.ID)[0]
		_, _, err = srv.Store.StartAttempt(ctx, a.ID, time.Now())
		require.NoError(t, err)
		require.NoError(t, srv.Store.RecordRetry(ctx, a.ID, models.AttemptResult{ResponseStatus: 429, Error: "429 Too Many Requests",
			NextAttemptAt: time.Now().Add(time.Minute)}, time.Now()))
		failedChange(t, srv, f, personSpec{first: "Fay", last: "Failed"})

		p := b.get("/")
		require.Equal(t, "1", p.Text("metric-retrying"))
		require.Equal(t, "1", p.Text("metric-failed"))
		require.Equal(t, "/team-updates?tab=scheduled", p.TestID("card-retrying").AttrOr("href", ""))
		require.True(t, p.TestID("card-retrying").HasClass("card-warn"))
		require.Contains(t, p.Text("card-retrying"), "action failed its last attempt and runs again")

		require.NoError(t, srv.Store.CompleteAction(ctx, models.CLIActor, a.ID, models.AttemptResult{ResponseStatus: 200}, time.Now()))
		require.Equal(t, "0", b.get("/").Text("metric-retrying"), "done: no longer retrying")
	})
}
