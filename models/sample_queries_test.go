package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestSampleCalls(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		call := models.SampleReceiverCall{IdempotencyKey: "k1", Op: "grant", Person: "Lena Schmidt", Entitlement: "eng"}
		dup, err := store.RecordSampleCall(ctx, call, at)
		require.NoError(t, err)
		require.False(t, dup)
		dup, err = store.RecordSampleCall(ctx, call, at.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, dup)
		_, err = store.RecordSampleCall(ctx, models.SampleReceiverCall{IdempotencyKey: "k2", Op: "create_account"}, at.Add(time.Hour))
		require.NoError(t, err)

		calls, err := store.ListSampleCalls(ctx, 10)
		require.NoError(t, err)
		require.Len(t, calls, 2)
		require.Equal(t, "k2", calls[0].IdempotencyKey)
		require.Equal(t, "k1", calls[1].IdempotencyKey)
		require.Equal(t, 1, calls[1].Duplicates)
		require.Equal(t, "Lena Schmidt", calls[1].Person)
	})
}
