package models_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// The runner's batched read gives each action, in the order asked, what
// ActionWaiting and the single reads give: its waits, app, person and
// entitlement; an action that is gone is nil and spoils no other.
func TestActionsToRun(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		steps := f.approve(t)
		const gone = 1 << 40
		ids := []int64{steps[2].ID, gone, steps[0].ID, steps[1].ID, steps[0].ID}
		got, err := store.ActionsToRun(f.ctx, ids)
		require.NoError(t, err)
		require.Len(t, got, len(ids))
		require.Nil(t, got[1], "an action that is gone")
		person, err := store.PersonByID(f.ctx, f.person)
		require.NoError(t, err)
		for i, id := range ids {
			if id == gone {
				continue
			}
			r := got[i]
			require.NotNil(t, r, "action %d", id)
			require.Equal(t, id, r.Action.ID)
			a, waiting, err := store.ActionWaiting(f.ctx, id)
			require.NoError(t, err)
			require.Equal(t, a.Op, r.Action.Op)
			require.Equal(t, a.Params, r.Action.Params)
			require.Equal(t, waiting, r.Waiting, "action %d", id)
			require.Equal(t, a.AppID, r.App.ID)
			require.Equal(t, person.ID, r.Person.ID)
			require.Equal(t, person.WorkEmail, r.Person.WorkEmail)
			require.Equal(t, person.Hash, r.Person.Hash)
			if a.EntitlementID == nil {
				require.Nil(t, r.Entitlement)
			} else {
				require.Equal(t, f.ent.ID, r.Entitlement.ID)
				require.Equal(t, "eng", r.Entitlement.Key)
				require.Equal(t, f.ent.Kind, r.Entitlement.Kind)
				require.Equal(t, f.ent.Name, r.Entitlement.Name)
				require.Equal(t, f.webApp.ID, r.Entitlement.AppID)
			}
		}
		require.EqualValues(t, 1, got[3].Waiting, "the grant waits for its app's account")
		require.Equal(t, f.manual.ID, got[0].App.ID)
		require.Equal(t, models.AppManual, got[0].App.Kind)

		// An entitlement deleted under a grant leaves the grant without one.
		require.NoError(t, db.Gorm.Exec("DELETE FROM entitlements WHERE id = ?", f.ent.ID).Error)
		got, err = store.ActionsToRun(f.ctx, []int64{steps[1].ID})
		require.NoError(t, err)
		require.Nil(t, got[0].Entitlement)
	})
}

// Starting many attempts in one statement starts only those still to run,
// once each, and counts the attempt.
func TestStartAttempts(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		steps := f.approve(t)
		require.NoError(t, db.Gorm.Exec("UPDATE actions SET status = ? WHERE id = ?", models.ActionCancelled, steps[2].ID).Error)
		started, err := store.StartAttempts(f.ctx, []int64{steps[0].ID, steps[1].ID, steps[2].ID, 1 << 40}, f.now)
		require.NoError(t, err)
		require.Len(t, started, 2)
		for _, s := range steps[:2] {
			require.Equal(t, models.ActionRunning, started[s.ID].Status)
			require.Equal(t, 1, started[s.ID].Attempts)
		}
		_, run, err := store.StartAttempt(f.ctx, steps[2].ID, f.now)
		require.NoError(t, err)
		require.False(t, run, "a cancelled action is not started")
	})
}
