package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
)

// taskMails returns the outbox's task mail, newest first.
func (s *testServer) taskMails(t *testing.T) []models.Email {
	t.Helper()
	all, _, err := s.Store.ListEmails(context.Background(), "", 0, 500)
	require.NoError(t, err)
	var out []models.Email
	for _, e := range all {
		if e.Kind == jobs.KindTaskAssigned {
			out = append(out, e)
		}
	}
	return out
}

// pickerError is the message under an assignee picker's select.
func pickerError(p *page, selectID string) string {
	return strings.TrimSpace(p.Doc().Find("#" + selectID).Closest("fieldset, details").Find(".field-error").Text())
}

func TestAppTaskAssigneeSetting(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		laptop := srv.createApp(t, "Laptop", models.AppManual)
		github := srv.createApp(t, "GitHub", models.AppWebhook)
		it := srv.createAdmin(t, models.RoleApprover)
		viewer := srv.createAdmin(t, models.RoleViewer)
		gone := srv.createAdmin(t, models.RoleAdmin)
		require.NoError(t, srv.Store.SetAdminDisabled(ctx, models.CLIActor, gone.ID, true))
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		path := appPath(laptop.ID) + "/tasks"

		p := b.get(appPath(laptop.ID))
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Text("task-assignee-current"), "Nobody")
		require.Equal(t, path+"#tasks", p.TestID("task-assignee-form").AttrOr("action", ""))
		options := p.Doc().Find("#app-tasks-to option").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") })
		require.Contains(t, options, fmt.Sprint(it.ID))
		require.NotContains(t, options, fmt.Sprint(viewer.ID), "viewers cannot mark tasks done")
		require.NotContains(t, options, fmt.Sprint(gone.ID), "disabled admins take no tasks")
		require.Zero(t, b.get(appPath(github.ID)).TestID("task-settings").Length(), "webhook apps have no tasks")

		for _, tc := range []struct {
			name string
			form url.Values
			want string
		}{
			{"no address", url.Values{"to": {"email"}, "email": {""}}, "Enter the address"},
			{"bad address", url.Values{"to": {"email"}, "email": {"it desk"}}, "not a valid email address"},
			{"viewer", url.Values{"to": {fmt.Sprint(viewer.ID)}}, "approver or above"},
			{"disabled admin", url.Values{"to": {fmt.Sprint(gone.ID)}}, "approver or above"},
			{"unknown admin", url.Values{"to": {"999999"}}, "approver or above"},
			{"nonsense", url.Values{"to": {"root"}}, "approver or above"},
			{"nothing chosen", url.Values{}, "approver or above"},
		} {
			p := b.post(path, tc.form)
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Contains(t, pickerError(p, "app-tasks-to"), tc.want, tc.name)
			require.Equal(t, tc.form.Get("email"), p.Doc().Find("#app-tasks-email").AttrOr("value", ""), "the input is kept")
		}
		require.True(t, srv.appByName(t, "Laptop").TaskAssignee().IsZero(), "refused input changes nothing")
		require.Empty(t, srv.auditEvents(t, models.ActionAppTaskAssignee))

		b.post(path, url.Values{"to": {fmt.Sprint(it.ID)}}).requireRedirect(http.StatusSeeOther, appPath(laptop.ID)+"#tasks")
		require.Equal(t, models.AssignedAdmin(it.ID), srv.appByName(t, "Laptop").TaskAssignee())
		p = b.get(appPath(laptop.ID))
		require.Contains(t, p.Flash("success"), "New Laptop tasks go to "+it.Email)
		require.Equal(t, it.Email, p.Text("task-assignee-current"))
		require.Equal(t, fmt.Sprint(it.ID), p.Doc().Find("#app-tasks-to option[selected]").AttrOr("value", ""))

		b.post(path, url.Values{"to": {"email"}, "email": {"IT-Desk@Example.com"}}).requireStatus(http.StatusSeeOther)
		require.Equal(t, models.Assignee{Email: "it-desk@example.com"}, srv.appByName(t, "Laptop").TaskAssignee())
		b.post(path, url.Values{"to": {""}, "email": {"it-desk@example.com"}}).requireStatus(http.StatusSeeOther)
		require.True(t, srv.appByName(t, "Laptop").TaskAssignee().IsZero(), "nobody, whatever the address field holds")
		require.Len(t, srv.auditEvents(t, models.ActionAppTaskAssignee), 3)

		b.postRaw(path, url.Values{"to": {""}}).requireStatus(http.StatusForbidden) // no CSRF token
		b.post(appPath(github.ID)+"/tasks", url.Values{"to": {"email"}, "email": {"x@example.com"}}).requireStatus(http.StatusNotFound)

		// An assignee disabled since is flagged: new tasks go unassigned.
		b.post(path, url.Values{"to": {fmt.Sprint(it.ID)}}).requireStatus(http.StatusSeeOther)
		require.NoError(t, srv.Store.SetAdminDisabled(ctx, models.CLIActor, it.ID, true))
		require.Equal(t, 1, b.get(appPath(laptop.ID)).TestID("task-assignee-unavailable").Length())

		for _, role := range []models.Role{models.RoleApprover, models.RoleViewer} {
			other := srv.browser(t)
			other.signInAs(role)
			p := other.get(appPath(laptop.ID))
			require.Equal(t, 1, p.TestID("task-settings").Length(), "%s sees the setting", role)
			require.Zero(t, p.TestID("task-assignee-form").Length(), "%s cannot change it", role)
			other.post(path, url.Values{"to": {""}}).requireStatus(http.StatusForbidden)
		}
		require.Equal(t, models.AssignedAdmin(it.ID), srv.appByName(t, "Laptop").TaskAssignee())
	})
}

func TestTaskReassign(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		me := b.signInAs(models.RoleAdmin)
		it := srv.createAdmin(t, models.RoleApprover)
		_, task := laptopTask(t, srv, f, b)
		mails := srv.taskMails(t)
		require.Len(t, mails, 1, "the assignee the task opened with is mailed")
		require.Equal(t, []string{"it@example.com"}, mails[0].To)
		require.Equal(t, "Task for you: Set up Laptop for Ada Lovelace", mails[0].Subject)

		p := b.get("/tasks")
		p.requireStatus(http.StatusOK)
		form := p.TestID("task-assign-form")
		require.Equal(t, 1, form.Length())
		assignPath := fmt.Sprintf("/tasks/%d/assign", task.ID)
		require.Equal(t, assignPath, form.AttrOr("action", ""))
		require.Equal(t, "email", form.Find("select option[selected]").AttrOr("value", ""), "the current assignee is preselected")

		// Refused input re-renders the page with the message at that task.
		p = b.post(assignPath, url.Values{"to": {"email"}, "email": {"nope"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, pickerError(p, fmt.Sprintf("task-%d-to", task.ID)), "not a valid email address")
		_, open := p.TestID("task-assign").Attr("open")
		require.True(t, open, "the reassign form is unfolded")
		require.Len(t, srv.taskMails(t), 1)
		// A form without the picker's choice does not unassign the task.
		p = b.post(assignPath, url.Values{})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, pickerError(p, fmt.Sprintf("task-%d-to", task.ID)), "approver or above")
		require.Equal(t, "it@example.com", b.get("/tasks").Text("task-assignee"), "still assigned")

		b.postRaw(assignPath, url.Values{"to": {""}}).requireStatus(http.StatusForbidden) // no CSRF token

		// To an admin: they are mailed, and it is audited.
		b.post(assignPath, url.Values{"to": {fmt.Sprint(it.ID)}}).requireRedirect(http.StatusSeeOther, "/tasks")
		p = b.get("/tasks")
		require.Contains(t, p.Flash("success"), "Task assigned to "+it.Email)
		require.Equal(t, it.Email, p.Text("task-assignee"))
		mails = srv.taskMails(t)
		require.Len(t, mails, 2)
		require.Equal(t, []string{it.Email}, mails[0].To)
		require.Contains(t, mails[0].TextBody, "/tasks")
		events := srv.auditEvents(t, models.ActionTaskAssigned)
		require.Len(t, events, 1)
		require.Equal(t, me.Email, events[0].ActorEmail)

		// "Mine" lists the tasks of whoever is signed in.
		require.Equal(t, 1, b.get("/tasks?mine=1").TestID("tasks-empty").Length(), "not mine")
		itBrowser := srv.browser(t)
		itBrowser.signIn(it)
		p = itBrowser.get("/tasks?mine=1")
		require.Equal(t, 1, p.TestID("task-row").Length())
		require.Equal(t, "page", p.TestID("tasks-mine").AttrOr("aria-current", ""))

		// Nobody: the row says so and points at the app's setting.
		b.post(assignPath, url.Values{"to": {""}}).requireStatus(http.StatusSeeOther)
		p = b.get("/tasks")
		require.Equal(t, "Unassigned", p.Text("task-unassigned"))
		require.Equal(t, 1, p.Doc().Find(fmt.Sprintf(`a[href="/apps/%d#tasks"]`, f.laptop.ID)).Length())
		require.Len(t, srv.taskMails(t), 2, "nobody to mail")

		// Approvers mark tasks done but do not assign them; viewers do neither.
		for _, role := range []models.Role{models.RoleApprover, models.RoleViewer} {
			other := srv.browser(t)
			other.signInAs(role)
			require.Zero(t, other.get("/tasks").TestID("task-assign-form").Length(), role)
			other.post(assignPath, url.Values{"to": {"email"}, "email": {"x@example.com"}}).requireStatus(http.StatusForbidden)
		}
		got, err := srv.Store.TaskByID(context.Background(), task.ID)
		require.NoError(t, err)
		require.True(t, got.Assignee().IsZero())

		// Done tasks keep who they were assigned to.
		b.post(fmt.Sprintf("/tasks/%d/done", task.ID), nil).requireStatus(http.StatusSeeOther)
		b.post(assignPath, url.Values{"to": {fmt.Sprint(it.ID)}}).requireRedirect(http.StatusSeeOther, "/tasks")
		require.Contains(t, b.get("/tasks").Flash("error"), "done already")
		b.post("/tasks/999999/assign", url.Values{"to": {""}}).requireStatus(http.StatusNotFound)
	})
}

func TestSampleDataAssignsLaptopTasksToTheLoader(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		me := b.signInAs(models.RoleAdmin)
		b.post("/sample-data", nil).requireRedirect(http.StatusSeeOther, "/team-updates")
		require.Contains(t, b.get("/team-updates").Flash("success"), "Laptop tasks go to "+me.Email)
		require.Equal(t, models.AssignedAdmin(me.ID), srv.appByName(t, "Laptop").TaskAssignee())
	})
}
