package planner_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// engineers is a rule granting GitHub's eng group to Engineering.
func (f *fixture) engineers(approval string) *models.Rule {
	return f.rule(models.Rule{Name: "Engineers", Approval: approval,
		Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
		Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
}

// salesCards is a rule unrelated to Engineering: Sales get a card.
func (f *fixture) salesCards() *models.Rule {
	return f.rule(models.Rule{Name: "Sales cards",
		Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Sales"}},
		Grants:     []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID, Params: map[string]string{"spend_limit": "300"}}}})
}

// opsGroup adds GitHub's ops group.
func (f *fixture) opsGroup() *models.Entitlement {
	ops, err := f.store.CreateEntitlement(f.ctx, admin, f.github.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "ops", Name: "Operations"})
	require.NoError(f.t, err)
	return ops
}

// approve approves a pending change as an admin.
func (f *fixture) approve(changeID int64) {
	approved, _, err := (&jobs.Decisions{Store: f.store, Now: f.plan.Now}).Approve(f.ctx, admin, models.Decision{ChangeIDs: []int64{changeID}})
	require.NoError(f.t, err)
	require.Equal(f.t, []int64{changeID}, approved)
}

// editRule saves a rule and re-plans everyone, as the rules page does.
func (f *fixture) editRule(r *models.Rule) {
	require.NoError(f.t, f.store.SaveRule(f.ctx, admin, r))
	require.NoError(f.t, f.plan.PlanEveryone(f.ctx))
}

func (f *fixture) change(id int64) *models.Change {
	c, err := f.store.ChangeByID(f.ctx, id)
	require.NoError(f.t, err)
	return c
}

func (f *fixture) actionStatuses(changeID int64) []models.ActionStatus {
	actions, err := f.store.ActionsOf(f.ctx, changeID)
	require.NoError(f.t, err)
	out := make([]models.ActionStatus, len(actions))
	for i, a := range actions {
		out[i] = a.Status
	}
	return out
}

// replannedEvents are the change.replanned audit events, oldest first.
func replannedEvents(t *testing.T, db *models.DB) []map[string]any {
	t.Helper()
	var events []models.AuditEvent
	require.NoError(t, db.Gorm.Where("action = ?", models.ActionChangeReplanned).Order("id").Find(&events).Error)
	out := make([]map[string]any, len(events))
	for i, e := range events {
		require.NotNil(t, e.After)
		require.NoError(t, json.Unmarshal([]byte(*e.After), &out[i]))
		out[i]["change"] = e.SubjectID
	}
	return out
}

// runDueJobs points GitHub at a receiver, runs the job runner until no
// execute_action job is left to run, and returns how many calls GitHub got.
// The fixture's actions are due: their time (March 2026) has passed.
func runDueJobs(t *testing.T, db *models.DB, store *models.Store, f *fixture) int64 {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	sealed, err := sealer.Seal(`{"url":"` + srv.URL + `","secret":"0123456789abcdef-secret"}`)
	require.NoError(t, err)
	require.NoError(t, db.Gorm.Exec("UPDATE apps SET config = ? WHERE id = ?", sealed, f.github.ID).Error)

	client, closeClient, err := jobs.NewClient(f.ctx, db, store, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback(), FetchPollInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	require.NoError(t, client.Start(f.ctx))
	t.Cleanup(func() { _ = client.Stop(f.ctx) })
	require.Eventually(t, func() bool {
		var live int
		err := db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'execute_action'
			AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&live)
		return err == nil && live == 0
	}, 30*time.Second, 100*time.Millisecond, "every execute_action job settles")
	return calls.Load()
}

func TestRuleEditSupersedesApprovedWorkItNoLongerAsksFor(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		opsGroup := f.opsGroup()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		f.approve(first.ID)
		require.Equal(t, models.ChangeScheduled, f.change(first.ID).Status)

		r.Grants = []models.RuleGrant{{AppID: f.github.ID, EntitlementID: opsGroup.ID}}
		f.editRule(r)

		next := f.open(ids["E1"])
		require.Equal(t, models.ChangePending, next.Status, "the new plan goes to review")
		require.Equal(t, models.ChangeJoin, next.Kind)
		require.Equal(t, []string{"create_account", "grant"}, ops(next.Plan))
		require.Equal(t, opsGroup.ID, next.Plan[1].EntitlementID)
		old := f.change(first.ID)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(first.ID))
		require.Len(t, f.changesOf(db, ids["E1"]), 2, "one superseded, one pending: no duplicate work")
		events := replannedEvents(t, db)
		require.Len(t, events, 1)
		require.Equal(t, "rules or settings changed", events[0]["reason"])
		require.EqualValues(t, next.ID, events[0]["superseded_by"])

		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.Equal(t, next.ID, f.open(ids["E1"]).ID, "planning again changes nothing")

		require.Zero(t, runDueJobs(t, db, store, f), "the cancelled actions' jobs call nobody")
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(first.ID))
		access, err := store.AccessOf(f.ctx, []int64{ids["E1"]})
		require.NoError(t, err)
		require.Empty(t, access[ids["E1"]].Accounts, "nothing was provisioned")
	})
}

func TestDisablingARuleCancelsTheApprovedWorkItGranted(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		f.approve(first.ID)

		require.NoError(t, store.SetRuleEnabled(f.ctx, admin, r.ID, false))
		require.NoError(t, f.plan.PlanEveryone(f.ctx))

		old := f.change(first.ID)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Nil(t, old.SupersededByID, "nothing is to be done any more")
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(first.ID))
		_, err := store.OpenChangeOf(f.ctx, ids["E1"])
		require.ErrorIs(t, err, models.ErrNotFound)
		events := replannedEvents(t, db)
		require.Len(t, events, 1)
		require.Nil(t, events[0]["superseded_by"])
	})
}

func TestUnrelatedRuleEditLeavesApprovedWorkAlone(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"), person("S1", "Sales", "UTC"))
		f.engineers("review")
		sales := f.salesCards()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		f.approve(first.ID)
		salesFirst := f.open(ids["S1"])

		sales.Grants[0].Params = map[string]string{"spend_limit": "500"}
		f.editRule(sales)

		require.Equal(t, models.ChangeScheduled, f.change(first.ID).Status)
		require.Equal(t, []models.ActionStatus{models.ActionScheduled, models.ActionScheduled}, f.actionStatuses(first.ID))
		require.Len(t, f.changesOf(db, ids["E1"]), 1, "no pending change next to the approved one")
		require.Empty(t, replannedEvents(t, db))
		salesNext := f.open(ids["S1"])
		require.NotEqual(t, salesFirst.ID, salesNext.ID, "the undecided Sales change follows the edit")
		require.Equal(t, "500", salesNext.Plan[1].Params["spend_limit"])
	})
}

func TestAutoApproveRuleEditReplacesTheAutoApprovedChange(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("auto")
		opsGroup := f.opsGroup()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		cs := f.changesOf(db, ids["E1"])
		require.Len(t, cs, 1)
		first := cs[0]
		require.Equal(t, models.ChangeScheduled, first.Status)

		r.Grants = []models.RuleGrant{{AppID: f.github.ID, EntitlementID: opsGroup.ID}}
		f.editRule(r)

		cs = f.changesOf(db, ids["E1"])
		require.Len(t, cs, 2)
		old, next := cs[0], cs[1]
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionCancelled, models.ActionCancelled}, f.actionStatuses(old.ID))
		require.Equal(t, models.ChangeScheduled, next.Status, "the new plan is approved by its rule")
		require.True(t, next.AutoApproved)
		require.Equal(t, "auto-approve", next.DecidedBy)
		require.Equal(t, opsGroup.ID, next.Plan[1].EntitlementID)
		require.Equal(t, []models.ActionStatus{models.ActionScheduled, models.ActionScheduled}, f.actionStatuses(next.ID))
		require.Equal(t, 4, executeJobs(t, db), "two cancelled (their jobs do nothing), two new")
	})
}

// A change whose first action is done when a rule edit comes: the done
// step stays done (its account is in accounts, which the new plan is
// diffed against), the step that had not run is cancelled, and the new
// plan, a mover now, asks only for what is still missing.
func TestRuleEditAfterSomeActionsRan(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := withJobs(t, db, store)
		ids := f.people(person("E1", "Engineering", "UTC"))
		r := f.engineers("review")
		f.salesCards()
		opsGroup := f.opsGroup()
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["E1"])
		f.approve(first.ID)
		actions, err := store.ActionsOf(f.ctx, first.ID)
		require.NoError(t, err)
		require.NoError(t, store.CompleteAction(f.ctx, admin, actions[0].ID, models.AttemptResult{}, f.plan.Now()))

		sales, err := store.ListRules(f.ctx)
		require.NoError(t, err)
		for i := range sales {
			if sales[i].Name == "Sales cards" {
				sales[i].Priority = 5
				f.editRule(&sales[i])
			}
		}
		require.Equal(t, models.ChangeScheduled, f.change(first.ID).Status, "an unrelated edit keeps a started change too")
		require.Len(t, f.changesOf(db, ids["E1"]), 1)

		r.Grants = []models.RuleGrant{{AppID: f.github.ID, EntitlementID: opsGroup.ID}}
		f.editRule(r)
		next := f.open(ids["E1"])
		require.Equal(t, models.ChangeJoin, next.Kind, "they have their account, but their start date is still ahead: a joiner, timed as one")
		require.Equal(t, []string{"grant"}, ops(next.Plan))
		require.Equal(t, opsGroup.ID, next.Plan[0].EntitlementID)
		old := f.change(first.ID)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, next.ID, *old.SupersededByID)
		require.Equal(t, []models.ActionStatus{models.ActionDone, models.ActionCancelled}, f.actionStatuses(first.ID),
			"what ran stays done, what had not is cancelled")
		access, err := store.AccessOf(f.ctx, []int64{ids["E1"]})
		require.NoError(t, err)
		require.Len(t, access[ids["E1"]].Accounts, 1, "the account stays")
		require.Empty(t, access[ids["E1"]].Grants)
	})
}
