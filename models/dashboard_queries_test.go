package models_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestScheduledActionsBetween(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		n, rows, err := store.ScheduledActionsBetween(f.ctx, f.now, f.now.Add(24*time.Hour), 5)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Empty(t, rows)

		actions := f.approve(t)
		require.Len(t, actions, 3)
		day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
		// two today (the later one first by id), one tomorrow
		require.NoError(t, db.Gorm.Model(&models.Action{}).Where("id = ?", actions[0].ID).Updates(map[string]any{"run_at": day.Add(15 * time.Hour), "status": models.ActionScheduled}).Error)
		require.NoError(t, db.Gorm.Model(&models.Action{}).Where("id = ?", actions[1].ID).Updates(map[string]any{"run_at": day.Add(9 * time.Hour), "status": models.ActionScheduled}).Error)
		require.NoError(t, db.Gorm.Model(&models.Action{}).Where("id = ?", actions[2].ID).Updates(map[string]any{"run_at": day.Add(25 * time.Hour), "status": models.ActionScheduled}).Error)

		n, rows, err = store.ScheduledActionsBetween(f.ctx, day, day.Add(24*time.Hour), 1)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "the count is of all matching actions, not the page")
		require.Len(t, rows, 1)
		require.Equal(t, actions[1].ID, rows[0].ID, "soonest first")
		require.Equal(t, "Ada Lovelace", rows[0].DisplayName())
		require.Equal(t, "GitHub", rows[0].AppName)
		require.Equal(t, f.person, rows[0].PersonID)
		require.True(t, rows[0].RunAt.Equal(day.Add(9*time.Hour)), "run at %v", rows[0].RunAt)

		require.NoError(t, db.Gorm.Model(&models.Action{}).Where("id = ?", actions[1].ID).Update("status", models.ActionDone).Error)
		n, rows, err = store.ScheduledActionsBetween(f.ctx, day, day.Add(24*time.Hour), 5)
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "only scheduled ones")
		require.Len(t, rows, 1)
		require.Equal(t, actions[0].ID, rows[0].ID)
	})
}
