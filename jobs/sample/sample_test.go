package sample_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/jobs/sample"
	"github.com/rosterhq/roster/jobs/source/csvsource"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func deps(t *testing.T, store *models.Store) sample.Deps {
	t.Helper()
	sealer, err := models.NewSealer([]byte("sample-tests-fixed-key-32-bytes!"))
	require.NoError(t, err)
	plan := planner.New(store)
	return sample.Deps{Store: store, Sealer: sealer, PlanEveryone: plan.PlanEveryone,
		Importer: &jobs.Imports{Syncer: &hrsync.Syncer{Store: store}}}
}

func TestCSVIsValid(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	res, err := csvsource.Parse(bytesReader(sample.CSV(now)))
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	require.Len(t, res.Records, 50)
	require.Equal(t, sample.CSV(now), sample.CSV(now), "deterministic")
	var pending, managers int
	for _, p := range sample.People(now) {
		if p.Status == "pending" {
			pending++
			start, err := time.Parse(time.DateOnly, p.StartDate)
			require.NoError(t, err)
			require.True(t, start.After(now) && start.Before(now.AddDate(0, 0, 15)), p.StartDate)
		}
		if p.ManagerID == "" {
			managers++
		}
	}
	require.GreaterOrEqual(t, pending, 3)
	require.Equal(t, 5, managers)
}

func TestLoad(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		d := deps(t, store)
		sum, err := sample.Load(ctx, d, "http://roster.test/", models.CLIActor)
		require.NoError(t, err)
		require.Equal(t, 50, sum.People)
		require.Equal(t, 2, sum.Apps)
		require.Equal(t, 3, sum.Rules)
		require.Positive(t, sum.Pending)
		require.Positive(t, sum.Changes)
		require.Contains(t, sum.String(), "50 people")

		_, people, err := store.ListPeople(ctx, models.PeopleFilter{Limit: 1})
		require.NoError(t, err)
		require.EqualValues(t, 50, people)
		apps, err := store.ListApps(ctx)
		require.NoError(t, err)
		require.Len(t, apps, 2)
		var hook models.App
		for _, a := range apps {
			if a.Name == sample.WebhookApp {
				hook = a
			}
		}
		u, secret, _, err := store.WebhookSettings(ctx, hook.ID, d.Sealer)
		require.NoError(t, err)
		require.Equal(t, "http://roster.test/sample-receiver/hook", u)
		require.NotEmpty(t, secret)
		rs, err := store.ListRules(ctx)
		require.NoError(t, err)
		require.Len(t, rs, 3)
		require.Equal(t, "Engineering in Berlin gets admin", rs[0].Name)
		counts, err := store.QueueCounts(ctx, models.ChangeFilter{})
		require.NoError(t, err)
		require.Positive(t, counts[models.QueueInvite])
		// The sample is an existing company: its staff came in as a
		// baseline, so To Invite holds only people starting soon, none
		// overdue, and nobody already employed is mailed a welcome.
		invites, n, err := store.ListChanges(ctx, models.ChangeFilter{Queue: models.QueueInvite, Limit: 500})
		require.NoError(t, err)
		require.EqualValues(t, sum.Pending, n, "only the pending joiners are invited")
		today := time.Now().Format(time.DateOnly)
		for _, r := range invites {
			require.Greater(t, r.Person.StartDate, today, "%s is not an overdue joiner", r.Person.DisplayName())
			require.Nil(t, r.Person.BaselineAt)
		}
		updates, _, err := store.ListChanges(ctx, models.ChangeFilter{Queue: models.QueueUpdate, Limit: 500})
		require.NoError(t, err)
		require.NotEmpty(t, updates, "the rules' access the staff lack is proposed")
		require.Less(t, len(updates), 50-sum.Pending, "the apps' accounts are in: only real gaps are proposed")
		hookCounts, err := store.CountAppAccounts(ctx, hook.ID)
		require.NoError(t, err)
		require.Equal(t, 2, hookCounts.NotInHR, "a CI bot and a contractor who left")
		require.Positive(t, hookCounts.Matched)
		for _, r := range updates {
			require.Equal(t, models.ReasonMissingAccess, r.Change.Reason, r.Person.DisplayName())
			require.NotNil(t, r.Person.BaselineAt)
		}

		_, err = sample.Load(ctx, d, "http://roster.test", models.CLIActor)
		require.ErrorIs(t, err, sample.ErrNotEmpty)
	})
}

func TestLoadAssignsLaptopTasks(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		owner, err := store.CreateAdmin(ctx, models.CLIActor, "owner@example.com", "", models.RoleOwner)
		require.NoError(t, err)
		sum, err := sample.Load(ctx, deps(t, store), "http://roster.test/", models.CLIActor)
		require.NoError(t, err)
		require.Equal(t, owner.Email, sum.TasksTo)
		require.Contains(t, sum.String(), "Laptop tasks go to owner@example.com")
		apps, err := store.ListApps(ctx)
		require.NoError(t, err)
		for _, a := range apps {
			if a.Name == sample.LaptopApp {
				require.Equal(t, models.AssignedAdmin(owner.ID), a.TaskAssignee())
			} else {
				require.True(t, a.TaskAssignee().IsZero())
			}
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
