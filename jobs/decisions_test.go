package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

var approver = models.Actor{Email: "approver@example.com"}

// pendingJoin stores a person with a pending two-step join change.
func pendingJoin(t *testing.T, store *models.Store, effective time.Time) *models.Change {
	t.Helper()
	ctx := context.Background()
	src, err := store.EnsureCSVSource(ctx, approver, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))
	ids, err := store.ApplySyncRun(ctx, approver, run, models.SyncRunning, models.SyncCounts{Joiners: 1}, []models.PersonChange{{
		Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", LastName: "Lovelace",
			WorkEmail: "ada@example.com", Status: models.StatusActive, StartDate: "2026-03-10"}}})
	require.NoError(t, err)
	app, err := store.CreateApp(ctx, approver, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	ent, err := store.CreateEntitlement(ctx, approver, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
	require.NoError(t, err)
	c, err := store.ReplaceOpenChange(ctx, ids[0], &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: effective,
		Plan: []models.PlanStep{{Op: "create_account", AppID: app.ID}, {Op: "grant", AppID: app.ID, EntitlementID: ent.ID}}})
	require.NoError(t, err)
	return c
}

func TestApprovalWritesActionsAndJobsInOneTransaction(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		change := pendingJoin(t, store, now.Add(48*time.Hour))
		kind := jobs.ExecuteActionArgs{}.Kind()

		rollback := errors.New("roll back")
		err = store.WithTx(ctx, func(tx *models.Store) error {
			d := &jobs.Decisions{Store: tx, Now: func() time.Time { return now }}
			approved, _, err := d.Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
			require.NoError(t, err)
			require.Equal(t, []int64{change.ID}, approved)
			return rollback
		})
		require.ErrorIs(t, err, rollback)
		actions, err := store.ActionsOf(ctx, change.ID)
		require.NoError(t, err)
		require.Empty(t, actions, "rolled back: no actions")
		require.Equal(t, 0, countJobs(t, db, kind), "rolled back: no jobs")

		d := &jobs.Decisions{Store: store, Now: func() time.Time { return now }}
		_, _, err = d.Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)
		actions, err = store.ActionsOf(ctx, change.ID)
		require.NoError(t, err)
		require.Len(t, actions, 2)
		require.Equal(t, 2, countJobs(t, db, kind), "committed: one job per action")
		var scheduled int
		require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = '"+kind+"' AND state = 'scheduled'").Scan(&scheduled))
		require.Equal(t, 2, scheduled, "jobs wait for the effective time")
	})
}

// An overdue change's jobs are available at once: given a ScheduledAt,
// River would park them as scheduled until its scheduler's next pass,
// seconds later.
func TestApprovalOfOverdueChangeRunsAtOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		change := pendingJoin(t, store, now.Add(-time.Hour))

		d := &jobs.Decisions{Store: store, Now: func() time.Time { return now }}
		_, _, err = d.Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)
		var available int
		require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = 'execute_action' AND state = 'available'").Scan(&available))
		require.Equal(t, 2, available)
	})
}
