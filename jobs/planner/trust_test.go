package planner_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// holds records that a person has an entitlement, granted by rule, as
// execution would have recorded it.
func (f *fixture) holds(db *models.DB, personID int64, app *models.App, ent *models.Entitlement, rule *models.Rule) {
	f.t.Helper()
	var acct models.Account
	err := db.Gorm.Where("person_id = ? AND app_id = ?", personID, app.ID).First(&acct).Error
	if err != nil {
		acct = models.Account{PersonID: personID, AppID: app.ID, Status: models.AccountActive}
		require.NoError(f.t, db.Gorm.Create(&acct).Error)
	}
	g := models.Grant{AccountID: acct.ID, EntitlementID: ent.ID, Params: map[string]string{}}
	if rule != nil {
		g.RuleID = &rule.ID
	}
	require.NoError(f.t, db.Gorm.Create(&g).Error)
}

// leaves records an HR leaver event with a last day.
func (f *fixture) leaves(personID int64, p models.PersonFields, lastDay string) {
	f.t.Helper()
	p.TerminationDate = lastDay
	run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
	require.NoError(f.t, f.store.CreateSyncRun(f.ctx, run, nil))
	_, err := f.store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{Leavers: 1},
		[]models.PersonChange{{Kind: models.EventLeft, PersonID: personID, Fields: p}})
	require.NoError(f.t, err)
}

// fail starts an action and fails it for good, as a refused call would.
func (f *fixture) fail(actionID int64) {
	f.t.Helper()
	_, _, err := f.store.StartAttempt(f.ctx, actionID, f.plan.Now())
	require.NoError(f.t, err)
	require.NoError(f.t, f.store.FailAction(f.ctx, admin, actionID, models.AttemptResult{Error: "HTTP 500"}, f.plan.Now()))
}

func stepAt(t *testing.T, plan []models.PlanStep, op string, entitlementID int64) models.PlanStep {
	t.Helper()
	for _, st := range plan {
		if st.Op == op && st.EntitlementID == entitlementID {
			return st
		}
	}
	t.Fatalf("no %s of entitlement %d in %+v", op, entitlementID, plan)
	return models.PlanStep{}
}

// Issue 8.1: someone who resigns on 1 March with a last day of 30 June
// keeps all access until 30 June at the leaver time; only the grant whose
// rule says "immediately" goes on approval, and its action is due then
// while the others are due on the last day.
func TestEachStepRunsAtItsOwnTime(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "Europe/Berlin")
		ada.StartDate = "2025-01-06"
		ids := f.people(ada)
		admins, err := store.CreateEntitlement(f.ctx, admin, f.github.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin", Name: "admin"})
		require.NoError(t, err)
		engineers := f.rule(models.Rule{Name: "Engineers", LeaverMode: "at_date", LeaverTime: "17:00",
			Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}, {AppID: f.card.ID, EntitlementID: f.limit.ID}}})
		githubAdmins := f.rule(models.Rule{Name: "GitHub admins", LeaverMode: "immediately",
			Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: admins.ID}}})
		f.holds(db, ids["E1"], f.github, f.eng, engineers)
		f.holds(db, ids["E1"], f.github, admins, githubAdmins)
		f.holds(db, ids["E1"], f.card, f.limit, engineers)

		f.leaves(ids["E1"], ada, "2026-06-30")
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		c := f.open(ids["E1"])
		require.Equal(t, models.ChangeLeave, c.Kind)
		lastDay := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC) // 17:00 CEST

		immediate := stepAt(t, c.Plan, "revoke", admins.ID)
		require.True(t, immediate.At.IsZero(), "the immediately rule's grant goes on approval")
		require.Contains(t, immediate.When, "on approval")
		require.Equal(t, lastDay, stepAt(t, c.Plan, "revoke", f.eng.ID).At, "GitHub eng stays until the last day")
		require.Equal(t, lastDay, stepAt(t, c.Plan, "revoke", f.limit.ID).At, "the card stays until the last day")
		require.Equal(t, lastDay, stepAt(t, c.Plan, "delete", 0).At, "the GitHub account goes after its last grant")
		require.Equal(t, lastDay, stepAt(t, c.Plan, "disable", 0).At)
		require.Equal(t, []string{"revoke", "revoke", "delete"}, ops(c.Plan)[:3], "within GitHub, what is due first runs first")
		require.Equal(t, admins.ID, c.Plan[0].EntitlementID)

		f.approve(c.ID)
		approvedAt := f.plan.Now().UTC()
		for _, a := range f.actions(c.ID) {
			want := lastDay
			if a.EntitlementID != nil && *a.EntitlementID == admins.ID {
				want = approvedAt
			}
			require.Equal(t, want, a.RunAt.UTC(), "action %s of entitlement %v", a.Op, a.EntitlementID)
		}
	})
}

// Issue 8.2: a mover who still matches an auto-approve rule has a grant
// from a review rule revoked only after review.
func TestRevocationFollowsTheGrantingRulesReview(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ada.StartDate = "2025-01-06"
		ids := f.people(ada)
		everyone := f.rule(models.Rule{Name: "Everyone", Approval: "auto",
			Grants: []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID}}})
		engineers := f.engineers("review")
		f.holds(db, ids["E1"], f.card, f.limit, everyone)
		f.holds(db, ids["E1"], f.github, f.eng, engineers)

		ada.Department = "Sales"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		c := f.open(ids["E1"])
		require.Equal(t, models.ChangeMove, c.Kind)
		require.Equal(t, []string{"revoke"}, ops(c.Plan))
		require.False(t, c.Plan[0].Auto, "the grant came from a review rule")
		require.False(t, c.AutoApproved, "so its revoke waits for review")
		require.Equal(t, models.ChangePending, c.Status)
		require.Equal(t, 0, executeJobs(t, db), "nothing runs unreviewed")

		// A grant an auto rule gave goes without review when it is no
		// longer wanted; one of unknown origin never does.
		everyone.Conditions = []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}}
		require.NoError(t, store.SaveRule(f.ctx, admin, everyone))
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		c = f.open(ids["E1"])
		require.Len(t, c.Plan, 2)
		require.True(t, stepAt(t, c.Plan, "revoke", f.limit.ID).Auto)
		require.False(t, stepAt(t, c.Plan, "revoke", f.eng.ID).Auto)
		require.False(t, c.AutoApproved, "a change mixing auto and review steps waits as a whole")
	})
}

// Issue 8.2: a revoke of a grant whose rule is auto-approve and a grant
// from auto rules run without review; leavers still always wait.
func TestAutoRuleRevocationRunsUnreviewed(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ada.StartDate = "2025-01-06"
		ids := f.people(ada)
		engineers := f.engineers("auto")
		f.holds(db, ids["E1"], f.github, f.eng, engineers)
		ada.Department = "Sales"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		cs := f.changesOf(db, ids["E1"])
		require.Len(t, cs, 1)
		require.True(t, cs[0].AutoApproved)
		require.Equal(t, models.ChangeScheduled, cs[0].Status)
	})
}

// Issue 8.4: a rejected change stays rejected through rule saves that
// change nothing for the person, and comes back when HR data changes.
func TestRejectionIsKeptUntilDataOrOutcomeChanges(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ids := f.people(ada)
		r := f.engineers("review")
		f.salesCards()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		_, _, err := (&jobs.Decisions{Store: store, Now: f.plan.Now}).Reject(f.ctx, admin, models.Decision{ChangeIDs: []int64{first.ID}})
		require.NoError(t, err)

		r.Priority = 50
		f.editRule(r)
		r.Name = "Engineering GitHub"
		f.editRule(r)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		cs := f.changesOf(db, ids["E1"])
		require.Len(t, cs, 1, "saves that change nothing for the person write nothing")
		require.Equal(t, models.ChangeRejected, cs[0].Status)

		ada.Title = "Staff Engineer"
		f.hrUpdate(ids["E1"], ada)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		again := f.open(ids["E1"])
		require.NotEqual(t, first.ID, again.ID, "new HR data asks again")
	})
}

// Issue 8.4: a pending change is brought up to date in place by a save
// that changes only its explanation, not superseded.
func TestPrioritySaveDoesNotChurnThePendingChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		r.Priority = 7
		r.Name = "Engineers (renamed)"
		f.editRule(r)
		cs := f.changesOf(db, ids["E1"])
		require.Len(t, cs, 1)
		require.Equal(t, first.ID, cs[0].ID)
		require.Equal(t, "Engineers (renamed)", cs[0].RuleNames, "the explanation is today's")
		require.Contains(t, cs[0].Plan[0].When, "Engineers (renamed)")
	})
}

// Issue 8.4: changes timed "now" compare by their steps, not by the
// moment they were planned.
func TestChangesDueNowDoNotChurn(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ada.StartDate = ""
		ids := f.people(ada)
		f.engineers("review")
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		require.True(t, first.Plan[0].At.IsZero(), "no start date: on approval")
		now := f.plan.Now()
		f.plan.Now = func() time.Time { return now.Add(90 * time.Minute) }
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.Len(t, f.changesOf(db, ids["E1"]), 1)

		_, _, err := (&jobs.Decisions{Store: store, Now: f.plan.Now}).Reject(f.ctx, admin, models.Decision{ChangeIDs: []int64{first.ID}})
		require.NoError(t, err)
		f.plan.Now = func() time.Time { return now.Add(3 * time.Hour) }
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.Len(t, f.changesOf(db, ids["E1"]), 1, "the rejection holds later on too")
	})
}

// Issue 8.4: an approved joiner with an open Laptop task stays approved
// when an unrelated rule is saved, even after their start date passed.
func TestApprovedJoinerWithOpenTaskSurvivesUnrelatedSave(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		l := f.laptops()
		ada := person("E1", "Engineering", "UTC")
		ids := f.people(ada)
		sales := f.salesCards()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		c := f.open(ids["E1"])
		f.approve(c.ID)
		// The account task is open (its action running), the grant waits.
		actions := f.actions(c.ID)
		_, run, err := store.StartAttempt(f.ctx, actions[0].ID, f.plan.Now())
		require.NoError(t, err)
		require.True(t, run)

		for _, at := range []time.Time{f.plan.Now(), time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)} {
			f.plan.Now = func() time.Time { return at }
			sales.Priority++
			f.editRule(sales)
			require.Equal(t, models.ChangeScheduled, f.change(c.ID).Status, "at %s", at)
			_, err := store.OpenChangeOf(f.ctx, ids["E1"])
			require.ErrorIs(t, err, models.ErrNotFound, "nothing back in To Invite at %s", at)
		}
		require.Equal(t, l.app.ID, actions[0].AppID)
	})
}

// Issue 8.5: after a leave, a failed joiner's remaining grants are
// cancelled and Retry is refused with the reason.
func TestFailedJoinerWhoLeftIsReplanned(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ada := person("E1", "Engineering", "UTC")
		ids := f.people(ada)
		f.engineers("review")
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		c := f.open(ids["E1"])
		f.approve(c.ID)
		actions := f.actions(c.ID)
		f.fail(actions[0].ID)
		require.Equal(t, models.ChangeFailed, f.change(c.ID).Status)

		f.leaves(ids["E1"], ada, "2026-03-05")
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		require.Equal(t, models.ChangeSuperseded, f.change(c.ID).Status)
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(c.ID))
		_, err := store.OpenChangeOf(f.ctx, ids["E1"])
		require.ErrorIs(t, err, models.ErrNotFound, "they hold nothing, so nothing is to be taken away")

		d := &jobs.Decisions{Store: store, Now: f.plan.Now, Replan: f.plan.PlanPeople}
		require.ErrorIs(t, d.Retry(f.ctx, admin, actions[0].ID), models.ErrReplanned)
		require.Equal(t, models.ActionCancelled, f.actions(c.ID)[0].Status)
	})
}

// Issue 8.5: Retry re-plans the person first: a failed grant whose rule
// no longer applies is not retried.
func TestRetryChecksTheCurrentPlan(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		c := f.open(ids["E1"])
		f.approve(c.ID)
		actions := f.actions(c.ID)
		f.fail(actions[0].ID)

		// The rule is switched off without anyone re-planning yet.
		r.Enabled = false
		require.NoError(t, store.SaveRule(f.ctx, admin, r))
		d := &jobs.Decisions{Store: store, Now: f.plan.Now, Replan: f.plan.PlanPeople}
		require.ErrorIs(t, d.Retry(f.ctx, admin, actions[0].ID), models.ErrReplanned)

		// With the rule back, a retry of a step still wanted goes ahead.
		r.Enabled = true
		require.NoError(t, store.SaveRule(f.ctx, admin, r))
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		next := f.open(ids["E1"])
		f.approve(next.ID)
		again := f.actions(next.ID)
		f.fail(again[0].ID)
		require.NoError(t, d.Retry(f.ctx, admin, again[0].ID))
		require.Equal(t, models.ActionScheduled, f.actions(next.ID)[0].Status)
	})
}

// Issue 8.5: after a rehire, a failed leaver's pending removals are
// cancelled, and Retry of its failed step is refused with the reason.
func TestFailedLeaverWhoIsRehiredIsReplanned(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		grace := person("E1", "Engineering", "UTC")
		grace.StartDate = "2024-01-15"
		ids := f.people(grace)
		r := f.engineers("review")
		f.holds(db, ids["E1"], f.github, f.eng, r)

		f.leaves(ids["E1"], grace, "2026-02-27") // her last day has passed
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))
		c := f.open(ids["E1"])
		require.Equal(t, models.ChangeLeave, c.Kind)
		f.approve(c.ID)
		actions := f.actions(c.ID)
		require.GreaterOrEqual(t, len(actions), 2, "a revoke and the account's removal")
		f.fail(actions[0].ID)
		require.Equal(t, models.ChangeFailed, f.change(c.ID).Status)

		// HR takes her back before anyone retries.
		back := grace
		run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(f.ctx, run, nil))
		_, err := store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{Rehires: 1},
			[]models.PersonChange{{Kind: models.EventRehired, PersonID: ids["E1"], Fields: back}})
		require.NoError(t, err)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"]}))

		require.Equal(t, models.ChangeSuperseded, f.change(c.ID).Status)
		for _, st := range f.actionStatuses(c.ID)[1:] {
			require.Equal(t, models.ActionCancelled, st, "no removal is left to run against a rehired person")
		}
		d := &jobs.Decisions{Store: store, Now: f.plan.Now, Replan: f.plan.PlanPeople}
		require.ErrorIs(t, d.Retry(f.ctx, admin, actions[0].ID), models.ErrReplanned)
		require.NotEqual(t, models.ActionScheduled, f.actions(c.ID)[0].Status, "the failed revoke is not put back")
	})
}
