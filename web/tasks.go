package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
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

// badAssigneeMessage answers a choice the store refused: the admin was
// disabled, demoted or removed since the page was loaded.
const badAssigneeMessage = "Choose an active admin who can mark tasks done (approver or above), an address or nobody."

// tasksPage lists open tasks, soonest due first, and the ones done
// lately; ?mine=1 keeps the signed-in admin's.
func (s *Server) tasksPage(c echo.Context) error {
	return s.renderTasks(c, http.StatusOK, 0, tasks.AssigneeForm{})
}

// renderTasks renders the Tasks page; failedID's reassign form shows
// failed, the input that was refused.
func (s *Server) renderTasks(c echo.Context, status int, failedID int64, failed tasks.AssigneeForm) error {
	ctx := c.Request().Context()
	me := currentAdmin(c)
	f := models.TaskFilter{Limit: openTasksShown}
	if c.QueryParam("mine") != "" {
		f.Mine = me
	}
	open, err := s.store.ListTaskItems(ctx, f)
	if err != nil {
		return err
	}
	f.Done, f.Limit = true, doneTasksShown+1
	done, err := s.store.ListTaskItems(ctx, f)
	if err != nil {
		return err
	}
	admins, err := s.adminsByID(ctx)
	if err != nil {
		return err
	}
	v := tasks.View{CanMark: me.Role.AtLeast(models.RoleApprover), CanAssign: me.Role.AtLeast(models.RoleAdmin), Mine: f.Mine != nil}
	if v.CanAssign {
		v.Assignees = assigneeOptions(admins)
	}
	if len(done) > doneTasksShown {
		done, v.DoneMore = done[:doneTasksShown], true
	}
	now := time.Now()
	for _, t := range open {
		tv := taskView(&t, admins, now)
		if t.ID == failedID {
			tv.Assign = failed
		}
		v.Open = append(v.Open, tv)
	}
	for _, t := range done {
		v.Done = append(v.Done, taskView(&t, admins, now))
	}
	return render(c, status, tasks.Page(s.page(c, "Tasks", "tasks"), v))
}

// taskView is a task as the page shows it.
func taskView(t *models.TaskItem, admins map[int64]*models.Admin, now time.Time) tasks.Task {
	v := tasks.Task{ID: t.ID, Title: t.Title, PersonID: t.Person.ID, PersonName: t.Person.DisplayName(),
		Due: formatTime(t.DueAt), DueISO: t.DueAt.UTC().Format(time.RFC3339), Overdue: t.DoneAt == nil && t.DueAt.Before(now),
		AppID: t.App.ID, AppName: t.App.Name, Assign: assigneeForm(t.Assignee()), DoneBy: t.DoneBy}
	v.Assignee, v.AssigneeInactive = assigneeLabel(t.Assignee(), admins)
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

// taskAssign gives an open task to an admin, an address or nobody; the
// new assignee is mailed.
func (s *Server) taskAssign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	in := readAssigneeInput(c)
	to, msg := in.Validate()
	if msg == "" {
		err = s.store.AssignTask(ctx, actor(c), id, to, time.Now())
		switch {
		case errors.Is(err, models.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound)
		case errors.Is(err, models.ErrConflict):
			return s.redirectWithFlash(c, "/tasks", "error", "That task is done already: reopen it to reassign it.")
		case errors.Is(err, models.ErrBadAssignee):
			msg = badAssigneeMessage
		case err != nil:
			return err
		}
	}
	if msg != "" {
		form := in.form()
		form.Error = msg
		return s.renderTasks(c, http.StatusUnprocessableEntity, id, form)
	}
	if to.IsZero() {
		return s.redirectWithFlash(c, "/tasks", "success", "Task unassigned.")
	}
	admins, err := s.adminsByID(ctx)
	if err != nil {
		return err
	}
	label, _ := assigneeLabel(to, admins)
	return s.redirectWithFlash(c, "/tasks", "success", "Task assigned to "+label+", who gets an email about it.")
}

// assigneeInput is the assignee picker as posted: To is tasks.ToNobody,
// tasks.ToEmail or an admin's ID.
type assigneeInput struct {
	To    string
	Email string
	// Chosen is whether "to" was posted at all: the picker always sends
	// it, and "nobody" is its empty value, so a form without it would
	// otherwise unassign.
	Chosen bool
}

func readAssigneeInput(c echo.Context) assigneeInput {
	return assigneeInput{To: strings.TrimSpace(c.FormValue("to")), Email: strings.TrimSpace(c.FormValue("email")),
		Chosen: posted(c, "to")}
}

// Validate returns the chosen assignee, or a message for the picker.
// Whether an admin may take tasks is the store's to check.
func (in assigneeInput) Validate() (models.Assignee, string) {
	if !in.Chosen {
		return models.Assignee{}, badAssigneeMessage
	}
	switch in.To {
	case tasks.ToNobody:
		return models.Assignee{}, ""
	case tasks.ToEmail:
		if in.Email == "" {
			return models.Assignee{}, "Enter the address tasks go to, like it-desk@example.com."
		}
		addr, err := models.NormalizeEmail(in.Email)
		if err != nil {
			return models.Assignee{}, "This is not a valid email address. Enter one like it-desk@example.com."
		}
		return models.Assignee{Email: addr}, ""
	}
	id, err := strconv.ParseInt(in.To, 10, 64)
	if err != nil || id <= 0 {
		return models.Assignee{}, badAssigneeMessage
	}
	return models.AssignedAdmin(id), ""
}

// form is the input as the picker shows it again.
func (in assigneeInput) form() tasks.AssigneeForm {
	return tasks.AssigneeForm{To: in.To, Email: in.Email}
}

// assigneeForm is the picker showing a stored assignee.
func assigneeForm(a models.Assignee) tasks.AssigneeForm {
	switch {
	case a.AdminID != nil:
		return tasks.AssigneeForm{To: strconv.FormatInt(*a.AdminID, 10)}
	case a.Email != "":
		return tasks.AssigneeForm{To: tasks.ToEmail, Email: a.Email}
	}
	return tasks.AssigneeForm{}
}

// assigneeLabel names an assignee ("" for nobody) and says whether an
// assigned admin can no longer take tasks.
func assigneeLabel(a models.Assignee, admins map[int64]*models.Admin) (label string, inactive bool) {
	if a.AdminID == nil {
		return a.Email, false
	}
	admin, ok := admins[*a.AdminID]
	if !ok {
		return "admin " + strconv.FormatInt(*a.AdminID, 10), true
	}
	return admin.Label(), !admin.CanTakeTasks()
}

// adminsByID maps every admin by ID, for naming assignees.
func (s *Server) adminsByID(ctx context.Context) (map[int64]*models.Admin, error) {
	list, err := s.store.ListAdmins(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*models.Admin, len(list))
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

// assigneeOptions are the admins who can take tasks, by label.
func assigneeOptions(admins map[int64]*models.Admin) []tasks.AssigneeOption {
	var out []tasks.AssigneeOption
	for _, a := range admins {
		if a.CanTakeTasks() {
			out = append(out, tasks.AssigneeOption{ID: a.ID, Label: a.Label()})
		}
	}
	slices.SortFunc(out, func(a, b tasks.AssigneeOption) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)), cmp.Compare(a.ID, b.ID))
	})
	return out
}
