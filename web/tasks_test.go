package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// laptopTask approves, through the page, a joiner's change whose only
// step is a manual app's, and opens the task its action becomes, as the
// worker would.
func laptopTask(t *testing.T, srv *testServer, f *queueFixture, b *browser) (*models.Change, *models.Task) {
	t.Helper()
	p := f.person(personSpec{first: "Ada", last: "Lovelace", title: "Engineer"})
	c := f.change(p, models.Change{Kind: models.ChangeJoin, RuleNames: "Laptops",
		Plan: []models.PlanStep{{Op: "create_account", AppID: f.laptop.ID}}},
		rules.Why{Trigger: "joined"})
	page := b.post("/team-updates/approve?tab=invite", url.Values{"row": {fmt.Sprint(c.ID)}})
	page.requireRedirect(http.StatusSeeOther, "/team-updates?tab=invite")
	actions := srv.actionsOf(t, c.ID)
	require.Len(t, actions, 1)
	task := &models.Task{ActionID: actions[0].ID, Title: "Set up Laptop for Ada Lovelace",
		Details: "Ada Lovelace (ada.lovelace@example.com), Engineer\nshipping_kit: standard", DueAt: time.Now().Add(-time.Hour), AssigneeEmail: "it@example.com"}
	_, err := srv.Store.EnsureTask(context.Background(), task)
	require.NoError(t, err)
	return c, task
}

func TestTasksPage(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		me := b.signInAs(models.RoleApprover)

		p := b.get("/tasks")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("tasks-empty").Length())
		require.Equal(t, "/tasks", p.TestID("nav-tasks").AttrOr("href", ""))
		require.True(t, p.TestID("nav-tasks").HasClass("active"))

		change, task := laptopTask(t, srv, f, b)
		p = b.get("/tasks")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "1", p.Text("open-count"))
		row := p.TestID("task-row")
		require.Equal(t, 1, row.Length())
		require.Contains(t, squash(row.Find(`[data-testid="task-title"]`).Text()), "Set up Laptop for Ada Lovelace")
		require.Contains(t, squash(row.Find(`[data-testid="task-title"]`).Text()), "shipping_kit: standard")
		require.Equal(t, "Ada Lovelace", squash(row.Find(`[data-testid="task-person"]`).Text()))
		require.Contains(t, squash(row.Find(`[data-testid="task-due"]`).Text()), "overdue")
		require.Equal(t, "it@example.com", squash(row.Find(`[data-testid="task-assignee"]`).Text()))
		form := row.Find(`[data-testid="task-done"]`).Closest("form")
		donePath := fmt.Sprintf("/tasks/%d/done", task.ID)
		require.Equal(t, donePath, form.AttrOr("action", ""))

		// Marking it done completes the action and, its only one, the change.
		b.post(donePath, nil).requireRedirect(http.StatusSeeOther, "/tasks")
		p = b.get("/tasks")
		require.Contains(t, p.Flash("success"), "Task done")
		require.Zero(t, p.TestID("task-row").Length())
		done := p.TestID("done-row")
		require.Equal(t, 1, done.Length())
		require.Equal(t, me.Email, squash(done.Find(`[data-testid="task-done-by"]`).Text()))
		require.Equal(t, models.ChangeDone, srv.changeStatus(t, change.ID))
		require.Equal(t, models.ActionDone, srv.actionsOf(t, change.ID)[0].Status)
		require.Len(t, srv.auditEvents(t, models.ActionTaskDone), 1)
		p = b.get("/team-updates?tab=history")
		require.Equal(t, []string{"ada.lovelace@example.com"}, decidedEmails(p))

		// Undo reopens it.
		b.post(fmt.Sprintf("/tasks/%d/undone", task.ID), nil).requireRedirect(http.StatusSeeOther, "/tasks")
		p = b.get("/tasks")
		require.Contains(t, p.Flash("success"), "reopened")
		require.Equal(t, 1, p.TestID("task-row").Length())
		require.Zero(t, p.TestID("done-row").Length())
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, change.ID))
		require.Len(t, srv.auditEvents(t, models.ActionTaskUndone), 1)

		b.post("/tasks/999999/done", nil).requireStatus(http.StatusNotFound)
	})
}

func TestViewersCannotMarkTasks(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		approver := srv.browser(t)
		approver.signInAs(models.RoleApprover)
		change, task := laptopTask(t, srv, f, approver)

		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get("/tasks")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("task-row").Length())
		require.Zero(t, p.TestID("task-done").Length())
		b.post(fmt.Sprintf("/tasks/%d/done", task.ID), nil).requireStatus(http.StatusForbidden)
		b.post(fmt.Sprintf("/tasks/%d/undone", task.ID), nil).requireStatus(http.StatusForbidden)
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, change.ID))
	})
}
