package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestSourcePeopleCountsAndLatestRuns(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		newSource := func(name string) *models.Source {
			src, err := store.CreateSource(ctx, tester, models.SourceInput{Name: name, Kind: models.SourceCSV,
				Brake: models.DefaultBrake()})
			require.NoError(t, err)
			return src
		}
		hr, contractors, empty := newSource("HR"), newSource("Contractors"), newSource("Empty")

		counts, err := store.SourcePeopleCounts(ctx)
		require.NoError(t, err)
		require.Empty(t, counts)
		latest, err := store.LatestSyncRuns(ctx)
		require.NoError(t, err)
		require.Empty(t, latest)

		apply := func(src *models.Source, people ...models.PersonFields) *models.SyncRun {
			run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning, Trigger: "cli"}
			require.NoError(t, store.CreateSyncRun(ctx, run, nil))
			changes := make([]models.PersonChange, len(people))
			for i, p := range people {
				changes[i] = models.PersonChange{Kind: models.EventJoined, Fields: p}
			}
			_, err := store.ApplySyncRun(ctx, tester, run, models.SyncRunning, models.SyncCounts{Joiners: len(people)}, changes)
			require.NoError(t, err)
			return run
		}
		person := func(id string, status models.PersonStatus) models.PersonFields {
			return models.PersonFields{ExternalID: id, FirstName: id, LastName: "Test", WorkEmail: id + "@example.com", Status: status}
		}
		apply(hr, person("E1", models.StatusActive), person("E2", models.StatusTerminated))
		second := apply(hr, person("E3", models.StatusActive))
		only := apply(contractors, person("C1", models.StatusPending))

		counts, err = store.SourcePeopleCounts(ctx)
		require.NoError(t, err)
		require.Equal(t, map[int64]models.SourcePeople{
			hr.ID:          {Total: 3, Terminated: 1},
			contractors.ID: {Total: 1},
		}, counts)

		latest, err = store.LatestSyncRuns(ctx)
		require.NoError(t, err)
		require.Len(t, latest, 2)
		require.Equal(t, second.ID, latest[hr.ID].ID)
		require.Equal(t, models.SyncSucceeded, latest[hr.ID].Status)
		require.Equal(t, only.ID, latest[contractors.ID].ID)
		require.NotContains(t, latest, empty.ID)
	})
}
