package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// Calls per second count in one-second windows every replica shares, and
// the limit is an admin's setting, validated and stored.
func TestAppCallWindowsAcrossStores(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		other := models.NewStore(db) // another replica's store on the same database
		app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		now := time.Now()
		start := time.UnixMilli(now.UnixMilli())
		for i, want := range []bool{true, true, false} {
			ok, next, err := []*models.Store{store, other}[i%2].TakeAppCall(ctx, app.ID, 2, start.Add(time.Duration(i)*100*time.Millisecond))
			require.NoError(t, err)
			require.Equal(t, want, ok, "call %d", i+1)
			require.Equal(t, start.Add(time.Second), next)
		}
		ok, _, err := store.TakeAppCall(ctx, app.ID, 2, start.Add(time.Second))
		require.NoError(t, err)
		require.True(t, ok, "a new second, a new window")

		require.NoError(t, store.SetAppCallRate(ctx, models.CLIActor, app.ID, 5))
		require.Error(t, store.SetAppCallRate(ctx, models.CLIActor, app.ID, -1))
		got, err := store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Equal(t, 5, got.MaxCallsPerSecond)
	})
}
