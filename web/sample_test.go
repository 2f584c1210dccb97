package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/jobs/sample"
	"github.com/rosterhq/roster/models"
)

func TestSampleDataButton(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		p := viewer.get("/")
		p.requireStatus(http.StatusOK)
		require.Zero(t, p.TestID("sample-data-form").Length(), "viewers get no button")
		viewer.post("/sample-data", nil).requireStatus(http.StatusForbidden)

		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		p = b.get("/")
		require.Equal(t, 1, p.TestID("sample-data-form").Length())
		require.Contains(t, p.Text("sample-data-load"), "Load sample data")

		b.post("/sample-data", nil).requireRedirect(http.StatusSeeOther, "/team-updates")
		p = b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Flash("success"), "50 people")

		ctx := context.Background()
		_, people, err := srv.Store.ListPeople(ctx, models.PeopleFilter{Limit: 1})
		require.NoError(t, err)
		require.EqualValues(t, 50, people)
		rs, err := srv.Store.ListRules(ctx)
		require.NoError(t, err)
		require.Len(t, rs, 3)
		counts, err := srv.Store.QueueCounts(ctx, models.ChangeFilter{})
		require.NoError(t, err)
		require.Positive(t, counts[models.QueueInvite])

		p = b.get("/")
		require.Zero(t, p.TestID("sample-data-form").Length(), "no button once there are people")
		b.post("/sample-data", nil).requireRedirect(http.StatusSeeOther, "/")
		require.Contains(t, b.get("/").Flash("error"), "empty Roster")
		apps, err := srv.Store.ListApps(ctx)
		require.NoError(t, err)
		require.Len(t, apps, 2, "a second load creates nothing")
	})
}

// signedCall posts a webhook payload to the sample receiver as Roster's
// job would, signed with secret.
func signedCall(t *testing.T, url, secret, key string) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(webhook.Payload{ID: key, Op: webhook.OpGrant, OccurredAt: time.Now().UTC(),
		App:         webhook.App{ID: 1, Name: sample.WebhookApp},
		Person:      webhook.Person{FirstName: "Lena", LastName: "Schmidt", EmployeeID: "S001"},
		Entitlement: &webhook.Entitlement{Kind: "group", Key: "eng", Name: "Engineering group"}})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+sample.ReceiverURL, bytes.NewReader(body))
	require.NoError(t, err)
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderIdempotencyKey, key)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSampleReceiver(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		status, _ := signedCall(t, srv.URL, "no-sample-app-yet-secret", "k0")
		require.Equal(t, http.StatusNotFound, status)

		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		b.post("/sample-data", nil).requireRedirect(http.StatusSeeOther, "/team-updates")

		ctx := context.Background()
		sealer, err := models.NewSealer([]byte(testSecretKey))
		require.NoError(t, err)
		apps, err := srv.Store.ListApps(ctx)
		require.NoError(t, err)
		var appID int64
		for _, a := range apps {
			if a.Name == sample.WebhookApp {
				appID = a.ID
			}
		}
		hookURL, secret, _, err := srv.Store.WebhookSettings(ctx, appID, sealer)
		require.NoError(t, err)
		require.Equal(t, srv.URL+sample.ReceiverURL, hookURL)

		status, out := signedCall(t, srv.URL, secret, "action-1")
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, false, out["duplicate"])
		status, out = signedCall(t, srv.URL, secret, "action-1")
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, true, out["duplicate"])
		status, _ = signedCall(t, srv.URL, "not-the-sample-app-secret", "action-2")
		require.Equal(t, http.StatusUnauthorized, status)

		viewer := srv.browser(t)
		viewer.signInAs(models.RoleViewer)
		p := viewer.get("/sample-receiver")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("receiver-row").Length())
		require.Equal(t, "grant", p.Text("call-op"))
		require.Equal(t, "Lena Schmidt", p.Text("call-person"))
		require.Equal(t, "1", p.Text("call-duplicates"))

		srv.browser(t).get("/sample-receiver").requireRedirect(http.StatusSeeOther, "/login?next=%2Fsample-receiver")
	})
}
