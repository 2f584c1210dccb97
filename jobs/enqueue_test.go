package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func countJobs(t *testing.T, db *models.DB, kind string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = '"+kind+"'").Scan(&n))
	return n
}

func TestEnqueueIsTransactional(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		kind := jobs.PurgeLoginTokensArgs{}.Kind()

		errRollback := errors.New("roll back")
		err = store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.CreateAdmin(ctx, models.CLIActor, "rolled@example.com", "", models.RoleViewer); err != nil {
				return err
			}
			if err := tx.Enqueue(ctx, jobs.PurgeLoginTokensArgs{}, nil); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		require.Equal(t, 0, countJobs(t, db, kind), "rollback must leave no job")
		_, err = store.AdminByEmail(ctx, "rolled@example.com")
		require.ErrorIs(t, err, models.ErrNotFound, "rollback must leave no admin")

		err = store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.CreateAdmin(ctx, models.CLIActor, "kept@example.com", "", models.RoleViewer); err != nil {
				return err
			}
			return tx.Enqueue(ctx, jobs.PurgeLoginTokensArgs{}, nil)
		})
		require.NoError(t, err)
		require.Equal(t, 1, countJobs(t, db, kind), "commit must leave exactly one job")
		_, err = store.AdminByEmail(ctx, "kept@example.com")
		require.NoError(t, err)
	})
}

func TestClientRunsJobs(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(closeClient)

		admin, err := store.CreateAdmin(ctx, models.CLIActor, "owner@example.com", "", models.RoleOwner)
		require.NoError(t, err)
		_, err = store.CreateLoginToken(ctx, models.CLIActor, admin)
		require.NoError(t, err)

		events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })

		timeout := time.After(20 * time.Second)
		for done := false; !done; {
			select {
			case ev := <-events:
				require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job %s error: %v", ev.Job.Kind, ev.Job.Errors)
				// Other periodic jobs run at start too.
				done = ev.Job.Kind == (jobs.PurgeLoginTokensArgs{}).Kind()
			case <-timeout:
				t.Fatal("the periodic purge job did not run at start")
			}
		}
	})
}
