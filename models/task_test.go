package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// approvedActions approves the fixture's change and returns its actions
// (the last one is the manual app's).
func approvedActions(t *testing.T, f *decideFixture) []models.Action {
	t.Helper()
	_, _, err := f.store.ApproveChanges(f.ctx, tester, models.Decision{ChangeIDs: []int64{f.change.ID}}, f.now,
		func(*models.Store, []*models.Action) error { return nil })
	require.NoError(t, err)
	actions, err := f.store.ActionsOf(f.ctx, f.change.ID)
	require.NoError(t, err)
	require.Len(t, actions, 3)
	return actions
}

// assignedCalls records the tasks the OnTaskAssigned function saw.
type assignedCalls struct{ tasks []models.Task }

func (c *assignedCalls) record(_ context.Context, _ *models.Store, t *models.Task) error {
	c.tasks = append(c.tasks, *t)
	return nil
}

func assigneeEvents(t *testing.T, f *decideFixture, action string) []models.AuditEvent {
	t.Helper()
	events, _, err := f.store.ListAuditEvents(f.ctx, models.AuditFilter{Action: action, Limit: 100})
	require.NoError(t, err)
	return events
}

func TestAppTaskAssignee(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		it, err := store.CreateAdmin(f.ctx, tester, "it@example.com", "IT desk", models.RoleApprover)
		require.NoError(t, err)
		viewer, err := store.CreateAdmin(f.ctx, tester, "viewer@example.com", "", models.RoleViewer)
		require.NoError(t, err)
		app := func() *models.App {
			a, err := store.AppByID(f.ctx, f.manual.ID)
			require.NoError(t, err)
			return a
		}
		require.True(t, app().TaskAssignee().IsZero(), "nobody until set")

		require.NoError(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.AssignedAdmin(it.ID)))
		require.Equal(t, models.AssignedAdmin(it.ID), app().TaskAssignee())
		require.NoError(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.AssignedAdmin(it.ID)), "saving it again")
		events := assigneeEvents(t, f, models.ActionAppTaskAssignee)
		require.Len(t, events, 1, "an unchanged assignee is not audited again")
		require.JSONEq(t, `{"admin_id":`+itoa(it.ID)+`,"email":"it@example.com"}`, *events[0].After)

		require.NoError(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.Assignee{Email: "  Desk@Example.COM "}))
		require.Equal(t, models.Assignee{Email: "desk@example.com"}, app().TaskAssignee(), "an address replaces the admin, normalised")
		events = assigneeEvents(t, f, models.ActionAppTaskAssignee)
		require.Len(t, events, 2)
		require.JSONEq(t, `{"admin_id":`+itoa(it.ID)+`,"email":"it@example.com"}`, *events[0].Before)

		for name, to := range map[string]models.Assignee{
			"unknown admin": models.AssignedAdmin(999999),
			"viewer":        models.AssignedAdmin(viewer.ID),
			"bad address":   {Email: "not an address"},
		} {
			err := store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, to)
			require.ErrorIs(t, err, models.ErrBadAssignee, name)
		}
		require.NoError(t, store.SetAdminDisabled(f.ctx, tester, it.ID, true))
		require.ErrorIs(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.AssignedAdmin(it.ID)), models.ErrBadAssignee, "disabled")
		require.Equal(t, models.Assignee{Email: "desk@example.com"}, app().TaskAssignee(), "refusals change nothing")
		require.ErrorIs(t, store.SetAppTaskAssignee(f.ctx, tester, f.webApp.ID, models.Assignee{Email: "x@example.com"}), models.ErrNotFound,
			"webhook apps have no tasks")

		require.NoError(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.Assignee{}))
		require.True(t, app().TaskAssignee().IsZero(), "cleared")
		require.Len(t, assigneeEvents(t, f, models.ActionAppTaskAssignee), 3)
	})
}

func TestDeletingAnAdminClearsTheirAssignments(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		it, err := store.CreateAdmin(f.ctx, tester, "it@example.com", "", models.RoleAdmin)
		require.NoError(t, err)
		require.NoError(t, store.SetAppTaskAssignee(f.ctx, tester, f.manual.ID, models.AssignedAdmin(it.ID)))
		actions := approvedActions(t, f)
		task := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now, AssigneeAdminID: &it.ID}
		_, err = store.EnsureTask(f.ctx, task)
		require.NoError(t, err)
		require.Equal(t, &it.ID, task.AssigneeAdminID)

		require.NoError(t, db.Gorm.Exec("DELETE FROM admins WHERE id = ?", it.ID).Error)
		app, err := store.AppByID(f.ctx, f.manual.ID)
		require.NoError(t, err)
		require.True(t, app.TaskAssignee().IsZero())
		task, err = store.TaskByID(f.ctx, task.ID)
		require.NoError(t, err)
		require.True(t, task.Assignee().IsZero(), "the task is unassigned, not lost")
	})
}

func TestEnsureTaskAnnouncesItsAssigneeOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		calls := &assignedCalls{}
		store.OnTaskAssigned(calls.record)
		actions := approvedActions(t, f)

		task := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now, AssigneeEmail: "IT@example.com"}
		created, err := store.EnsureTask(f.ctx, task)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "it@example.com", task.AssigneeEmail)
		again := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now, AssigneeEmail: "it@example.com"}
		created, err = store.EnsureTask(f.ctx, again)
		require.NoError(t, err)
		require.False(t, created)
		require.Len(t, calls.tasks, 1, "a task that exists is not announced again")
		require.Equal(t, task.ID, calls.tasks[0].ID, "the function sees the new task's ID")

		// A failing announcement rolls the task back: the job retries both.
		boom := errors.New("outbox down")
		store.OnTaskAssigned(func(context.Context, *models.Store, *models.Task) error { return boom })
		other := &models.Task{ActionID: actions[0].ID, Title: "Other", DueAt: f.now, AssigneeEmail: "it@example.com"}
		created, err = store.EnsureTask(f.ctx, other)
		require.ErrorIs(t, err, boom)
		require.False(t, created)
		open, err := store.ListTasks(f.ctx, false, 10)
		require.NoError(t, err)
		require.Len(t, open, 1)

		// Unassigned tasks, and tasks for an admin disabled since, announce nothing.
		store.OnTaskAssigned(calls.record)
		gone, err := store.CreateAdmin(f.ctx, tester, "gone@example.com", "", models.RoleApprover)
		require.NoError(t, err)
		require.NoError(t, store.SetAdminDisabled(f.ctx, tester, gone.ID, true))
		disabled := &models.Task{ActionID: actions[0].ID, Title: "Other", DueAt: f.now, AssigneeAdminID: &gone.ID}
		created, err = store.EnsureTask(f.ctx, disabled)
		require.NoError(t, err)
		require.True(t, created)
		require.True(t, disabled.Assignee().IsZero(), "a disabled admin gets no new tasks")
		nobody := &models.Task{ActionID: actions[1].ID, Title: "Third", DueAt: f.now}
		_, err = store.EnsureTask(f.ctx, nobody)
		require.NoError(t, err)
		require.Len(t, calls.tasks, 1)
	})
}

func TestAssignTask(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		calls := &assignedCalls{}
		store.OnTaskAssigned(calls.record)
		it, err := store.CreateAdmin(f.ctx, tester, "it@example.com", "", models.RoleApprover)
		require.NoError(t, err)
		actions := approvedActions(t, f)
		task := &models.Task{ActionID: actions[2].ID, Title: "Laptop for Ada", DueAt: f.now}
		_, err = store.EnsureTask(f.ctx, task)
		require.NoError(t, err)
		require.Empty(t, calls.tasks)

		require.NoError(t, store.AssignTask(f.ctx, tester, task.ID, models.AssignedAdmin(it.ID), f.now))
		require.NoError(t, store.AssignTask(f.ctx, tester, task.ID, models.AssignedAdmin(it.ID), f.now), "again: nothing to do")
		require.Len(t, calls.tasks, 1)
		require.Equal(t, &it.ID, calls.tasks[0].AssigneeAdminID)
		require.NoError(t, store.AssignTask(f.ctx, tester, task.ID, models.Assignee{Email: "desk@example.com"}, f.now.Add(time.Minute)))
		require.Len(t, calls.tasks, 2)
		require.Equal(t, "desk@example.com", calls.tasks[1].AssigneeEmail)
		require.Nil(t, calls.tasks[1].AssigneeAdminID)

		events := assigneeEvents(t, f, models.ActionTaskAssigned)
		require.Len(t, events, 2)
		require.Equal(t, "Laptop for Ada", events[0].SubjectLabel)
		require.JSONEq(t, `{"admin_id":`+itoa(it.ID)+`,"email":"it@example.com"}`, *events[0].Before)
		require.JSONEq(t, `{"email":"desk@example.com"}`, *events[0].After)

		require.ErrorIs(t, store.AssignTask(f.ctx, tester, task.ID, models.Assignee{Email: "nope"}, f.now), models.ErrBadAssignee)
		require.ErrorIs(t, store.AssignTask(f.ctx, tester, 999999, models.Assignee{}, f.now), models.ErrNotFound)
		require.NoError(t, store.AssignTask(f.ctx, tester, task.ID, models.Assignee{}, f.now), "unassign")
		require.Len(t, calls.tasks, 2, "nobody to mail")
		require.NoError(t, store.SetTaskDone(f.ctx, tester, task.ID, true, f.now))
		require.ErrorIs(t, store.AssignTask(f.ctx, tester, task.ID, models.AssignedAdmin(it.ID), f.now), models.ErrConflict, "done tasks stay")
	})
}

func TestListTaskItemsMine(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newDecideFixture(t, store)
		me, err := store.CreateAdmin(f.ctx, tester, "me@example.com", "", models.RoleApprover)
		require.NoError(t, err)
		actions := approvedActions(t, f)
		for i, to := range []models.Assignee{models.AssignedAdmin(me.ID), {Email: "me@example.com"}, {Email: "other@example.com"}} {
			task := &models.Task{ActionID: actions[i].ID, Title: "task " + itoa(int64(i)), DueAt: f.now.Add(time.Duration(i) * time.Hour),
				AssigneeAdminID: to.AdminID, AssigneeEmail: to.Email}
			_, err := store.EnsureTask(f.ctx, task)
			require.NoError(t, err)
		}
		mine, err := store.ListTaskItems(f.ctx, models.TaskFilter{Mine: me})
		require.NoError(t, err)
		require.Equal(t, []string{"task 0", "task 1"}, itemTitles(mine), "by ID or by address")
		require.Equal(t, "ada@example.com", mine[0].Person.WorkEmail)
		require.Equal(t, "GitHub", mine[0].App.Name)
		all, err := store.ListTaskItems(f.ctx, models.TaskFilter{})
		require.NoError(t, err)
		require.Len(t, all, 3)
		done, err := store.ListTaskItems(f.ctx, models.TaskFilter{Done: true, Mine: me})
		require.NoError(t, err)
		require.Empty(t, done)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func itemTitles(items []models.TaskItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Title
	}
	return out
}
