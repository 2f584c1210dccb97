package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// TestSaveRuleRefusesNumbersOutOfBounds saves rules whose numbers the
// builder would refuse: the store refuses them too, before PostgreSQL's
// INTEGER columns could overflow, and stores nothing.
func TestSaveRuleRefusesNumbersOutOfBounds(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		for name, edit := range map[string]func(r *models.Rule){
			"priority past int32":    func(r *models.Rule) { r.Priority = 9_999_999_999 },
			"priority past bound":    func(r *models.Rule) { r.Priority = -1_000_001 },
			"joiner offset":          func(r *models.Rule) { r.JoinerOffsetDays = -3651 },
			"leaver days negative":   func(r *models.Rule) { r.LeaverDays = -1 },
			"leaver days past int32": func(r *models.Rule) { r.LeaverDays = 1 << 40 },
		} {
			r := &models.Rule{Name: name, Enabled: true, Grants: []models.RuleGrant{{AppID: 1, EntitlementID: 1}}}
			edit(r)
			require.Error(t, store.SaveRule(ctx, tester, r), name)
		}
		list, err := store.ListRules(ctx)
		require.NoError(t, err)
		require.Empty(t, list)

		ok := &models.Rule{Name: "Bounds", Enabled: true, Priority: 1_000_000, JoinerOffsetDays: -3650, LeaverDays: 3650,
			Grants: []models.RuleGrant{{AppID: 1, EntitlementID: 1}}}
		require.NoError(t, store.SaveRule(ctx, tester, ok))
		got, err := store.RuleByID(ctx, ok.ID)
		require.NoError(t, err)
		require.Equal(t, 1_000_000, got.Priority)
	})
}
