package jobs_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// A SCIM app is reconciled from its own list of users: due when it never
// was or its interval has passed, never with interval 0; a listing that
// fails part way records nothing, so no account is read as gone.
func TestReconcileAppFromTheApp(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeJobs, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: slog.New(slog.DiscardHandler), PlanOnly: true})
		require.NoError(t, err) // not started: it inserts the planning jobs
		t.Cleanup(closeJobs)
		srv := scimtest.New(t, scimtest.Options{Token: "tok-123456", MaxPageSize: 2})
		srv.AddUser(scimtest.User{UserName: "ada@example.com", Email: "ada@example.com"})
		srv.AddUser(scimtest.User{UserName: "grace@example.com", Email: "grace@example.com"})
		srv.AddUser(scimtest.User{UserName: "bot@example.com", Email: "bot@example.com"})
		src, err := store.EnsureCSVSource(ctx, models.CLIActor, "HR")
		require.NoError(t, err)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))
		_, err = store.ApplySyncRun(ctx, models.CLIActor, run, models.SyncRunning, models.SyncCounts{Joiners: 2}, []models.PersonChange{
			{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", WorkEmail: "ada@example.com", Status: models.StatusActive}},
			{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: "E2", FirstName: "Grace", WorkEmail: "grace@example.com", Status: models.StatusActive}},
		})
		require.NoError(t, err)
		sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
		require.NoError(t, err)
		app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppSCIM, Name: "Okta app", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		require.NoError(t, store.SetSCIMSettings(ctx, models.CLIActor, app.ID, models.SCIMInput{BaseURL: srv.URL(), Token: "tok-123456"}, sealer))
		env := jobs.ConnectorEnv(store, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback()})
		listing := []models.AppKind{models.AppSCIM}

		due, err := store.AppsDueForReconcile(ctx, listing, time.Now())
		require.NoError(t, err)
		require.Len(t, due, 1, "never reconciled: due")

		app, err = store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		srv.Queue(http.MethodGet, "/Users", scimtest.Reply{}, scimtest.Reply{Status: http.StatusBadRequest, Detail: "the second page is broken"})
		_, err = jobs.ReconcileApp(ctx, store, kinds.All(), env, app, models.CLIActor)
		require.ErrorContains(t, err, "the second page is broken")
		counts, err := store.CountAppAccounts(ctx, app.ID)
		require.NoError(t, err)
		require.Zero(t, counts, "a listing that failed part way records nothing")

		sum, err := jobs.ReconcileApp(ctx, store, kinds.All(), env, app, models.CLIActor)
		require.NoError(t, err)
		require.Equal(t, "matched=2 ambiguous=0 not_in_hr=1 terminated_active=0", sum.Line())
		now := time.Now()
		require.NoError(t, store.SetAppReconciled(ctx, app.ID, now, sum.Line(), ""))
		due, err = store.AppsDueForReconcile(ctx, listing, now.Add(59*time.Minute))
		require.NoError(t, err)
		require.Empty(t, due, "reconciled within the hour")
		due, err = store.AppsDueForReconcile(ctx, listing, now.Add(61*time.Minute))
		require.NoError(t, err)
		require.Len(t, due, 1, "the default interval is an hour")
		require.NoError(t, store.SetAppReconcileEvery(ctx, models.CLIActor, app.ID, 0))
		due, err = store.AppsDueForReconcile(ctx, listing, now.Add(48*time.Hour))
		require.NoError(t, err)
		require.Empty(t, due, "0: only when asked")
		require.Error(t, store.SetAppReconcileEvery(ctx, models.CLIActor, app.ID, -5))

		webhookApp, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "Hook", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		_, err = jobs.ReconcileApp(ctx, store, kinds.All(), env, webhookApp, models.CLIActor)
		require.ErrorContains(t, err, "cannot list its accounts")
	})
}
