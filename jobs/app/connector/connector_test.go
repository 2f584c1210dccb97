package connector_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

func TestSupports(t *testing.T) {
	t.Parallel()
	c := connector.Capabilities{AccountOps: []rules.Op{rules.OpCreateAccount},
		EntitlementOps: map[models.EntitlementKind][]rules.Op{models.EntitlementGroup: {rules.OpGrant, rules.OpRevoke}}}
	tests := []struct {
		op   rules.Op
		ent  models.EntitlementKind
		want bool
	}{
		{rules.OpCreateAccount, "", true},
		{rules.OpDisable, "", false},
		{rules.OpGrant, models.EntitlementGroup, true},
		{rules.OpUpdate, models.EntitlementGroup, false},
		{rules.OpGrant, models.EntitlementRole, false},
		{rules.OpGrant, "", true}, // a grant whose entitlement is not known: the kind grants something
		{rules.OpCreateAccount, models.EntitlementGroup, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, c.Supports(tt.op, tt.ent), "%s on %q", tt.op, tt.ent)
	}
	all := connector.AllOps()
	for _, ent := range models.EntitlementKinds {
		require.True(t, all.Supports(rules.OpRevoke, ent))
	}
	require.True(t, all.Supports(rules.OpDelete, ""))
	require.False(t, all.CallsApp)
}

func TestOutcomeDone(t *testing.T) {
	t.Parallel()
	require.True(t, connector.Outcome{Status: 200}.Done())
	require.False(t, connector.Outcome{Pending: true}.Done(), "a task opened is not done yet")
	require.False(t, connector.Outcome{Err: connector.ErrUnsupported}.Done())
}
