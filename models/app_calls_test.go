package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// TestRecordAppCallAlertsOncePerStreak: the streak of failed calls says
// "alert" once, when it reaches the policy, not at every later failure,
// and again only after a success ended it. Tests are kept but never count.
func TestRecordAppCallAlertsOncePerStreak(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		policy := models.FailingPolicy{Calls: 3, For: 15 * time.Minute}
		at := time.Now().Add(-time.Hour)
		call := func(ok, test bool) bool {
			t.Helper()
			at = at.Add(time.Second)
			alert, err := store.RecordAppCall(ctx, &models.AppCall{AppID: app.ID, OK: ok, Test: test, Status: 503, At: at}, policy)
			require.NoError(t, err)
			return alert
		}
		var alerts []bool
		for range 6 {
			alerts = append(alerts, call(false, false))
		}
		require.Equal(t, []bool{false, false, true, false, false, false}, alerts, "the third failure in a row alerts, once")
		require.False(t, call(true, true), "a successful test does not end the streak")
		require.False(t, call(false, false))
		got, err := store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Equal(t, 7, got.FailedCalls)
		require.NotNil(t, got.AlertedAt)

		require.False(t, call(true, false), "a real success ends the streak")
		got, err = store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Zero(t, got.FailedCalls)
		require.Nil(t, got.AlertedAt)
		require.Nil(t, got.FailingSince)
		require.False(t, call(false, false))
		require.False(t, call(false, true), "failed tests do not count")
		require.False(t, call(false, false))
		require.True(t, call(false, false), "a new streak alerts again")

		// Two failures in a row spanning the policy's time alert too.
		other, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "Slack", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		start := time.Now().Add(-time.Hour)
		alert, err := store.RecordAppCall(ctx, &models.AppCall{AppID: other.ID, At: start}, policy)
		require.NoError(t, err)
		require.False(t, alert)
		alert, err = store.RecordAppCall(ctx, &models.AppCall{AppID: other.ID, At: start.Add(16 * time.Minute)}, policy)
		require.NoError(t, err)
		require.True(t, alert)

		h, err := store.AppHealthSince(ctx, app.ID, time.Now().Add(-24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, int64(13), h.Calls)
		require.Equal(t, int64(11), h.Failed)
		require.False(t, h.Last.OK)
		n, err := store.PruneAppCalls(ctx, time.Now())
		require.NoError(t, err)
		require.Equal(t, int64(15), n)
	})
}
