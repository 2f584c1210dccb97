package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// Many actions at once are recorded in batches shared by the workers,
// and each exactly once: one call to the app, one recorded call, one
// account, one audit event, one welcome mail per person, and every change
// done.
func TestManyActionsAtOnceAreEachRecordedOnce(t *testing.T) {
	t.Parallel()
	const n = 300
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		runMany(t, db, store, n, nil)
	})
}

// A batch that panics (here the change-done hook, once) fails as a whole,
// its workers record their calls alone, and the batches after it go on:
// no worker is left waiting, every change is done and no app is called
// for an action already recorded.
func TestAPanickingBatchStrandsNoOne(t *testing.T) {
	t.Parallel()
	const n = 60
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		var panicked atomic.Bool
		runMany(t, db, store, n, func(context.Context, *models.Store, []*models.Change) error {
			if panicked.CompareAndSwap(false, true) {
				panic("hook failed")
			}
			return nil
		})
		require.True(t, panicked.Load())
	})
}

// Two jobs for one action that start in one batch (a duplicated job)
// start it once: the second finds nothing to do, so the app is not
// called twice.
func TestADuplicatedJobStartsItsActionOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, approver, "HR")
		require.NoError(t, err)
		app, err := store.CreateApp(ctx, approver, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
		require.NoError(t, err)
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{}) // not started: the jobs wait
		require.NoError(t, err)
		t.Cleanup(closeClient)
		ids := seedExecute(t, db, src.ID, app.ID, 0, 2)
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: ids})
		require.NoError(t, err)
		var actions []int64
		require.NoError(t, db.Gorm.Raw("SELECT id FROM actions ORDER BY id").Scan(&actions).Error)
		require.Len(t, actions, 2)
		started, err := jobs.StartBatch(ctx, store, []int64{actions[0], actions[1], actions[0]})
		require.NoError(t, err)
		require.Len(t, started, 3)
		require.Equal(t, actions[0], started[0].ID)
		require.Equal(t, actions[1], started[1].ID)
		require.Nil(t, started[2], "the duplicate")
		var attempts []int
		require.NoError(t, db.Gorm.Raw("SELECT attempts FROM actions ORDER BY id").Scan(&attempts).Error)
		require.Equal(t, []int{1, 1}, attempts)
	})
}

// runMany approves n joiners of one create_account each and runs them
// through the job runner, with hook as the change-done function when set.
func runMany(t *testing.T, db *models.DB, store *models.Store, n int, hook models.ChangesDoneFunc) {
	t.Helper()
	ctx := context.Background()
	rcv := &receiver{calls: map[string]int{}}
	src, app := startWebhookRunner(t, db, store, rcv, 64, jobs.Options{}, hook)

	ids := seedExecute(t, db, src.ID, app.ID, 0, n)
	_, _, err := (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: ids})
	require.NoError(t, err)
	count := func(q string, args ...any) int64 {
		var c int64
		require.NoError(t, db.Gorm.Raw(q, args...).Scan(&c).Error)
		return c
	}
	require.Eventually(t, func() bool {
		return count("SELECT COUNT(*) FROM changes WHERE status = ?", models.ChangeDone) == int64(n)
	}, 2*time.Minute, 50*time.Millisecond, "not every change was done")

	require.EqualValues(t, n, count("SELECT COUNT(*) FROM actions WHERE status = ?", models.ActionDone))
	require.EqualValues(t, n, count("SELECT COUNT(DISTINCT action_id) FROM app_calls WHERE ok"))
	require.EqualValues(t, n, count("SELECT COUNT(*) FROM app_calls"), "one recorded call per action")
	require.EqualValues(t, n, count("SELECT COUNT(*) FROM accounts WHERE status = ?", models.AccountActive))
	require.EqualValues(t, n, count("SELECT COUNT(*) FROM audit_events WHERE action = ?", models.ActionActionDone))
	if hook == nil {
		require.EqualValues(t, n, count("SELECT COUNT(*) FROM emails WHERE kind = ?", jobs.KindWelcome))
	}
	rcv.mu.Lock()
	require.Len(t, rcv.calls, n)
	for key, calls := range rcv.calls {
		require.Equal(t, 1, calls, "the app was called once for %s", key)
	}
	rcv.mu.Unlock()
	// A batch starts its attempts and audits its completions at one
	// moment each: fewer moments than actions means the workers shared
	// statements.
	require.Less(t, count("SELECT COUNT(DISTINCT updated_at) FROM actions"), int64(n)*2)
	require.Less(t, count("SELECT COUNT(DISTINCT created_at) FROM audit_events WHERE action = ?", models.ActionActionDone), int64(n))
}
