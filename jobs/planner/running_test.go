package planner_test

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// laptops is a manual Laptop app with a MacBook and a Monitor, and a rule
// giving Engineering the MacBook.
type laptops struct {
	app              *models.App
	macbook, monitor *models.Entitlement
	rule             *models.Rule
}

func (f *fixture) laptops() *laptops {
	l := &laptops{}
	var err error
	l.app, err = f.store.CreateApp(f.ctx, admin, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(f.t, err)
	l.macbook, err = f.store.CreateEntitlement(f.ctx, admin, l.app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "macbook", Name: "MacBook"})
	require.NoError(f.t, err)
	l.monitor, err = f.store.CreateEntitlement(f.ctx, admin, l.app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "monitor", Name: "Monitor"})
	require.NoError(f.t, err)
	l.rule = f.rule(models.Rule{Name: "Laptops", Approval: "review",
		Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
		Grants:     []models.RuleGrant{{AppID: l.app.ID, EntitlementID: l.macbook.ID}}})
	return l
}

// startJobs runs a job runner for the test, as serve does.
func startJobs(t *testing.T, db *models.DB, store *models.Store, f *fixture) {
	t.Helper()
	client, closeClient, err := jobs.NewClient(f.ctx, db, store, jobs.Options{FetchPollInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	require.NoError(t, client.Start(f.ctx))
	t.Cleanup(func() { _ = client.Stop(f.ctx) })
}

// openTasks waits until exactly n tasks are open and returns them.
func (f *fixture) openTasks(n int, msg string) []models.Task {
	var tasks []models.Task
	require.Eventually(f.t, func() bool {
		var err error
		tasks, err = f.store.ListTasks(f.ctx, false, 10)
		return err == nil && len(tasks) == n
	}, 30*time.Second, 50*time.Millisecond, msg)
	return tasks
}

func (f *fixture) actions(changeID int64) []models.Action {
	actions, err := f.store.ActionsOf(f.ctx, changeID)
	require.NoError(f.t, err)
	return actions
}

func (f *fixture) waitingOn(a *models.Action) int64 {
	n, err := f.store.WaitingOn(f.ctx, a)
	require.NoError(f.t, err)
	return n
}

// A rule edit while a manual app's account task is open: the task is not
// asked for twice, and the new change's grants wait for it to be done.
func TestRuleEditLeavesAnOpenTaskToFinish(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		l := f.laptops()
		startJobs(t, db, store, f)
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		require.Equal(t, []string{"create_account", "grant"}, ops(first.Plan))
		f.approve(first.ID)
		setUp := f.openTasks(1, "the account step becomes a task")[0]
		require.Equal(t, "Set up Laptop for PE1 Person", setUp.Title)
		require.Equal(t, []models.ActionStatus{models.ActionRunning, models.ActionScheduled}, f.actionStatuses(first.ID))

		l.rule.Grants = append(l.rule.Grants, models.RuleGrant{AppID: l.app.ID, EntitlementID: l.monitor.ID})
		f.editRule(l.rule)

		old := f.change(first.ID)
		next := f.open(ids["E1"])
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionRunning, models.ActionCancelled}, f.actionStatuses(first.ID),
			"the open task's action runs on; the grant waiting behind it is cancelled")
		require.Equal(t, models.ChangeJoin, next.Kind, "no account is recorded yet: still a joiner")
		require.Equal(t, []string{"grant", "grant"}, ops(next.Plan), "no second Set up Laptop")
		require.Equal(t, []int64{l.macbook.ID, l.monitor.ID}, []int64{next.Plan[0].EntitlementID, next.Plan[1].EntitlementID})
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.Equal(t, next.ID, f.open(ids["E1"]).ID, "planning again changes nothing")

		f.approve(next.ID)
		for _, a := range f.actions(next.ID) {
			require.EqualValues(t, 1, f.waitingOn(&a), "the grants wait for the account being set up")
		}
		require.Len(t, f.openTasks(1, "still one task"), 1)

		require.NoError(t, store.SetTaskDone(f.ctx, admin, setUp.ID, true, time.Now()))
		require.Equal(t, []models.ActionStatus{models.ActionDone, models.ActionCancelled}, f.actionStatuses(first.ID))
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status, "completing its last running action leaves it superseded")
		done, err := store.TaskByID(f.ctx, setUp.ID)
		require.NoError(t, err)

		for _, name := range []string{"MacBook", "Monitor"} {
			g := f.openTasks(1, "then the grants, one by one")[0]
			require.Equal(t, "Give Laptop: "+name+" for PE1 Person", g.Title)
			require.False(t, g.CreatedAt.Before(*done.DoneAt), "a grant's task opens only after the account's is done")
			require.NoError(t, store.SetTaskDone(f.ctx, admin, g.ID, true, time.Now()))
		}
		require.Equal(t, models.ChangeDone, f.change(next.ID).Status)
		access, err := store.AccessOf(f.ctx, []int64{ids["E1"]})
		require.NoError(t, err)
		require.Len(t, access[ids["E1"]].Accounts, 1)
		require.Len(t, access[ids["E1"]].Grants, 2)
		require.Len(t, f.openTasks(0, "every task done"), 0)
		all, err := store.ListTasks(f.ctx, true, 10)
		require.NoError(t, err)
		require.Len(t, all, 3, "one task per step: Set up, MacBook, Monitor")
	})
}

// approvedWithRunningAccount approves E1's GitHub join and starts its
// create_account, as a webhook call being retried: it returns the change.
func (f *fixture) approvedWithRunningAccount(ids map[string]int64) *models.Change {
	require.NoError(f.t, f.plan.PlanEveryone(f.ctx))
	first := f.open(ids["E1"])
	f.approve(first.ID)
	_, run, err := f.store.StartAttempt(f.ctx, f.actions(first.ID)[0].ID, f.plan.Now())
	require.NoError(f.t, err)
	require.True(f.t, run)
	return first
}

// A rule edit while a webhook create_account is being retried: the new
// change does not create the account again, and its grants wait for the
// running call; an unrelated edit keeps the change as it is.
func TestRuleEditLeavesARunningWebhookCallToFinish(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		sales := f.salesCards()
		ops1 := f.opsGroup()
		first := f.approvedWithRunningAccount(ids)

		sales.Grants[0].Params = map[string]string{"spend_limit": "500"}
		f.editRule(sales)
		require.Equal(t, models.ChangeScheduled, f.change(first.ID).Status, "an unrelated edit keeps the change")
		require.Len(t, f.changesOf(db, ids["E1"]), 1)

		r.Grants = append(r.Grants, models.RuleGrant{AppID: f.github.ID, EntitlementID: ops1.ID})
		f.editRule(r)
		old := f.change(first.ID)
		next := f.open(ids["E1"])
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionRunning, models.ActionCancelled}, f.actionStatuses(first.ID))
		require.Equal(t, []string{"grant", "grant"}, ops(next.Plan), "the account being created is not asked for again")

		f.approve(next.ID)
		grants := f.actions(next.ID)
		for _, a := range grants {
			require.EqualValues(t, 1, f.waitingOn(&a), "the grants wait for the running create_account")
		}
		require.NoError(t, store.CompleteAction(f.ctx, admin, f.actions(first.ID)[0].ID, models.AttemptResult{ResponseStatus: 200}, time.Now()))
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status)
		require.Zero(t, f.waitingOn(&grants[0]), "the account exists now")
		require.EqualValues(t, 1, f.waitingOn(&grants[1]), "the second grant still follows the first")
	})
}

// failedTab lists the Failed tab's change ids and count.
func failedTab(t *testing.T, f *fixture) ([]int64, int64) {
	t.Helper()
	rows, total, err := f.store.ListDecided(f.ctx, models.DecidedFilter{Statuses: []models.ChangeStatus{models.ChangeFailed}, Latest: true})
	require.NoError(t, err)
	counts, err := f.store.DecidedCounts(f.ctx, models.DecidedFilter{})
	require.NoError(t, err)
	require.Equal(t, total, counts[models.ChangeFailed], "the tab's count matches its rows")
	n, err := f.store.FailedChangeCount(f.ctx)
	require.NoError(t, err)
	require.Equal(t, total, n, "and the digest's")
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, total
}

// The action a re-plan left running fails: its change stays superseded,
// the Failed tab lists it with its Retry, and the new change's grants keep
// waiting for it, through the retry, until it is done.
func TestALeftRunningActionThatFailsStaysWithItsSupersededChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		ops1 := f.opsGroup()
		first := f.approvedWithRunningAccount(ids)
		r.Grants = append(r.Grants, models.RuleGrant{AppID: f.github.ID, EntitlementID: ops1.ID})
		f.editRule(r)
		next := f.open(ids["E1"])
		f.approve(next.ID)
		account := f.actions(first.ID)[0]
		grant := f.actions(next.ID)[0]

		require.NoError(t, store.FailAction(f.ctx, admin, account.ID, models.AttemptResult{ResponseStatus: 503, Error: "503 Service Unavailable"}, time.Now()))
		old := f.change(first.ID)
		require.Equal(t, models.ChangeSuperseded, old.Status, "the supersession is not hidden")
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionFailed, models.ActionCancelled}, f.actionStatuses(first.ID))
		failed, total := failedTab(t, f)
		require.Equal(t, []int64{first.ID}, failed, "listed in Failed by its failed action")
		require.EqualValues(t, 1, total)
		require.Equal(t, models.ChangeScheduled, f.change(next.ID).Status)
		require.EqualValues(t, 1, f.waitingOn(&grant), "the grant waits for the account, as after a failure within one change")

		d := &jobs.Decisions{Store: store, Now: time.Now}
		require.NoError(t, d.Retry(f.ctx, admin, account.ID))
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status, "a retry leaves it superseded too")
		require.Equal(t, []models.ActionStatus{models.ActionScheduled, models.ActionCancelled}, f.actionStatuses(first.ID))
		failed, _ = failedTab(t, f)
		require.Empty(t, failed)
		require.EqualValues(t, 1, f.waitingOn(&grant), "and the grant waits for the retried call")
		again := f.actions(first.ID)[0]
		require.Zero(t, f.waitingOn(&again), "which waits for nothing")

		_, run, err := store.StartAttempt(f.ctx, account.ID, time.Now())
		require.NoError(t, err)
		require.True(t, run)
		require.NoError(t, store.CompleteAction(f.ctx, admin, account.ID, models.AttemptResult{ResponseStatus: 201}, time.Now()))
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status)
		require.Zero(t, f.waitingOn(&grant))
	})
}

// The next re-plan after a left-running action failed takes it over: the
// failed action is cancelled (its change leaves the Failed tab) and the new
// plan asks for its step again, so nothing waits for a retry that may never
// come.
func TestReplanTakesOverAFailedLeftRunningAction(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		ops1 := f.opsGroup()
		first := f.approvedWithRunningAccount(ids)
		r.Grants = append(r.Grants, models.RuleGrant{AppID: f.github.ID, EntitlementID: ops1.ID})
		f.editRule(r)
		second := f.open(ids["E1"])
		f.approve(second.ID)
		account := f.actions(first.ID)[0]
		require.NoError(t, store.FailAction(f.ctx, admin, account.ID, models.AttemptResult{Error: "410 Gone"}, time.Now()))

		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))

		third := f.open(ids["E1"])
		require.Equal(t, []string{"create_account", "grant", "grant"}, ops(third.Plan), "the failed step is asked for again")
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(first.ID))
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status)
		require.Equal(t, second.ID, *f.change(first.ID).SupersededByID, "the first change's successor stays its successor")
		require.Equal(t, models.ChangeSuperseded, f.change(second.ID).Status, "the change relying on it is superseded too")
		require.Equal(t, third.ID, *f.change(second.ID).SupersededByID)
		failed, _ := failedTab(t, f)
		require.Empty(t, failed)
		events := replannedEvents(t, db)
		require.Len(t, events, 3, "the rule edit, then both changes")
		byChange := map[string]map[string]any{}
		for _, e := range events[1:] {
			require.EqualValues(t, third.ID, e["superseded_by"])
			require.Equal(t, "HR data changed", e["reason"])
			byChange[e["change"].(string)] = e
		}
		require.Nil(t, byChange[strconv.FormatInt(second.ID, 10)]["note"])
		require.Contains(t, byChange[strconv.FormatInt(first.ID, 10)]["note"], "failed or were retried", "the first change's leftovers")

		f.approve(third.ID)
		for _, a := range f.actions(third.ID)[:1] {
			require.Zero(t, f.waitingOn(&a), "nothing waits for the cancelled action")
		}
	})
}

// A joiner who leaves while their account is being created: the leaver's
// change removes that account too, once it exists.
func TestLeaverWhileTheirAccountIsBeingCreated(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ids := f.people(ada)
		f.engineers("review")
		first := f.approvedWithRunningAccount(ids)

		ada.Status, ada.TerminationDate = models.StatusTerminated, "2026-03-05"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))

		leave := f.open(ids["E1"])
		require.Equal(t, models.ChangeLeave, leave.Kind)
		require.Equal(t, []string{"delete"}, ops(leave.Plan), "the account being created is deleted too")
		require.Equal(t, models.ChangeSuperseded, f.change(first.ID).Status)
		require.Equal(t, []models.ActionStatus{models.ActionRunning, models.ActionCancelled}, f.actionStatuses(first.ID))
		f.approve(leave.ID)
		del := f.actions(leave.ID)[0]
		require.EqualValues(t, 1, f.waitingOn(&del), "not before it exists")
		require.NoError(t, store.CompleteAction(f.ctx, admin, f.actions(first.ID)[0].ID, models.AttemptResult{ResponseStatus: 201}, time.Now()))
		require.Zero(t, f.waitingOn(&del))
	})
}
