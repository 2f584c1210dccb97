package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestManualTaskIsAssignedAndMailedOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		change := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE apps SET kind = 'manual', name = 'Laptop'").Error)
		require.NoError(t, store.SetSetting(ctx, approver, models.SettingOrgTimezone, "Europe/Berlin"))
		require.NoError(t, db.Gorm.Exec("UPDATE people SET timezone = 'Asia/Tokyo'").Error)
		it, err := store.CreateAdmin(ctx, approver, "it@example.com", "IT desk", models.RoleApprover)
		require.NoError(t, err)
		apps, err := store.ListApps(ctx)
		require.NoError(t, err)
		require.NoError(t, store.SetAppTaskAssignee(ctx, approver, apps[0].ID, models.AssignedAdmin(it.ID)))

		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 200 * time.Millisecond,
			BaseURL: "https://roster.example.com/"})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)

		var tasks []models.Task
		require.Eventually(t, func() bool {
			tasks, err = store.ListTasks(ctx, false, 10)
			return err == nil && len(tasks) == 1
		}, 20*time.Second, 100*time.Millisecond)
		task := tasks[0]
		require.Equal(t, &it.ID, task.AssigneeAdminID, "the app's assignee")
		mails := taskMails(t, store)
		require.Len(t, mails, 1)
		m := mails[0]
		require.Equal(t, []string{"it@example.com"}, m.To)
		require.Equal(t, "Task for you: Set up Laptop for Ada Lovelace", m.Subject)
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		require.NoError(t, err)
		local := task.DueAt.In(tokyo)
		due := local.Format("2 Jan 15:04") + " Asia/Tokyo"
		if local.Year() != time.Now().In(tokyo).Year() {
			due = local.Format("2 Jan 2006 15:04") + " Asia/Tokyo"
		}
		for _, body := range []string{m.TextBody, m.HTMLBody} {
			require.Contains(t, body, "Set up Laptop for Ada Lovelace")
			require.Contains(t, body, "Ada Lovelace (ada@example.com)")
			require.Contains(t, body, due, "due in the person's time zone, named, over the organisation's")
			require.Contains(t, body, "https://roster.example.com/tasks")
		}

		// The same action's job again (a retry after a crash, a duplicate):
		// the task exists, so nobody is mailed twice.
		res, err := client.Insert(ctx, jobs.ExecuteActionArgs{ActionID: task.ActionID}, nil)
		require.NoError(t, err)
		require.False(t, res.UniqueSkippedAsDuplicate)
		require.Eventually(t, func() bool {
			j, err := client.JobGet(ctx, res.Job.ID)
			return err == nil && j.State == rivertype.JobStateCompleted
		}, 20*time.Second, 100*time.Millisecond)
		tasks, err = store.ListTasks(ctx, false, 10)
		require.NoError(t, err)
		require.Len(t, tasks, 1)
		require.Len(t, taskMails(t, store), 1, "exactly one mail per task")
	})
}

func TestUnassignedTasksSendNoMail(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		change := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE apps SET kind = 'manual', name = 'Laptop'").Error)
		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			tasks, err := store.ListTasks(ctx, false, 10)
			return err == nil && len(tasks) == 1
		}, 20*time.Second, 100*time.Millisecond)
		require.Empty(t, taskMails(t, store))
	})
}

// taskMails returns the outbox's task mail.
func taskMails(t *testing.T, store *models.Store) []models.Email {
	t.Helper()
	all, _, err := store.ListEmails(context.Background(), "", 0, 100)
	require.NoError(t, err)
	var out []models.Email
	for _, e := range all {
		if e.Kind == jobs.KindTaskAssigned {
			out = append(out, e)
		}
	}
	return out
}
