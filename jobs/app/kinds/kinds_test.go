package kinds_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

// Every registered kind can be offered (label, description) and opened
// for an app just added, before anyone set it up: a connector, or an
// error that names the app and says what is missing, never a panic.
func TestEveryKindIsComplete(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.SQLite)
	sealer, err := models.NewSealer(make([]byte, 32))
	require.NoError(t, err)
	env := connector.Env{Store: models.NewStore(db), Sealer: sealer}
	all := kinds.All().Kinds()
	require.NotEmpty(t, all)
	for _, k := range all {
		t.Run(string(k.Name), func(t *testing.T) {
			require.NotEmpty(t, k.Label)
			require.NotEmpty(t, k.Description)
			// The planner asks every kind for grants of every entitlement
			// kind; what a kind lacks, the worker fails as unsupported.
			for _, op := range []rules.Op{rules.OpGrant, rules.OpUpdate, rules.OpRevoke} {
				require.True(t, k.Supports(op, models.EntitlementGroup), "%s apps %s group entitlements", k.Name, op)
			}
			for _, op := range []rules.Op{rules.OpCreateAccount, rules.OpDisable, rules.OpDelete} {
				require.True(t, k.Supports(op, ""), "%s apps %s accounts", k.Name, op)
			}
			fresh := &models.App{ID: 1, Kind: k.Name, Name: "Fresh app", MaxConcurrency: 4}
			conn, err := k.Open(env, fresh)
			if err != nil {
				require.Nil(t, conn)
				require.Contains(t, err.Error(), "Fresh app", "the error says which app")
				return
			}
			require.NotNil(t, conn)
		})
	}
}

func TestRegistryOrderAndLookup(t *testing.T) {
	t.Parallel()
	r := kinds.All()
	var names []models.AppKind
	for _, k := range r.Kinds() {
		names = append(names, k.Name)
	}
	require.Equal(t, []models.AppKind{models.AppWebhook, models.AppManual, models.AppSCIM}, names, "the new-app form's order")

	k, ok := r.Lookup(models.AppWebhook)
	require.True(t, ok)
	require.True(t, k.CallsApp)
	require.True(t, k.Shows(connector.SettingWebhook))
	require.True(t, k.Shows(connector.SettingConcurrency))
	require.False(t, k.Shows(connector.SettingTaskAssignee))

	k, ok = r.Lookup(models.AppManual)
	require.True(t, ok)
	require.False(t, k.CallsApp, "Roster does not call manual apps")
	require.Equal(t, []connector.Setting{connector.SettingTaskAssignee}, k.Settings)

	k, ok = r.Lookup(models.AppSCIM)
	require.True(t, ok)
	require.True(t, k.CallsApp)
	require.True(t, k.ListsAccounts)
	require.Equal(t, []connector.Setting{connector.SettingSCIM, connector.SettingConcurrency}, k.Settings)
	require.True(t, k.Supports(rules.OpGrant, models.EntitlementGroup))
	require.False(t, k.Supports(rules.OpGrant, models.EntitlementRole), "only what the connector carries out")

	_, ok = r.Lookup("")
	require.False(t, ok)

	require.Panics(t, func() { r.Register(k) }, "a kind registered twice")
	require.Panics(t, func() { r.Register(connector.Kind{Name: "half"}) }, "a kind without words or Open")
	require.Len(t, r.Kinds(), 3)
}
