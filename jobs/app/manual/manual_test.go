package manual_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/manual"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

var admin = models.Actor{Email: "admin@example.com"}

// approvedAction stores a person, a manual Laptop app and an approved
// join whose one action sets up the laptop, and returns that action.
func approvedAction(t *testing.T, store *models.Store) (*models.App, *models.Person, models.Action) {
	t.Helper()
	ctx := context.Background()
	src, err := store.EnsureCSVSource(ctx, admin, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))
	ids, err := store.ApplySyncRun(ctx, admin, run, models.SyncRunning, models.SyncCounts{Joiners: 1}, []models.PersonChange{{
		Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", LastName: "Lovelace",
			WorkEmail: "ada@example.com", Title: "Engineer", Status: models.StatusActive, StartDate: "2026-03-10"}}})
	require.NoError(t, err)
	app, err := store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	c, err := store.ReplaceOpenChange(ctx, ids[0], &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: time.Now().Add(-time.Hour),
		Plan: []models.PlanStep{{Op: "create_account", AppID: app.ID}}})
	require.NoError(t, err)
	noJobs := func(*models.Store, []*models.Action) error { return nil }
	_, _, err = store.ApproveChanges(ctx, admin, models.Decision{ChangeIDs: []int64{c.ID}}, time.Now(), noJobs)
	require.NoError(t, err)
	actions, err := store.ActionsOf(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, actions, 1)
	person, err := store.PersonByID(ctx, ids[0])
	require.NoError(t, err)
	return app, person, actions[0]
}

// Do opens the action's task and leaves the action pending on it; doing
// it again (a retried or duplicated job) finds the task and opens none.
func TestDoOpensOneTask(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		app, person, a := approvedAction(t, store)
		conn, err := manual.Kind().Open(connector.Env{Store: store, Logger: slog.New(slog.DiscardHandler)}, app)
		require.NoError(t, err)
		req := connector.Request{ActionID: a.ID, Op: rules.Op(a.Op), IdempotencyKey: a.IdempotencyKey, RunAt: a.RunAt,
			Person: person, Params: map[string]string{"model": "M4"}}

		for range 2 {
			out := conn.Do(ctx, req)
			require.NoError(t, out.Err)
			require.True(t, out.Pending, "the action completes when the task is done")
			require.False(t, out.Done())
		}
		tasks, err := store.ListTasks(ctx, false, 10)
		require.NoError(t, err)
		require.Len(t, tasks, 1, "one task however often Do runs")
		task := tasks[0]
		require.Equal(t, a.ID, task.ActionID)
		require.Equal(t, "Set up Laptop for Ada Lovelace", task.Title)
		require.Equal(t, "Ada Lovelace (ada@example.com), Engineer\nmodel: M4", task.Details)
		require.WithinDuration(t, a.RunAt, task.DueAt, time.Second, "due at the action's run time")
	})
}

func TestManualAppsAreNotCalled(t *testing.T) {
	t.Parallel()
	app := &models.App{ID: 3, Kind: models.AppManual, Name: "Laptop"}
	conn, err := manual.Kind().Open(connector.Env{Store: &models.Store{}}, app)
	require.NoError(t, err)
	out := conn.Test(context.Background())
	require.EqualError(t, out.Err, "Laptop is a manual app: Roster does not call it")
	require.Zero(t, out.Status)
	err = conn.ListAccounts(context.Background(), func([]connector.RemoteAccount) error { return nil })
	require.True(t, errors.Is(err, connector.ErrUnsupported))

	_, err = manual.Kind().Open(connector.Env{}, app)
	require.Error(t, err, "tasks need the store")
}
