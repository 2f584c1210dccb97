package models_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// batchFixture is the decide fixture's person plus more joiners with one
// create_account each, all approved and started.
type batchFixture struct {
	*decideFixture
	changes []*models.Change // the joiners' changes
	actions []models.Action  // their create_account actions, in order
}

func newBatchFixture(t *testing.T, store *models.Store, joiners int) *batchFixture {
	t.Helper()
	f := &batchFixture{decideFixture: newDecideFixture(t, store)}
	src, err := store.EnsureCSVSource(f.ctx, tester, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(f.ctx, run, nil))
	var in []models.PersonChange
	for i := range joiners {
		in = append(in, models.PersonChange{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: fmt.Sprintf("B%d", i),
			FirstName: "Joiner", LastName: fmt.Sprint(i), WorkEmail: fmt.Sprintf("b%d@example.com", i), Status: models.StatusActive,
			StartDate: "2026-03-10"}})
	}
	people, err := store.ApplySyncRun(f.ctx, tester, run, models.SyncRunning, models.SyncCounts{Joiners: joiners}, in)
	require.NoError(t, err)
	var ids []int64
	for _, p := range people {
		c, err := store.ReplaceOpenChange(f.ctx, p, &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: f.now,
			Plan: []models.PlanStep{{Op: "create_account", AppID: f.webApp.ID}}})
		require.NoError(t, err)
		f.changes = append(f.changes, c)
		ids = append(ids, c.ID)
	}
	_, _, err = store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: ids}, f.now,
		func(*models.Store, []*models.Action) error { return nil })
	require.NoError(t, err)
	for _, c := range f.changes {
		as, err := store.ActionsOf(f.ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, as, 1)
		_, run, err := store.StartAttempt(f.ctx, as[0].ID, f.now)
		require.NoError(t, err)
		require.True(t, run)
		f.actions = append(f.actions, as[0])
	}
	return f
}

func auditCount(t *testing.T, db *models.DB, action string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", action).Count(&n).Error)
	return n
}

// CompleteActions does for a batch what CompleteAction does for one: each
// action done with its own result, its account recorded, one audit event
// each, its change settled and the done hook run once for all of them;
// repeats, actions already done and ids that do not exist are left out.
func TestCompleteActionsInOneBatch(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newBatchFixture(t, store, 5)
		var hooked [][]int64
		store.OnChangesDone(func(_ context.Context, tx *models.Store, cs []*models.Change) error {
			var ids []int64
			for _, c := range cs {
				require.Equal(t, models.ChangeDone, c.Status)
				ids = append(ids, c.ID)
			}
			hooked = append(hooked, ids)
			return nil
		})
		var in []models.Completion
		for i, a := range slices.Backward(f.actions) {
			in = append(in, models.Completion{ActionID: a.ID, Result: models.AttemptResult{ResponseStatus: 200 + i, ResponseExcerpt: fmt.Sprint("ok ", i)}})
		}
		in = append(in, in[0], models.Completion{ActionID: 1 << 40}) // a repeat, and one that does not exist
		done, err := store.CompleteActions(f.ctx, tester, in, f.now)
		require.NoError(t, err)
		want := make([]int64, 0, len(f.actions))
		for _, c := range in[:len(f.actions)] {
			want = append(want, c.ActionID)
		}
		require.Equal(t, want, done, "every action once, in the order given")

		for _, c := range in[:len(f.actions)] {
			a, err := store.ActionByID(f.ctx, c.ActionID)
			require.NoError(t, err)
			require.Equal(t, models.ActionDone, a.Status)
			require.Equal(t, c.Result.ResponseStatus, a.ResponseStatus, "each action keeps its own answer")
			require.Equal(t, c.Result.ResponseExcerpt, a.ResponseExcerpt)
		}
		changeIDs := make([]int64, len(f.changes))
		people := make([]int64, len(f.changes))
		for i, c := range f.changes {
			changeIDs[i], people[i] = c.ID, c.PersonID
			got, err := store.ChangeByID(f.ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, models.ChangeDone, got.Status)
		}
		require.Equal(t, [][]int64{changeIDs}, hooked, "one hook call with every settled change, in id order")
		access, err := store.AccessOf(f.ctx, people)
		require.NoError(t, err)
		for _, p := range people {
			require.Len(t, access[p].Accounts, 1)
			require.Equal(t, models.AccountActive, access[p].Accounts[0].Status)
		}
		require.EqualValues(t, len(f.actions), auditCount(t, db, models.ActionActionDone))

		// Again: nothing is done twice.
		done, err = store.CompleteActions(f.ctx, tester, in, f.now)
		require.NoError(t, err)
		require.Empty(t, done)
		require.Len(t, hooked, 1)
		require.EqualValues(t, len(f.actions), auditCount(t, db, models.ActionActionDone))
	})
}

// A batch that mixes account creations with a grant for a person whose
// account is created in the same batch applies them in order, and one
// action that cannot be applied rolls the whole batch back.
func TestCompleteActionsMixedAndAtomic(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newBatchFixture(t, store, 2)
		steps := f.approve(t) // create_account, grant, create_account in Laptop
		for _, a := range steps {
			_, run, err := store.StartAttempt(f.ctx, a.ID, f.now)
			require.NoError(t, err)
			require.True(t, run)
		}

		// The grant needs the account that nothing has created yet.
		_, err := store.CompleteActions(f.ctx, tester, []models.Completion{{ActionID: f.actions[0].ID}, {ActionID: steps[1].ID}}, f.now)
		require.Error(t, err)
		a, err := store.ActionByID(f.ctx, f.actions[0].ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionRunning, a.Status, "the batch rolled back as a whole")
		require.Zero(t, auditCount(t, db, models.ActionActionDone))

		// In order, the same person's account and grant go through in one batch.
		var in []models.Completion
		for _, a := range append(steps, f.actions...) {
			in = append(in, models.Completion{ActionID: a.ID})
		}
		done, err := store.CompleteActions(f.ctx, tester, in, f.now)
		require.NoError(t, err)
		require.Len(t, done, len(in))
		access, err := store.AccessOf(f.ctx, []int64{f.person})
		require.NoError(t, err)
		require.Len(t, access[f.person].Accounts, 2)
		require.Len(t, access[f.person].Grants, 1)
		require.Equal(t, f.ent.ID, access[f.person].Grants[0].EntitlementID)
		require.Equal(t, map[string]string{"role": "member"}, access[f.person].Grants[0].Params)
		c, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeDone, c.Status)
	})
}

// The runner reads an action and what it waits for in one statement,
// which agrees with WaitingOn, and says when the action is gone.
func TestActionWaiting(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		steps := f.approve(t)
		for i, wantWaiting := range []int64{0, 1, 0} { // the grant waits for its app's account
			a, n, err := store.ActionWaiting(f.ctx, steps[i].ID)
			require.NoError(t, err)
			require.Equal(t, steps[i].ID, a.ID)
			require.Equal(t, steps[i].Op, a.Op)
			require.Equal(t, steps[i].Params, a.Params)
			require.Equal(t, wantWaiting, n, "step %d", i)
		}
		require.NoError(t, store.CompleteAction(f.ctx, tester, steps[0].ID, models.AttemptResult{}, time.Now()))
		_, n, err := store.ActionWaiting(f.ctx, steps[1].ID)
		require.NoError(t, err)
		require.Zero(t, n)
		_, _, err = store.ActionWaiting(f.ctx, 1<<40)
		require.ErrorIs(t, err, models.ErrNotFound)
	})
}

// A batch of successful calls is stored and ends the app's failing
// streak, as RecordAppCall does for one.
func TestRecordSuccessfulCalls(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		policy := models.FailingPolicy{Calls: 2, For: time.Hour}
		for range 2 {
			_, err := store.RecordAppCall(f.ctx, &models.AppCall{AppID: f.webApp.ID, Status: 500, Error: "down", At: f.now}, policy)
			require.NoError(t, err)
		}
		app, err := store.AppByID(f.ctx, f.webApp.ID)
		require.NoError(t, err)
		require.Equal(t, 2, app.FailedCalls)
		require.NotNil(t, app.AlertedAt)

		calls := []*models.AppCall{{AppID: f.webApp.ID, OK: true, Status: 200, At: f.now}, {AppID: f.webApp.ID, OK: true, Status: 201, At: f.now}}
		require.NoError(t, store.RecordSuccessfulCalls(f.ctx, calls))
		app, err = store.AppByID(f.ctx, f.webApp.ID)
		require.NoError(t, err)
		require.Zero(t, app.FailedCalls)
		require.Nil(t, app.FailingSince)
		require.Nil(t, app.AlertedAt)
		h, err := store.AppHealthSince(f.ctx, f.webApp.ID, f.now.Add(-time.Minute))
		require.NoError(t, err)
		require.EqualValues(t, 4, h.Calls)
		require.EqualValues(t, 2, h.Failed)

		err = store.RecordSuccessfulCalls(f.ctx, []*models.AppCall{{AppID: f.webApp.ID, Status: 500, At: f.now}})
		require.Error(t, err, "a failed call keeps the streak and may alert: RecordAppCall's work")
	})
}

// A batch of mail skips what the outbox already has, or what the batch
// holds twice, and hands the rest to send at once.
func TestQueueEmails(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		mail := func(key string) *models.Email {
			return &models.Email{Kind: "welcome", To: []string{key + "@example.com"}, Subject: "Hello " + key, TextBody: "Hi", DedupeKey: &key}
		}
		_, err := store.QueueEmail(ctx, mail("a"), nil)
		require.NoError(t, err)
		var sent []string
		queued, err := store.QueueEmails(ctx, []*models.Email{mail("a"), mail("b"), mail("c"), mail("b")},
			func(tx *models.Store, es []*models.Email) error {
				for _, e := range es {
					require.NotZero(t, e.ID)
					sent = append(sent, *e.DedupeKey)
				}
				return nil
			})
		require.NoError(t, err)
		require.Len(t, queued, 2)
		require.Equal(t, []string{"b", "c"}, sent)
		var n int64
		require.NoError(t, db.Gorm.Model(&models.Email{}).Count(&n).Error)
		require.EqualValues(t, 3, n)

		_, err = store.QueueEmails(ctx, []*models.Email{{Kind: "welcome", To: []string{"x@example.com"}, Subject: "s", TextBody: "t"}}, nil)
		require.Error(t, err, "a batch needs dedupe keys")
	})
}
