package planner_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// interleave runs fn once, on another connection, right after the first
// query on table that a re-plan's transaction makes once armed: the
// moment a concurrent approval or worker would land between the re-plan's
// reads and its writes. It returns the arm function and how often fn ran.
func interleave(t *testing.T, db *models.DB, table string, fn func()) (arm func(), fired *atomic.Int32) {
	t.Helper()
	var armed atomic.Bool
	fired = new(atomic.Int32)
	name := "test:interleave:" + t.Name()
	require.NoError(t, db.Gorm.Callback().Query().After("gorm:query").Register(name, func(tx *gorm.DB) {
		if tx.Statement.Table == table && armed.CompareAndSwap(true, false) {
			fired.Add(1)
			fn()
		}
	}))
	t.Cleanup(func() { _ = db.Gorm.Callback().Query().Remove(name) })
	return func() { armed.Store(true) }, fired
}

// Issue 8.6: an approval that lands between a re-plan's reads and its
// writes does not leave both the approved work and a new change asking
// for it again: the re-plan's guarded writes lose, it plans again from
// what is there, and the approved change's actions are cancelled before
// its successor asks for the same grant.
func TestReplanAndApprovalCannotBothWin(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	f := withJobs(t, db, store)
	ids := f.people(person("E1", "Engineering", "UTC"))
	f.engineers("review")
	require.NoError(t, f.plan.PlanEveryone(f.ctx))
	c := f.open(ids["E1"])

	// A rule edit gives Engineering a card too; while the re-plan it
	// causes is between its reads and its writes, an admin approves the
	// change it is about to replace.
	f.engineeringCards()
	arm, fired := interleave(t, db, "actions", func() { f.approve(c.ID) })
	arm()
	require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
	require.EqualValues(t, 1, fired.Load(), "the approval landed inside the re-plan")

	require.Equal(t, models.ChangeSuperseded, f.change(c.ID).Status, "the approved change the new plan replaces is superseded")
	for _, st := range f.actionStatuses(c.ID) {
		require.Equal(t, models.ActionCancelled, st, "its actions never run beside the successor's")
	}
	next := f.open(ids["E1"])
	require.Equal(t, models.ChangePending, next.Status)
	require.Len(t, next.Plan, 4, "the successor asks once for each account and grant: %+v", next.Plan)
	var live int64
	require.NoError(t, db.Gorm.Model(&models.Action{}).Where("status IN ?", []models.ActionStatus{models.ActionScheduled, models.ActionRunning}).Count(&live).Error)
	require.Zero(t, live, "no approved step is left live beside the change in review")
}

// Issue 8.6: a worker that starts an action while a re-plan of its person
// is under way either starts it before the re-plan reads (and the plan
// does not ask for the step again) or waits for the re-plan and finds the
// action cancelled; it never runs a step the new plan also asks for.
func TestReplanAndAWorkerStartingCannotDoubleAStep(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	f := withJobs(t, db, store)
	ids := f.people(person("E1", "Engineering", "UTC"))
	f.engineers("review")
	require.NoError(t, f.plan.PlanEveryone(f.ctx))
	c := f.open(ids["E1"])
	f.approve(c.ID)
	first := f.actions(c.ID)[0]

	f.engineeringCards()
	var wg sync.WaitGroup
	var started bool
	var startErr error
	arm, fired := interleave(t, db, "people", func() {
		wg.Add(1)
		go func() { // a worker on another connection; it may have to wait for the re-plan
			defer wg.Done()
			_, started, startErr = store.StartAttempt(f.ctx, first.ID, f.plan.Now())
		}()
	})
	arm()
	require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
	wg.Wait()
	require.NoError(t, startErr)
	require.EqualValues(t, 1, fired.Load())

	a, err := store.ActionByID(f.ctx, first.ID)
	require.NoError(t, err)
	next, err := store.OpenChangeOf(f.ctx, ids["E1"])
	require.NoError(t, err)
	asksAgain := false
	for _, st := range next.Plan {
		if st.Op == first.Op && st.AppID == first.AppID && (first.EntitlementID == nil || st.EntitlementID == *first.EntitlementID) {
			asksAgain = true
		}
	}
	if started {
		require.Equal(t, models.ActionRunning, a.Status)
		require.False(t, asksAgain, "a step the worker started is not asked for again")
	} else {
		require.Equal(t, models.ActionCancelled, a.Status)
		require.True(t, asksAgain, "the cancelled step is asked for again, once")
	}
}

// engineeringCards gives Engineering a card too: a rule edit that changes
// an engineer's plan.
func (f *fixture) engineeringCards() *models.Rule {
	return f.rule(models.Rule{Name: "Engineering cards",
		Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
		Grants:     []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID, Params: map[string]string{"spend_limit": "300"}}}})
}
