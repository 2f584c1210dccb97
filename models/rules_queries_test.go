package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestCustomAttributeNames(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		names, err := store.CustomAttributeNames(ctx)
		require.NoError(t, err)
		require.Empty(t, names)

		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning, Trigger: "cli"}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))
		people := []models.PersonFields{
			{ExternalID: "1", FirstName: "Ada", Status: models.StatusActive, Custom: map[string]string{"shirt_size": "M", "badge": "7"}},
			{ExternalID: "2", FirstName: "Grace", Status: models.StatusActive, Custom: map[string]string{"shirt_size": "S"}},
			{ExternalID: "3", FirstName: "Alan", Status: models.StatusActive},
		}
		var changes []models.PersonChange
		for _, f := range people {
			changes = append(changes, models.PersonChange{Kind: models.EventJoined, Fields: f, Diff: []models.FieldChange{}})
		}
		_, err = store.ApplySyncRun(ctx, tester, run, models.SyncRunning, models.SyncCounts{Joiners: 3}, changes)
		require.NoError(t, err)

		names, err = store.CustomAttributeNames(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"badge", "shirt_size"}, names)
	})
}
