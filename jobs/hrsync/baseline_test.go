package hrsync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func startDate(d string) func(*models.PersonFields) {
	return func(f *models.PersonFields) { f.StartDate = d }
}

// A source's first sync is a baseline: the people already employed are
// current staff (an event of their own, BaselineAt set), counted apart
// from joiners; someone starting today or later, or still pending in HR,
// is a joiner, and a
// later sync's newcomers are joiners again.
func TestBaseline(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		first := []models.PersonFields{
			rec("CFO", startDate("2021-04-01")),
			rec("NODATE", startDate("")),
			rec("TODAY", startDate(today)),
			rec("SOON", startDate("2026-03-20")),
			rec("LATE", startDate("2026-02-01"), status(models.StatusPending)),
			rec("AWAY", startDate("2019-02-01"), status(models.StatusLeave)),
			rec("GONE", terminated("2025-12-31")),
		}
		run, out, err := f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "people.csv", first, nil)
		require.NoError(t, err)
		require.True(t, out.Baseline, "a new source's first file is a baseline")
		require.True(t, f.run(run.ID).Baseline)
		require.Equal(t, models.SyncCounts{Existing: 3, Joiners: 3}, out.Counts)
		require.Equal(t, "joiners=3 existing=3 movers=0 leavers=0 rehires=0 unchanged=0 held=false", out.Summary())
		got := f.people()
		for ext, want := range map[string]models.EventKind{"CFO": models.EventBaseline, "NODATE": models.EventBaseline,
			"TODAY": models.EventJoined, "SOON": models.EventJoined, "LATE": models.EventJoined, "AWAY": models.EventBaseline} {
			p := got[ext]
			require.Equal(t, []models.EventKind{want}, f.kinds(p.ID), ext)
			require.Equal(t, want == models.EventBaseline, p.BaselineAt != nil, ext)
		}
		require.NotContains(t, got, "GONE", "a leaver before Roster is not imported")

		_, out, err = f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "people.csv", append(first, rec("NEW", startDate("2020-01-01"))), nil)
		require.NoError(t, err)
		require.False(t, out.Baseline, "a source that has synced is not new")
		require.Equal(t, models.SyncCounts{Joiners: 1, Unchanged: 6}, out.Counts)
		require.Nil(t, f.people()["NEW"].BaselineAt, "a newcomer after the baseline is a joiner, whatever their start date")
	})
}

// The choice is the admin's: off reads the first file as joiners; on
// makes a later file's newcomers current staff. A preview keeps the choice
// and its confirmation applies what the preview showed.
func TestBaselineChoice(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		_, out, err := f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "people.csv", []models.PersonFields{rec("E1")}, nil, hrsync.Baseline(false))
		require.NoError(t, err)
		require.Equal(t, models.SyncCounts{Joiners: 1}, out.Counts)
		require.Nil(t, f.people()["E1"].BaselineAt)

		run, out, err := f.syncer.Preview(ctx, admin, f.src, "upload", "people.csv", []models.PersonFields{rec("E1"), rec("E2")}, nil, hrsync.Baseline(true))
		require.NoError(t, err)
		require.True(t, f.run(run.ID).Baseline)
		require.Equal(t, models.SyncCounts{Existing: 1, Unchanged: 1}, out.Counts)
		require.NotContains(t, f.people(), "E2", "a preview changes nobody")
		done, out, err := f.syncer.Confirm(ctx, admin, run.ID)
		require.NoError(t, err)
		require.Equal(t, models.SyncSucceeded, done.Status)
		require.True(t, out.Baseline)
		require.Equal(t, models.SyncCounts{Existing: 1, Unchanged: 1}, done.SyncCounts)
		got := f.people()
		require.NotNil(t, got["E2"].BaselineAt)
		require.Equal(t, []models.EventKind{models.EventBaseline}, f.kinds(got["E2"].ID))
		require.Nil(t, got["E1"].BaselineAt, "a joiner stays a joiner")
	})
}
