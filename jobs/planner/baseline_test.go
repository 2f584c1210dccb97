package planner_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

// baseline stores people as a baseline run took them: current staff.
func (f *fixture) baseline(fields ...models.PersonFields) map[string]int64 {
	return f.storePeople(models.EventBaseline, fields)
}

// Someone employed before Roster is never a joiner: what they lack under
// the rules is a mover's change labelled "missing access", proposed for
// review even when the rule auto-approves; once their app accounts come in
// with that access, nothing is left to propose, and access beyond the
// rules that the app reported is not taken away.
func TestBaselinePersonGetsOnlyMissingAccess(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		cfo := person("CFO", "Engineering", "")
		cfo.StartDate = "2021-04-01"
		ids := f.baseline(cfo)
		joiner := f.people(person("NEW", "Engineering", ""))
		f.rule(models.Rule{Name: "Engineers", Priority: 10, Approval: "auto",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["CFO"], joiner["NEW"]}))

		c := f.open(ids["CFO"])
		require.Equal(t, models.ChangeMove, c.Kind, "current staff, not a joiner")
		require.Equal(t, models.ReasonMissingAccess, c.Reason)
		require.False(t, c.AutoApproved, "missing access is proposed, not done unreviewed")
		require.Equal(t, []string{"create_account", "grant"}, ops(c.Plan))
		var why rules.Why
		require.NoError(t, json.Unmarshal([]byte(c.Why), &why))
		require.Equal(t, "missing access", why.Trigger)
		require.Empty(t, why.Diff, "a baseline's diff is every field: not shown")
		require.Contains(t, c.Summary, "Missing access")

		j := f.open(joiner["NEW"])
		require.Equal(t, models.ChangeJoin, j.Kind, "a joiner under Roster is still a joiner")
		require.Empty(t, j.Reason)
		require.True(t, j.AutoApproved)

		// GitHub reports the CFO's account with eng and an admin role no
		// rule gives.
		admin2, err := store.CreateEntitlement(f.ctx, admin, f.github.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "owner", Name: "Owner"})
		require.NoError(t, err)
		pid := ids["CFO"]
		_, err = store.RecordAccounts(f.ctx, admin, f.github.ID, []models.AppAccount{{RemoteID: "u1", Email: cfo.WorkEmail,
			Status: models.AccountActive, Entitlements: []string{"eng", admin2.Key}, Verdict: models.VerdictMatched, MatchedBy: "work_email", PersonID: &pid}},
			time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{pid}))
		_, err = store.OpenChangeOf(f.ctx, pid)
		require.ErrorIs(t, err, models.ErrNotFound, "nothing is missing, and the owner role beyond the rules stays")
	})
}
