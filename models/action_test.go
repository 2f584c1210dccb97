package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// decideFixture is a person with a pending join change over two apps.
type decideFixture struct {
	ctx    context.Context
	store  *models.Store
	person int64
	change *models.Change
	webApp *models.App
	manual *models.App
	ent    *models.Entitlement
	now    time.Time
}

func newDecideFixture(t *testing.T, store *models.Store) *decideFixture {
	t.Helper()
	ctx := context.Background()
	f := &decideFixture{ctx: ctx, store: store, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	src, err := store.EnsureCSVSource(ctx, tester, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))
	ids, err := store.ApplySyncRun(ctx, tester, run, models.SyncRunning, models.SyncCounts{Joiners: 1}, []models.PersonChange{{
		Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", LastName: "Lovelace",
			WorkEmail: "ada@example.com", Status: models.StatusActive, StartDate: "2026-03-10"}}})
	require.NoError(t, err)
	f.person = ids[0]
	f.webApp, err = store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	f.ent, err = store.CreateEntitlement(ctx, tester, f.webApp.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
	require.NoError(t, err)
	f.manual, err = store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	f.change, err = store.ReplaceOpenChange(ctx, f.person, &models.Change{Kind: models.ChangeJoin, Why: "{}",
		EffectiveAt: f.now.Add(9 * 24 * time.Hour),
		Plan: []models.PlanStep{
			{Op: "create_account", AppID: f.webApp.ID},
			{Op: "grant", AppID: f.webApp.ID, EntitlementID: f.ent.ID, Params: map[string]string{"role": "member"}},
			{Op: "create_account", AppID: f.manual.ID},
		}})
	require.NoError(t, err)
	return f
}

// approve approves the fixture's change, scheduling nothing, and returns
// its actions in plan order.
func (f *decideFixture) approve(t *testing.T) []models.Action {
	t.Helper()
	_, _, err := f.store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}}, f.now,
		func(*models.Store, []*models.Action) error { return nil })
	require.NoError(t, err)
	actions, err := f.store.ActionsOf(f.ctx, f.change.ID)
	require.NoError(t, err)
	return actions
}

func TestApproveIsOneTransaction(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		boom := errors.New("job insert failed")
		_, _, err := store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}}, f.now,
			func(tx *models.Store, as []*models.Action) error {
				require.Len(t, as, len(f.change.Plan), "the jobs of every action are inserted at once, after the actions")
				return boom
			})
		require.ErrorIs(t, err, boom)
		actions, err := store.ActionsOf(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Empty(t, actions, "a failed approval leaves no actions")
		c, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangePending, c.Status, "and the change still waits")

		var scheduled []*models.Action
		approved, skipped, err := store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID, 99999}, Comment: "ok"}, f.now,
			func(tx *models.Store, as []*models.Action) error { scheduled = append(scheduled, as...); return nil })
		require.NoError(t, err)
		require.Equal(t, []int64{f.change.ID}, approved)
		require.Equal(t, []int64{99999}, skipped)
		require.Len(t, scheduled, 3)
		for i, a := range scheduled {
			require.Equal(t, i, a.Seq)
			require.Equal(t, f.change.EffectiveAt.UTC(), a.RunAt.UTC(), "actions run at the effective time")
			require.NotEmpty(t, a.IdempotencyKey)
		}
		c, err = store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeScheduled, c.Status)
		require.Equal(t, tester.Email, c.DecidedBy)
		require.Equal(t, "ok", c.Comment)

		_, skipped, err = store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}}, f.now,
			func(*models.Store, []*models.Action) error { return nil })
		require.NoError(t, err)
		require.Equal(t, []int64{f.change.ID}, skipped, "a change is approved once")
	})
}

func TestOverdueChangesRunAtOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		late := f.change.EffectiveAt.Add(24 * time.Hour)
		var runAt time.Time
		_, _, err := store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}}, late,
			func(tx *models.Store, as []*models.Action) error { runAt = as[0].RunAt; return nil })
		require.NoError(t, err)
		require.Equal(t, late, runAt.UTC())
	})
}

func TestActionsRecordAccessAndSettleTheChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		actions := f.approve(t)

		for _, a := range actions[:2] {
			started, run, err := store.StartAttempt(f.ctx, a.ID, f.now)
			require.NoError(t, err)
			require.True(t, run)
			stored, err := store.ActionByID(f.ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, stored, started, "the started action comes back as stored, every field")
			require.Equal(t, models.ActionRunning, started.Status)
			require.Equal(t, 1, started.Attempts)
			require.NoError(t, store.CompleteAction(f.ctx, tester, a.ID, models.AttemptResult{ResponseStatus: 200}, f.now))
			require.NoError(t, store.CompleteAction(f.ctx, tester, a.ID, models.AttemptResult{ResponseStatus: 200}, f.now), "twice is once")
		}
		_, run, err := store.StartAttempt(f.ctx, actions[0].ID, f.now)
		require.NoError(t, err)
		require.False(t, run, "a done action is not attempted again")

		access, err := store.AccessOf(f.ctx, []int64{f.person})
		require.NoError(t, err)
		require.Len(t, access[f.person].Accounts, 1)
		require.Equal(t, models.AccountActive, access[f.person].Accounts[0].Status)
		require.Len(t, access[f.person].Grants, 1)
		require.Equal(t, map[string]string{"role": "member"}, access[f.person].Grants[0].Params)
		c, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeScheduled, c.Status, "one action is still open")

		// The manual action becomes a task; marking it done completes the change.
		task := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now}
		created, err := store.EnsureTask(f.ctx, task)
		require.NoError(t, err)
		require.True(t, created)
		again := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now}
		created, err = store.EnsureTask(f.ctx, again)
		require.NoError(t, err)
		require.False(t, created, "one task per action")
		require.Equal(t, task.ID, again.ID)

		require.NoError(t, store.SetTaskDone(f.ctx, tester, task.ID, true, f.now))
		c, err = store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeDone, c.Status)

		require.NoError(t, store.SetTaskDone(f.ctx, tester, task.ID, false, f.now))
		c, err = store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeScheduled, c.Status, "undoing the task reopens the change")
	})
}

func TestFailedActionCanBeRetried(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		actions := f.approve(t)
		a := actions[0]
		_, _, err := store.StartAttempt(f.ctx, a.ID, f.now)
		require.NoError(t, err)
		require.NoError(t, store.FailAction(f.ctx, tester, a.ID, models.AttemptResult{ResponseStatus: 400, ResponseExcerpt: "bad", Error: "400 Bad Request"}, f.now))
		c, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeFailed, c.Status)

		rescheduled := 0
		require.NoError(t, store.RetryAction(f.ctx, tester, a.ID, f.now, func(_ *models.Store, as []*models.Action) error { rescheduled += len(as); return nil }))
		require.Equal(t, 1, rescheduled)
		got, err := store.ActionByID(f.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionScheduled, got.Status)
		require.Equal(t, a.IdempotencyKey, got.IdempotencyKey, "a retry keeps the idempotency key")
		c, err = store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeScheduled, c.Status)
		require.ErrorIs(t, store.RetryAction(f.ctx, tester, a.ID, f.now, nil), models.ErrNotPending)
	})
}

// An action a re-plan left running fails, is retried and completes, all
// without its superseded change looking failed or done: the Failed tab
// lists it by the action, and no change-done mail goes out for it.
func TestLeftRunningActionOfASupersededChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		doneHooks := 0
		store.OnChangesDone(func(_ context.Context, _ *models.Store, cs []*models.Change) error { doneHooks += len(cs); return nil })
		actions := f.approve(t)
		a := actions[0]
		_, run, err := store.StartAttempt(f.ctx, a.ID, f.now)
		require.NoError(t, err)
		require.True(t, run)
		_, err = store.ReplanChanges(f.ctx, map[int64]*models.Change{f.person: {Kind: models.ChangeJoin, Why: "{}", EffectiveAt: f.now,
			Plan: []models.PlanStep{{Op: "grant", AppID: f.webApp.ID, EntitlementID: f.ent.ID}}}}, models.ReplanRulesChanged)
		require.NoError(t, err)
		superseded := func() {
			t.Helper()
			c, err := store.ChangeByID(f.ctx, f.change.ID)
			require.NoError(t, err)
			require.Equal(t, models.ChangeSuperseded, c.Status)
			require.NotNil(t, c.SupersededByID)
		}
		superseded()
		failedTab := func() []int64 {
			t.Helper()
			rows, total, err := store.ListDecided(f.ctx, models.DecidedFilter{Statuses: []models.ChangeStatus{models.ChangeFailed}})
			require.NoError(t, err)
			counts, err := store.DecidedCounts(f.ctx, models.DecidedFilter{})
			require.NoError(t, err)
			require.Equal(t, total, counts[models.ChangeFailed])
			n, err := store.FailedChangeCount(f.ctx)
			require.NoError(t, err)
			require.Equal(t, total, n)
			ids := []int64{}
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return ids
		}
		require.Empty(t, failedTab())

		require.NoError(t, store.FailAction(f.ctx, tester, a.ID, models.AttemptResult{ResponseStatus: 503, Error: "503 Service Unavailable"}, f.now))
		superseded()
		require.Equal(t, []int64{f.change.ID}, failedTab(), "listed in Failed by its failed action")
		history, _, err := store.ListDecided(f.ctx, models.DecidedFilter{Statuses: []models.ChangeStatus{models.ChangeSuperseded}})
		require.NoError(t, err)
		require.Len(t, history, 1, "and still in History as superseded")

		require.NoError(t, store.RetryAction(f.ctx, tester, a.ID, f.now, func(*models.Store, []*models.Action) error { return nil }))
		superseded()
		require.Empty(t, failedTab())
		_, run, err = store.StartAttempt(f.ctx, a.ID, f.now)
		require.NoError(t, err)
		require.True(t, run)
		require.NoError(t, store.CompleteAction(f.ctx, tester, a.ID, models.AttemptResult{ResponseStatus: 201}, f.now))
		superseded()
		require.Zero(t, doneHooks, "a superseded change is never done")
		access, err := store.AccessOf(f.ctx, []int64{f.person})
		require.NoError(t, err)
		require.Len(t, access[f.person].Accounts, 1, "the action's effect is recorded")
	})
}

func TestRejectChanges(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		rejected, skipped, err := store.RejectChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}, Comment: "not yet"}, f.now)
		require.NoError(t, err)
		require.Equal(t, []int64{f.change.ID}, rejected)
		require.Empty(t, skipped)
		c, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeRejected, c.Status)
		require.Equal(t, "not yet", c.Comment)
		actions, err := store.ActionsOf(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Empty(t, actions)
	})
}
