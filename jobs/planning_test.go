package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// planWorld is a store with one review rule giving everyone a laptop, and
// a syncer wired as roster serve wires it.
type planWorld struct {
	t      *testing.T
	db     *models.DB
	store  *models.Store
	src    *models.Source
	syncer *hrsync.Syncer
}

func newPlanWorld(t *testing.T, db *models.DB, store *models.Store) *planWorld {
	t.Helper()
	ctx := context.Background()
	app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppManual, Name: "Laptops", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	ent, err := store.CreateEntitlement(ctx, models.CLIActor, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "laptop", Name: "Laptop"})
	require.NoError(t, err)
	require.NoError(t, store.SaveRule(ctx, models.CLIActor, &models.Rule{Name: "Everyone gets a laptop", Enabled: true, Priority: 10,
		Match: "all", Grants: []models.RuleGrant{{AppID: app.ID, EntitlementID: ent.ID}}}))
	src, err := store.EnsureCSVSource(ctx, models.CLIActor, "HR")
	require.NoError(t, err)
	return &planWorld{t: t, db: db, store: store, src: src,
		syncer: &hrsync.Syncer{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanSyncRun}}
}

func staff(n int) []models.PersonFields {
	out := make([]models.PersonFields, n)
	for i := range out {
		ext := fmt.Sprintf("E%04d", i+1)
		out[i] = models.PersonFields{ExternalID: ext, FirstName: "First" + ext, LastName: "Last", WorkEmail: "p" + ext + "@example.com",
			Department: "Engineering", Status: models.StatusActive, StartDate: "2024-01-15"}
	}
	return out
}

func (w *planWorld) importAll(records []models.PersonFields) hrsync.Outcome {
	w.t.Helper()
	_, out, err := w.syncer.Import(context.Background(), models.CLIActor, w.src, "cli", "people.csv", records, nil, hrsync.Baseline(false))
	require.NoError(w.t, err)
	require.True(w.t, out.Applied, out.HeldReason)
	return out
}

func (w *planWorld) toInvite() int64 {
	w.t.Helper()
	counts, err := w.store.QueueCounts(context.Background(), models.ChangeFilter{})
	require.NoError(w.t, err)
	return counts[models.QueueInvite]
}

// startPlanning starts a client working the planning queue: a process
// coming up.
func (w *planWorld) startPlanning() {
	w.t.Helper()
	ctx := context.Background()
	client, closeClient, err := jobs.NewClient(ctx, w.db, w.store, jobs.Options{PlanOnly: true, FetchPollInterval: 100 * time.Millisecond, Logger: quiet()})
	require.NoError(w.t, err)
	require.NoError(w.t, client.Start(ctx))
	w.t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
		closeClient()
	})
}

func (w *planWorld) waitPlanned() {
	w.t.Helper()
	require.Eventually(w.t, func() bool {
		everyone, other, err := w.store.OpenPlanRuns(context.Background())
		return err == nil && everyone == 0 && other == 0
	}, 60*time.Second, 20*time.Millisecond, "planning jobs did not finish")
}

// A process killed after a run is applied and before its people are
// planned leaves the planning queued with the run: the next process plans
// them, though re-sending the file finds nothing changed (issue 8.7).
func TestPlanningSurvivesAProcessKilledAfterApply(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		w := newPlanWorld(t, db, store)
		// The process that applies the run has a job client but dies
		// before any job runs.
		_, closeDead, err := jobs.NewClient(context.Background(), db, store, jobs.Options{Logger: quiet()})
		require.NoError(t, err)
		w.importAll(staff(620))
		closeDead()
		require.Zero(t, w.toInvite(), "nothing is planned in the request that applied the run")

		again := w.importAll(staff(620))
		require.Equal(t, 620, again.Counts.Unchanged, "the same file again is unchanged")

		w.startPlanning()
		w.waitPlanned()
		require.EqualValues(t, 620, w.toInvite(), "every joiner waits in To Invite after the restart")
		run, err := store.LatestPlanRun(context.Background(), false, 1)
		require.NoError(t, err)
		require.Equal(t, models.PlanDone, run.Status)
		require.Equal(t, 620, run.Done)
	})
}

// The periodic check re-plans everyone, so work that was missed (a run
// whose planning failed) is planned without anyone editing anything; it asks for one
// run at a time.
func TestSweepPlansMissedWork(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		ctx := context.Background()
		w := newPlanWorld(t, db, store)
		_, closeDead, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: quiet()})
		require.NoError(t, err)
		w.importAll(staff(30))
		// The planning gave up (its jobs discarded, the run failed).
		_, err = db.SQL.Exec("DELETE FROM river_job WHERE kind = 'plan_people'")
		require.NoError(t, err)
		lost, err := store.LatestPlanRun(ctx, false, 1)
		require.NoError(t, err)
		require.NoError(t, store.FailPlanRun(ctx, lost.ID, "gave up", time.Now()))
		require.NoError(t, store.Enqueue(ctx, jobs.PlanSweepArgs{}, nil))
		require.NoError(t, store.Enqueue(ctx, jobs.PlanSweepArgs{}, nil))
		closeDead()

		w.startPlanning()
		require.Eventually(t, func() bool { return countJobs(t, db, "plan_sweep") == countCompleted(t, db, "plan_sweep") },
			30*time.Second, 20*time.Millisecond)
		w.waitPlanned()
		require.EqualValues(t, 30, w.toInvite(), "the sweep planned the people whose planning was lost")
		var everyone int
		require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM plan_runs WHERE everyone").Scan(&everyone))
		require.LessOrEqual(t, everyone, 2)
	})
}

// A newer re-plan of everyone supersedes an open one; the older run's
// remaining batches stop.
func TestNewerEveryoneRunSupersedesOlder(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: quiet()})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		p := &jobs.Planning{Store: store}
		first, err := p.PlanEveryone(ctx, models.CLIActor, models.ReplanRulesChanged)
		require.NoError(t, err)
		second, err := p.PlanEveryone(ctx, models.CLIActor, models.ReplanRulesChanged)
		require.NoError(t, err)
		got, err := store.PlanRunByID(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, models.PlanSuperseded, got.Status)
		gone, err := store.PlanRunSuperseded(ctx, first.ID)
		require.NoError(t, err)
		require.True(t, gone)
		latest, err := store.LatestPlanRun(ctx, true, 0)
		require.NoError(t, err)
		require.Equal(t, second.ID, latest.ID)
		require.Equal(t, models.PlanQueued, latest.Status)
		require.ErrorIs(t, store.StartPlanRun(ctx, first.ID, 10, time.Now()), models.ErrConflict, "a superseded run does not start")
	})
}

func countCompleted(t *testing.T, db *models.DB, kind string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = '"+kind+"' AND state = 'completed'").Scan(&n))
	return n
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A plan run of a bulk import's size leaves the query planner's
// statistics current (issue 10): on a server with autovacuum off, the
// changes table would otherwise look empty to PostgreSQL for good, and
// every later batch's look-up by person would scan it.
func TestBulkPlanRunRefreshesStatistics(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		w := newPlanWorld(t, db, store)
		w.startPlanning()
		w.importAll(staff(models.BulkRows))
		w.waitPlanned()
		require.EqualValues(t, models.BulkRows, w.toInvite())
		// sqlite_stat1 exists only once ANALYZE has run, so until then the
		// query fails and the condition is simply not yet met.
		require.Eventually(t, func() bool {
			var rows float64
			switch db.Dialect {
			case models.Postgres:
				if db.Gorm.Raw(`SELECT reltuples FROM pg_class WHERE oid = 'changes'::regclass`).Scan(&rows).Error != nil {
					return false
				}
			default:
				var stat string
				if db.Gorm.Raw(`SELECT COALESCE(MAX(stat), '') FROM sqlite_stat1 WHERE tbl = 'changes'`).Scan(&stat).Error != nil {
					return false
				}
				fmt.Sscan(stat, &rows)
			}
			return rows >= models.BulkRows
		}, 30*time.Second, 50*time.Millisecond, "the changes table's statistics were not refreshed after the run")
	})
}
