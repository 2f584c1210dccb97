package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/tasks"
)

const (
	openTasksShown = 200
	doneTasksShown = 50
)

// tasksPage lists open tasks, soonest due first, and the ones done
// lately.
func (s *Server) tasksPage(c echo.Context) error {
	ctx := c.Request().Context()
	open, err := s.store.ListTaskRows(ctx, false, openTasksShown)
	if err != nil {
		return err
	}
	done, err := s.store.ListTaskRows(ctx, true, doneTasksShown+1)
	if err != nil {
		return err
	}
	admins, err := s.store.ListAdmins(ctx)
	if err != nil {
		return err
	}
	emails := make(map[int64]string, len(admins))
	for _, a := range admins {
		emails[a.ID] = a.Email
	}
	v := tasks.View{CanMark: currentAdmin(c).Role.AtLeast(models.RoleApprover)}
	if len(done) > doneTasksShown {
		done, v.DoneMore = done[:doneTasksShown], true
	}
	now := time.Now()
	for _, t := range open {
		v.Open = append(v.Open, taskView(&t, emails, now))
	}
	for _, t := range done {
		v.Done = append(v.Done, taskView(&t, emails, now))
	}
	return render(c, http.StatusOK, tasks.Page(s.page(c, "Tasks", "tasks"), v))
}

// taskView is a task as the page shows it.
func taskView(t *models.TaskRow, admins map[int64]string, now time.Time) tasks.Task {
	v := tasks.Task{ID: t.ID, Title: t.Title, PersonID: t.Person.ID, PersonName: t.Person.DisplayName(),
		Due: formatTime(t.DueAt), DueISO: t.DueAt.UTC().Format(time.RFC3339), Overdue: t.DoneAt == nil && t.DueAt.Before(now),
		Assignee: t.AssigneeEmail, DoneBy: t.DoneBy}
	if t.AssigneeAdminID != nil {
		v.Assignee = admins[*t.AssigneeAdminID]
	}
	if t.DoneAt != nil {
		v.DoneAt = formatTime(*t.DoneAt)
	}
	for line := range strings.SplitSeq(t.Details, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			v.Details = append(v.Details, line)
		}
	}
	return v
}

// taskDone marks a task done, which completes its action.
func (s *Server) taskDone(c echo.Context) error {
	return s.setTaskDone(c, true, "Task done; its action is complete.")
}

// taskUndone reopens a task marked done by mistake; its change waits for
// it again.
func (s *Server) taskUndone(c echo.Context) error {
	return s.setTaskDone(c, false, "Task reopened; its change waits for it again.")
}

func (s *Server) setTaskDone(c echo.Context, done bool, msg string) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	err = s.store.SetTaskDone(c.Request().Context(), actor(c), id, done, time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/tasks", "success", msg)
}
