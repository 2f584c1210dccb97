package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// pendingJoiners stores n people with a pending join change of two steps
// each and returns the change ids.
func pendingJoiners(t *testing.T, db *models.DB, store *models.Store, n int) ([]int64, *models.App) {
	t.Helper()
	ctx := context.Background()
	src, err := store.EnsureCSVSource(ctx, tester, "HR")
	require.NoError(t, err)
	app, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	ent, err := store.CreateEntitlement(ctx, tester, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
	require.NoError(t, err)
	people := make([]*models.Person, n)
	for i := range people {
		people[i] = &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: fmt.Sprintf("E%05d", i),
			FirstName: "P", LastName: fmt.Sprint(i), Status: models.StatusActive, Groups: []string{}, Custom: map[string]string{}}}
	}
	require.NoError(t, db.Gorm.CreateInBatches(people, 500).Error)
	now := time.Now().UTC()
	changes := make([]*models.Change, n)
	for i, p := range people {
		changes[i] = &models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending, Why: "{}",
			Plan:        []models.PlanStep{{Op: "create_account", AppID: app.ID}, {Op: "grant", AppID: app.ID, EntitlementID: ent.ID}},
			EffectiveAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	}
	require.NoError(t, db.Gorm.CreateInBatches(changes, 500).Error)
	ids := make([]int64, n)
	for i, c := range changes {
		ids[i] = c.ID
	}
	return ids, app
}

func countWhere(t *testing.T, db *models.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Gorm.Table(table).Where(where, args...).Count(&n).Error)
	return n
}

// A bulk decision (issue 10) is set-based and committed batch by batch:
// 1,200 changes are each approved once with their actions, jobs and audit
// rows; an id listed twice or no longer pending is skipped; and when a
// later batch fails, the earlier ones stay approved, that batch and the
// rest stay pending with no actions, and the error says how many went.
func TestBulkDecisionsInBatches(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		ids, _ := pendingJoiners(t, db, store, 1900)
		now := time.Now()

		_, _, err := store.RejectChanges(ctx, tester, models.Decision{ChangeIDs: ids[1200:1250], Comment: "not these"}, now)
		require.NoError(t, err)

		var scheduled []*models.Action
		batches := 0
		list := append(append([]int64{}, ids[:1200]...), ids[5], ids[1210], 999999)
		approved, skipped, err := store.ApproveChanges(ctx, tester, models.Decision{ChangeIDs: list, Comment: "all of them"}, now,
			func(tx *models.Store, as []*models.Action) error {
				batches++
				scheduled = append(scheduled, as...)
				return nil
			})
		require.NoError(t, err)
		require.Equal(t, ids[:1200], approved, "approved in the order asked")
		require.Equal(t, []int64{ids[5], ids[1210], 999999}, skipped, "a repeat, a rejected change and a missing one are skipped")
		require.Equal(t, 3, batches, "1,203 ids are decided in three transactions")
		require.Len(t, scheduled, 2400)
		require.EqualValues(t, 2400, countWhere(t, db, "actions", "status = ?", models.ActionScheduled))
		for _, a := range scheduled {
			require.NotZero(t, a.ID, "each scheduled action has its id for its job")
		}
		require.EqualValues(t, 1200, countWhere(t, db, "changes", "status = ? AND decided_by = ? AND comment = ?", models.ChangeScheduled, tester.Email, "all of them"))
		require.EqualValues(t, 1200, countWhere(t, db, "audit_events", "action = ?", models.ActionChangeApproved))
		require.EqualValues(t, 50, countWhere(t, db, "audit_events", "action = ?", models.ActionChangeRejected))
		require.EqualValues(t, 50, countWhere(t, db, "changes", "status = ? AND comment = ?", models.ChangeRejected, "not these"))

		// A failure in the second of two batches.
		boom := errors.New("job insert failed")
		list = ids[1250:] // 650 pending: two batches
		calls := 0
		approved, _, err = store.ApproveChanges(ctx, tester, models.Decision{ChangeIDs: list}, now,
			func(tx *models.Store, as []*models.Action) error {
				if calls++; calls == 2 {
					return boom
				}
				return nil
			})
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, "500 changes were approved before this")
		require.Equal(t, list[:500], approved)
		require.EqualValues(t, 150, countWhere(t, db, "changes", "status = ?", models.ChangePending), "the failed batch still waits")
		require.EqualValues(t, 0, countWhere(t, db, "actions", "change_id IN ?", list[500:]), "and has no actions")
	})
}
