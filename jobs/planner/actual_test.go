package planner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

func TestActualCountsRunningActionsAsDone(t *testing.T) {
	t.Parallel()
	ent := func(id int64) *int64 { return &id }
	recorded := &models.Access{
		Accounts: []models.Account{{AppID: 1, Status: models.AccountActive}},
		Grants: []models.AccessGrant{
			{AppID: 1, Grant: models.Grant{EntitlementID: 10, Params: map[string]string{"seat": "pro"}}},
			{AppID: 1, Grant: models.Grant{EntitlementID: 11}},
		},
	}
	for _, tc := range []struct {
		name     string
		running  []models.Action
		accounts []rules.ActualAccount
		grants   []rules.ActualGrant
	}{
		{name: "nothing running", accounts: []rules.ActualAccount{{AppID: 1, Status: rules.AccountActive}},
			grants: []rules.ActualGrant{{AppID: 1, EntitlementID: 10, Params: map[string]string{"seat": "pro"}}, {AppID: 1, EntitlementID: 11}}},
		{name: "an account and its grant being created",
			running:  []models.Action{{Op: "create_account", AppID: 2}, {Op: "grant", AppID: 2, EntitlementID: ent(20), Params: map[string]string{"size": "14"}}},
			accounts: []rules.ActualAccount{{AppID: 1, Status: rules.AccountActive}, {AppID: 2, Status: rules.AccountActive}},
			grants: []rules.ActualGrant{{AppID: 1, EntitlementID: 10, Params: map[string]string{"seat": "pro"}}, {AppID: 1, EntitlementID: 11},
				{AppID: 2, EntitlementID: 20, Params: map[string]string{"size": "14"}}}},
		{name: "an update and a revoke", running: []models.Action{
			{Op: "update", AppID: 1, EntitlementID: ent(10), Params: map[string]string{"seat": "basic"}},
			{Op: "revoke", AppID: 1, EntitlementID: ent(11)}},
			accounts: []rules.ActualAccount{{AppID: 1, Status: rules.AccountActive}},
			grants:   []rules.ActualGrant{{AppID: 1, EntitlementID: 10, Params: map[string]string{"seat": "basic"}}}},
		{name: "an account being disabled", running: []models.Action{{Op: "disable", AppID: 1}},
			accounts: []rules.ActualAccount{{AppID: 1, Status: rules.AccountDisabled}},
			grants:   []rules.ActualGrant{{AppID: 1, EntitlementID: 10, Params: map[string]string{"seat": "pro"}}, {AppID: 1, EntitlementID: 11}}},
		{name: "an account being deleted (its grants count as gone)", running: []models.Action{{Op: "delete", AppID: 1}},
			accounts: []rules.ActualAccount{{AppID: 1, Status: rules.AccountDeleted}},
			grants:   []rules.ActualGrant{{AppID: 1, EntitlementID: 10, Params: map[string]string{"seat": "pro"}}, {AppID: 1, EntitlementID: 11}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			accounts, grants := actual(recorded, tc.running)
			require.ElementsMatch(t, tc.accounts, accounts)
			require.ElementsMatch(t, tc.grants, grants)
			require.Len(t, recorded.Grants, 2, "recorded access is left as it is")
		})
	}
}

// A joiner whose account is being created: the plan asks only for what the
// running actions do not do already.
func TestPlanLeavesOutRunningSteps(t *testing.T) {
	t.Parallel()
	w := &world{apps: map[int64]rules.App{1: {ID: 1, Name: "Laptop"}}, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), orgTZ: "UTC"}
	w.rules = []rules.Rule{{ID: 7, Name: "Laptops", Enabled: true, Match: rules.MatchAll,
		Grants: []rules.Grant{{AppID: 1, EntitlementID: 10}, {AppID: 1, EntitlementID: 11}}}}
	w.byID = map[int64]rules.Rule{7: w.rules[0]}
	w.compiled = rules.Compile(w.rules)
	p := &models.Person{PersonFields: models.PersonFields{Status: models.StatusActive, StartDate: "2026-03-10"}}

	c := planOne(w, p, &models.Access{}, []models.Action{{Op: "create_account", AppID: 1, Status: models.ActionRunning}}, models.PersonEvent{}, false)
	require.Equal(t, models.ChangeJoin, c.Kind, "nothing is recorded yet: still a joiner")
	at, when := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), `start date at 09:00 (rule "Laptops")`
	require.Equal(t, []models.PlanStep{
		{Op: "grant", AppID: 1, EntitlementID: 10, Rules: []int64{7}, At: at, When: when},
		{Op: "grant", AppID: 1, EntitlementID: 11, Rules: []int64{7}, At: at, When: when},
	}, c.Plan)

	ten, eleven := int64(10), int64(11)
	running := []models.Action{{Op: "create_account", AppID: 1}, {Op: "grant", AppID: 1, EntitlementID: &ten}, {Op: "grant", AppID: 1, EntitlementID: &eleven}}
	require.Nil(t, planOne(w, p, &models.Access{}, running, models.PersonEvent{}, false), "everything is under way")
}
