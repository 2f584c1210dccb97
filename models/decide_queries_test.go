package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// decidedPerson adds a person in department with a pending join over app,
// effective at.
func decidedPerson(t *testing.T, db *models.DB, store *models.Store, sourceID int64, n int, department string, app int64, at time.Time) *models.Change {
	t.Helper()
	p := &models.Person{SourceID: sourceID, PersonFields: models.PersonFields{
		ExternalID: fmt.Sprintf("D%03d", n), FirstName: "Person", LastName: fmt.Sprintf("Number%d", n),
		WorkEmail: fmt.Sprintf("p%d@example.com", n), Department: department, Status: models.StatusActive,
		Groups: []string{}, Custom: map[string]string{}}}
	p.Hash = p.PersonFields.Hash()
	require.NoError(t, db.Gorm.Create(p).Error)
	c, err := store.ReplaceOpenChange(context.Background(), p.ID, &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: at,
		Plan: []models.PlanStep{{Op: "create_account", AppID: app}, {Op: "create_account", AppID: app}}})
	require.NoError(t, err)
	return c
}

func TestListDecided(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		ctx := f.ctx
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		noop := func(*models.Store, []*models.Action) error { return nil }
		at := f.now.Add(48 * time.Hour)

		later := decidedPerson(t, db, store, src.ID, 1, "Sales", f.webApp.ID, at.Add(time.Hour))
		sooner := decidedPerson(t, db, store, src.ID, 2, "Engineering", f.webApp.ID, at)
		failed := decidedPerson(t, db, store, src.ID, 3, "Engineering", f.webApp.ID, at)
		rejected := decidedPerson(t, db, store, src.ID, 4, "Sales", f.webApp.ID, at)
		_, _, err = store.ApproveChanges(ctx, tester, models.Decision{ChangeIDs: []int64{later.ID, sooner.ID, failed.ID}}, f.now, noop)
		require.NoError(t, err)
		_, _, err = store.RejectChanges(ctx, tester, models.Decision{ChangeIDs: []int64{rejected.ID}, Comment: "no"}, f.now.Add(time.Minute))
		require.NoError(t, err)
		actions, err := store.ActionsOf(ctx, failed.ID)
		require.NoError(t, err)
		_, _, err = store.StartAttempt(ctx, actions[1].ID, f.now)
		require.NoError(t, err)
		require.NoError(t, store.FailAction(ctx, tester, actions[1].ID, models.AttemptResult{Error: "503 Service Unavailable", ResponseStatus: 503}, f.now))

		scheduled := []models.ChangeStatus{models.ChangeScheduled, models.ChangeRunning}
		rows, total, err := store.ListDecided(ctx, models.DecidedFilter{Statuses: scheduled})
		require.NoError(t, err)
		require.EqualValues(t, 2, total)
		require.Equal(t, []int64{sooner.ID, later.ID}, changeIDs(rows), "soonest effective first")
		require.Equal(t, "p2@example.com", rows[0].Person.WorkEmail, "with their people")

		rows, total, err = store.ListDecided(ctx, models.DecidedFilter{Statuses: scheduled, Department: "Sales"})
		require.NoError(t, err)
		require.EqualValues(t, 1, total)
		require.Equal(t, []int64{later.ID}, changeIDs(rows))

		rows, _, err = store.ListDecided(ctx, models.DecidedFilter{Statuses: []models.ChangeStatus{models.ChangeFailed}, Search: "number3", Latest: true})
		require.NoError(t, err)
		require.Equal(t, []int64{failed.ID}, changeIDs(rows))

		history := []models.ChangeStatus{models.ChangeDone, models.ChangeRejected, models.ChangeSuperseded}
		rows, total, err = store.ListDecided(ctx, models.DecidedFilter{Statuses: history, Latest: true, Limit: 1})
		require.NoError(t, err)
		require.EqualValues(t, 1, total)
		require.Equal(t, []int64{rejected.ID}, changeIDs(rows))
		require.Equal(t, "no", rows[0].Comment)

		counts, err := store.DecidedCounts(ctx, models.DecidedFilter{})
		require.NoError(t, err)
		require.Equal(t, map[models.ChangeStatus]int64{models.ChangeScheduled: 2, models.ChangeFailed: 1, models.ChangeRejected: 1}, counts)
		counts, err = store.DecidedCounts(ctx, models.DecidedFilter{Department: "Engineering"})
		require.NoError(t, err)
		require.Equal(t, map[models.ChangeStatus]int64{models.ChangeScheduled: 1, models.ChangeFailed: 1}, counts)

		byChange, err := store.ActionsOfChanges(ctx, []int64{failed.ID, sooner.ID, rejected.ID})
		require.NoError(t, err)
		require.Len(t, byChange, 2, "a rejected change has no actions")
		require.Len(t, byChange[failed.ID], 2)
		require.Equal(t, models.ActionScheduled, byChange[failed.ID][0].Status, "in plan order")
		require.Equal(t, models.ActionFailed, byChange[failed.ID][1].Status)
		require.Equal(t, "503 Service Unavailable", byChange[failed.ID][1].LastError)
		require.Equal(t, 1, byChange[failed.ID][1].Attempts)

		got, err := store.ScheduledChangeOf(ctx, sooner.PersonID)
		require.NoError(t, err)
		require.Equal(t, sooner.ID, got.ID, "an approved change still to run")
		_, err = store.ScheduledChangeOf(ctx, failed.PersonID)
		require.ErrorIs(t, err, models.ErrNotFound, "a failed change is not scheduled")
		_, err = store.ScheduledChangeOf(ctx, rejected.PersonID)
		require.ErrorIs(t, err, models.ErrNotFound, "nor a rejected one")
	})
}

func TestListTaskItemsOrder(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		actions := f.approve(t)
		var tasks []*models.Task
		for i, a := range actions {
			task := &models.Task{ActionID: a.ID, Title: fmt.Sprintf("task %d", i), DueAt: f.now.Add(time.Duration(3-i) * time.Hour)}
			_, err := store.EnsureTask(f.ctx, task)
			require.NoError(t, err)
			tasks = append(tasks, task)
		}
		open, err := store.ListTaskItems(f.ctx, models.TaskFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{"task 2", "task 1", "task 0"}, taskTitles(open), "soonest due first")
		require.Equal(t, "ada@example.com", open[0].Person.WorkEmail)

		require.NoError(t, store.SetTaskDone(f.ctx, tester, tasks[0].ID, true, f.now))
		require.NoError(t, store.SetTaskDone(f.ctx, tester, tasks[1].ID, true, f.now.Add(time.Minute)))
		done, err := store.ListTaskItems(f.ctx, models.TaskFilter{Done: true})
		require.NoError(t, err)
		require.Equal(t, []string{"task 1", "task 0"}, taskTitles(done), "latest done first")
		require.Equal(t, tester.Email, done[0].DoneBy)
		require.Equal(t, "ada@example.com", done[0].Person.WorkEmail)
		open, err = store.ListTaskItems(f.ctx, models.TaskFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{"task 2"}, taskTitles(open))
	})
}

func changeIDs(rows []models.ChangeRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func taskTitles(rows []models.TaskItem) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Title
	}
	return out
}

func TestPendingSelection(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		ctx := f.ctx
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		at := f.now.Add(48 * time.Hour)
		eng1 := decidedPerson(t, db, store, src.ID, 1, "Engineering", f.webApp.ID, at)
		sales := decidedPerson(t, db, store, src.ID, 2, "Sales", f.webApp.ID, at)
		eng2 := decidedPerson(t, db, store, src.ID, 3, "Engineering", f.webApp.ID, at)
		approved := decidedPerson(t, db, store, src.ID, 4, "Engineering", f.webApp.ID, at)
		_, _, err = store.ApproveChanges(ctx, tester, models.Decision{ChangeIDs: []int64{approved.ID}}, f.now,
			func(*models.Store, []*models.Action) error { return nil })
		require.NoError(t, err)

		invite := []int64{f.change.ID, eng1.ID, sales.ID, eng2.ID}
		eng := []int64{eng1.ID, eng2.ID}
		tests := []struct {
			name   string
			filter models.ChangeFilter
			want   []int64
		}{
			{"the whole queue", models.ChangeFilter{Queue: models.QueueInvite}, invite},
			{"a department", models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering"}, eng},
			{"a search", models.ChangeFilter{Queue: models.QueueInvite, Search: "NUMBER2"}, []int64{sales.ID}},
			{"another queue", models.ChangeFilter{Queue: models.QueueTerminate}, []int64{}},
			{"paging is ignored", models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering", Offset: 1, Limit: 1}, eng},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ids, err := store.PendingChangeIDs(ctx, tt.filter, 100)
				require.NoError(t, err)
				require.Equal(t, tt.want, ids)
				sel, err := store.PendingSelection(ctx, tt.filter)
				require.NoError(t, err)
				require.Equal(t, models.SelectionOf(tt.want), sel)
			})
		}

		ids, err := store.PendingChangeIDs(ctx, models.ChangeFilter{Queue: models.QueueInvite}, 3)
		require.NoError(t, err)
		require.Equal(t, invite[:3], ids, "at most limit")

		// Replacing one change by another keeps the count but not the selection.
		before, err := store.PendingSelection(ctx, models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering"})
		require.NoError(t, err)
		_, err = store.ReplaceOpenChange(ctx, eng1.PersonID, &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: at.Add(time.Hour),
			Plan: []models.PlanStep{{Op: "create_account", AppID: f.webApp.ID}}})
		require.NoError(t, err)
		after, err := store.PendingSelection(ctx, models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering"})
		require.NoError(t, err)
		require.Equal(t, before.Count, after.Count)
		require.NotEqual(t, before, after)
	})
}

// TestApproveThousandsMatching approves every pending change a filter
// matches, 1,000 of 1,250, in one call: one transaction, with no list of
// ids bound in one statement (SQLite limits bound variables).
func TestApproveThousandsMatching(t *testing.T) {
	if testing.Short() {
		t.Skip("approves 1,000 changes")
	}
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		const n = 1250
		people := make([]*models.Person, n)
		for i := range people {
			dept := "Engineering"
			if i%5 == 0 {
				dept = "Sales"
			}
			people[i] = &models.Person{SourceID: 1, PersonFields: models.PersonFields{
				ExternalID: fmt.Sprintf("T%05d", i), FirstName: "Bulk", LastName: fmt.Sprintf("%05d", i),
				WorkEmail: fmt.Sprintf("bulk%05d@example.com", i), Department: dept, Status: models.StatusActive,
				Groups: []string{}, Custom: map[string]string{}}}
			people[i].Hash = people[i].PersonFields.Hash()
		}
		require.NoError(t, db.Gorm.CreateInBatches(people, 50).Error)
		changes := make([]*models.Change, n)
		for i, p := range people {
			changes[i] = &models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending, Why: "{}",
				Plan: []models.PlanStep{{Op: "create_account", AppID: f.webApp.ID}}, EffectiveAt: f.now.Add(time.Hour),
				CreatedAt: f.now, UpdatedAt: f.now}
		}
		require.NoError(t, db.Gorm.CreateInBatches(changes, 50).Error)

		filter := models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering"}
		ids, err := store.PendingChangeIDs(f.ctx, filter, 10000)
		require.NoError(t, err)
		require.Len(t, ids, n*4/5)
		scheduled := 0
		approved, skipped, err := store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: ids}, f.now,
			func(_ *models.Store, as []*models.Action) error { scheduled += len(as); return nil })
		require.NoError(t, err)
		require.Len(t, approved, n*4/5)
		require.Empty(t, skipped)
		require.Equal(t, n*4/5, scheduled)

		left, err := store.PendingSelection(f.ctx, models.ChangeFilter{Queue: models.QueueInvite})
		require.NoError(t, err)
		require.EqualValues(t, n/5+1, left.Count, "Sales and the fixture's own change wait")
		var audited int64
		require.NoError(t, db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", models.ActionChangeApproved).Count(&audited).Error)
		require.EqualValues(t, n*4/5, audited, "one audit event per change")
	})
}
