package planner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// withJobs gives the fixture a River client (not started, so jobs stay in
// the table) and wires auto-approval as serve does.
func withJobs(t *testing.T, db *models.DB, store *models.Store) *fixture {
	t.Helper()
	f := newFixture(t, store)
	_, closeClient, err := jobs.NewClient(f.ctx, db, store, jobs.Options{})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	f.plan.Approve = (&jobs.Decisions{Store: store, Now: f.plan.Now}).AutoApprove
	return f
}

func (f *fixture) changesOf(db *models.DB, personID int64) []models.Change {
	var out []models.Change
	require.NoError(f.t, db.Gorm.Where("person_id = ?", personID).Order("id").Find(&out).Error)
	return out
}

func executeJobs(t *testing.T, db *models.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = 'execute_action'").Scan(&n))
	return n
}

// hrUpdate records an HR mover event for a person, as a sync would.
func (f *fixture) hrUpdate(personID int64, fields models.PersonFields) {
	run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
	require.NoError(f.t, f.store.CreateSyncRun(f.ctx, run, nil))
	_, err := f.store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{Movers: 1},
		[]models.PersonChange{{Kind: models.EventChanged, PersonID: personID, Fields: fields}})
	require.NoError(f.t, err)
}

func TestAutoApproveRulesApproveAtPlanning(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		f.rule(models.Rule{Name: "Engineers", Approval: "auto",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})

		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		cs := f.changesOf(db, ids["E1"])
		require.Len(t, cs, 1)
		require.Equal(t, models.ChangeScheduled, cs[0].Status)
		require.True(t, cs[0].AutoApproved)
		require.Equal(t, "auto-approve", cs[0].DecidedBy)
		actions, err := store.ActionsOf(f.ctx, cs[0].ID)
		require.NoError(t, err)
		require.Len(t, actions, 2)
		require.Equal(t, 2, executeJobs(t, db), "one job per action, written with the approval")

		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		require.Len(t, f.changesOf(db, ids["E1"]), 1, "re-planning the same work queues nothing new")
		require.Equal(t, 2, executeJobs(t, db), "and approves nothing twice")
	})
}

func TestLeaversAreNeverAutoApproved(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		leaver := person("T1", "Engineering", "UTC")
		ids := f.people(leaver)
		r := f.rule(models.Rule{Name: "Engineers", Approval: "auto",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		acct := models.Account{PersonID: ids["T1"], AppID: f.github.ID, Status: models.AccountActive}
		require.NoError(t, db.Gorm.Create(&acct).Error)
		require.NoError(t, db.Gorm.Create(&models.Grant{AccountID: acct.ID, EntitlementID: f.eng.ID, RuleID: &r.ID, Params: map[string]string{}}).Error)

		leaver.Status, leaver.TerminationDate = models.StatusTerminated, "2026-03-31"
		f.hrUpdate(ids["T1"], leaver)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["T1"]}))
		c := f.open(ids["T1"])
		require.Equal(t, models.ChangeLeave, c.Kind)
		require.False(t, c.AutoApproved)
		require.Equal(t, 0, executeJobs(t, db))
	})
}

func TestHRChangeBeforeExecutionReplansTheDecidedChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ids := f.people(ada)
		f.rule(models.Rule{Name: "Engineers",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		f.rule(models.Rule{Name: "Sales cards",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Sales"}},
			Grants:     []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID, Params: map[string]string{"spend_limit": "300"}}}})
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		first := f.open(ids["E1"])
		d := &jobs.Decisions{Store: store, Now: f.plan.Now}
		approved, _, err := d.Approve(f.ctx, admin, models.Decision{ChangeIDs: []int64{first.ID}})
		require.NoError(t, err)
		require.Equal(t, []int64{first.ID}, approved)
		actions, err := store.ActionsOf(f.ctx, first.ID)
		require.NoError(t, err)
		require.Len(t, actions, 2)
		require.NoError(t, store.CompleteAction(f.ctx, admin, actions[0].ID, models.AttemptResult{}, f.plan.Now()))

		ada.Phone = "+4930123456"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		kept, err := store.ChangeByID(f.ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeScheduled, kept.Status, "an HR edit that does not touch access keeps the decision")
		_, err = store.OpenChangeOf(f.ctx, ids["E1"])
		require.ErrorIs(t, err, models.ErrNotFound)

		ada.Department = "Sales"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		next := f.open(ids["E1"])
		require.Equal(t, models.ChangePending, next.Status, "the new plan goes back to review")
		require.Contains(t, next.RuleNames, "Sales cards")
		old, err := store.ChangeByID(f.ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		events := replannedEvents(t, db)
		require.Len(t, events, 1)
		require.Equal(t, "HR data changed", events[0]["reason"])
		actions, err = store.ActionsOf(f.ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionDone, actions[0].Status, "what already ran stays done")
		require.Equal(t, models.ActionCancelled, actions[1].Status, "what had not run is cancelled")
		_, run, err := store.StartAttempt(f.ctx, actions[1].ID, f.plan.Now())
		require.NoError(t, err)
		require.False(t, run, "its job finds nothing to do")
	})
}
