package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// Brake thresholds out of bounds never reach the database, whoever calls
// the store: on PostgreSQL a number past its integer columns would be an
// error there instead of a message.
func TestSourceBrakeBounds(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.CreateSource(ctx, tester, models.SourceInput{Name: "HR", Kind: models.SourceCSV, Brake: models.DefaultBrake()})
		require.NoError(t, err)
		require.Equal(t, models.BrakeThresholds{People: 500, Percent: 10, Revocations: 5000}, src.Brake)

		for _, b := range []models.BrakeThresholds{
			{People: 9_999_999_999, Percent: 10, Revocations: 10},
			{People: -1, Percent: 10, Revocations: 10},
			{People: 5, Percent: 101, Revocations: 10},
			{People: 5, Percent: 10, Revocations: models.MaxBrakeCount + 1},
		} {
			require.Error(t, store.UpdateSourceBrake(ctx, tester, src.ID, b), "%+v", b)
			_, err := store.CreateSource(ctx, tester, models.SourceInput{Name: "Other", Kind: models.SourceCSV, Brake: b})
			require.Error(t, err, "%+v", b)
		}
		got, err := store.SourceByID(ctx, src.ID)
		require.NoError(t, err)
		require.Equal(t, models.DefaultBrake(), got.Brake)

		edge := models.BrakeThresholds{People: models.MaxBrakeCount, Percent: 100, Revocations: models.MaxBrakeCount}
		require.NoError(t, store.UpdateSourceBrake(ctx, tester, src.ID, edge))
		got, err = store.SourceByID(ctx, src.ID)
		require.NoError(t, err)
		require.Equal(t, edge, got.Brake)
	})
}
