package models_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// A planning batch's new changes read
// back as they were given, every field; the change they replace is
// superseded and points at them; an effective time compares with a bound
// time as one written by gorm does.
func TestReplaceOpenChangesRoundTrips(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		event := int64(7)
		at := time.Date(2026, 3, 9, 8, 30, 15, 123456000, time.UTC)
		next := &models.Change{Kind: models.ChangeMove, Why: `{"trigger":"moved"}`, Summary: "Moved; matched \"Eng\"",
			RuleNames: "Eng, Everyone", EffectiveAt: at, AutoApproved: true, PersonEventID: &event,
			Plan: []models.PlanStep{{Op: "grant", AppID: f.webApp.ID, EntitlementID: f.ent.ID, Params: map[string]string{"role": "admin"},
				Rules: []int64{3, 1}, At: at, When: "start date at 09:30"}}}
		got, err := store.ReplaceOpenChanges(f.ctx, map[int64]*models.Change{f.person: next})
		require.NoError(t, err)
		made := got[f.person]
		require.NotZero(t, made.ID)

		stored, err := store.ChangeByID(f.ctx, made.ID)
		require.NoError(t, err)
		require.Equal(t, f.person, stored.PersonID)
		require.Equal(t, models.ChangeMove, stored.Kind)
		require.Equal(t, models.ChangePending, stored.Status)
		require.Equal(t, next.Why, stored.Why)
		require.Equal(t, next.Summary, stored.Summary)
		require.Equal(t, next.RuleNames, stored.RuleNames)
		require.True(t, stored.AutoApproved)
		require.Equal(t, &event, stored.PersonEventID)
		require.True(t, at.Equal(stored.EffectiveAt), "effective %v, want %v", stored.EffectiveAt, at)
		require.Len(t, stored.Plan, 1)
		require.Equal(t, next.Plan[0].Params, stored.Plan[0].Params)
		require.Equal(t, next.Plan[0].Rules, stored.Plan[0].Rules)
		require.True(t, at.Equal(stored.Plan[0].At))
		require.Equal(t, made.CreatedAt.UTC().Truncate(time.Microsecond), stored.CreatedAt.UTC().Truncate(time.Microsecond))
		require.Nil(t, stored.DecidedAt)
		require.Nil(t, stored.SupersededByID)

		old, err := store.ChangeByID(f.ctx, f.change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, &made.ID, old.SupersededByID)

		var due, later int64
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("id = ? AND effective_at <= ?", made.ID, at).Count(&due).Error)
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("id = ? AND effective_at > ?", made.ID, at.Add(-time.Microsecond)).Count(&later).Error)
		require.EqualValues(t, 1, due, "due at its own time")
		require.EqualValues(t, 1, later, "and not before")
	})
}
