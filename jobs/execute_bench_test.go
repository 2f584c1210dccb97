package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	glogger "gorm.io/gorm/logger"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// benchExecuteActions is how many webhook actions one iteration runs.
const benchExecuteActions = 2000

// BenchmarkExecuteWebhookActions measures how many webhook actions per
// second the job runner carries out against a local receiver that answers
// 200 at once: 2,000 joiners with one create_account each are approved,
// and the clock runs from the approval until every action is done. The
// River client is configured as `roster serve` configures it; the app's
// max_concurrency is 64, so the app's limit is not what is measured.
//
// The floor, measured in the same run on the same database engine, is
// River itself with the same queue configuration and a worker that does
// nothing ("floor-jobs/s"); "x-floor" is how many times slower Roster is.
//
//	go test ./jobs/ -run '^$' -bench ExecuteWebhookActions -benchtime 1x -count 3
//
// ROSTER_BENCH_TRACE=1 prints, at the end, each statement site's count
// and summed time (gorm's statements; River's own are not traced).
func BenchmarkExecuteWebhookActions(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			floor := riverFloor(b, d)
			rate := benchExecute(b, d, 64)
			b.ReportMetric(rate, "actions/s")
			b.ReportMetric(floor, "floor-jobs/s")
			b.ReportMetric(floor/rate, "x-floor")
		})
	}
}

// benchOptions lets a run try other queue settings, for choosing the
// defaults: ROSTER_BENCH_WORKERS=64 ROSTER_BENCH_COOLDOWN=10ms.
func benchOptions(o jobs.Options) jobs.Options {
	if n, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_WORKERS")); err == nil {
		o.MaxWorkers = n
	}
	if d, err := time.ParseDuration(os.Getenv("ROSTER_BENCH_COOLDOWN")); err == nil {
		o.FetchCooldown = d
	}
	return o
}

// noopArgs is the floor's job: River's own cost per job.
type noopArgs struct{ N int }

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	done *atomic.Int64
}

func (w *noopWorker) Work(context.Context, *river.Job[noopArgs]) error {
	w.done.Add(1)
	return nil
}

// riverFloor runs benchExecuteActions no-op jobs through a River client
// configured as Roster's on a database of its own, and returns jobs/s.
func riverFloor(b *testing.B, dialect models.Dialect) float64 {
	ctx := context.Background()
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	driver, closeDriver, err := jobs.NewDriver(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeDriver)
	var done atomic.Int64
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{done: &done})
	client, err := river.NewClient(driver, &river.Config{Logger: slog.New(slog.DiscardHandler), Workers: workers,
		Queues: jobs.Queues(benchOptions(jobs.Options{}).WithDefaults())})
	if err != nil {
		b.Fatal(err)
	}
	store.UseJobs(client)
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(context.Background()) }()
	params := make([]river.InsertManyParams, benchExecuteActions)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{N: i}}
	}
	start := time.Now()
	if err := store.EnqueueMany(ctx, params); err != nil {
		b.Fatal(err)
	}
	for done.Load() < benchExecuteActions {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d no-op jobs done after 5 minutes", done.Load(), benchExecuteActions)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return float64(benchExecuteActions) / time.Since(start).Seconds()
}

func benchExecute(b *testing.B, dialect models.Dialect, limit int) float64 {
	ctx := context.Background()
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	if os.Getenv("ROSTER_BENCH_TRACE") != "" {
		tr := &traceWriter{}
		b.Cleanup(tr.report)
		db.Gorm.Logger = glogger.New(tr, glogger.Config{LogLevel: glogger.Info})
	}
	rcv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	src, app := startWebhookRunner(b, db, store, rcv, limit,
		benchOptions(jobs.Options{Logger: slog.New(slog.DiscardHandler)}), nil)

	var total time.Duration
	round := 0
	for b.Loop() {
		b.StopTimer()
		ids := seedExecute(b, db, src.ID, app.ID, round, benchExecuteActions)
		round++
		b.StartTimer()
		start := time.Now()
		if _, _, err := (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: ids}); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(5 * time.Minute)
		for {
			var done int64
			if err := db.Gorm.Model(&models.Action{}).Where("status = ? AND change_id >= ? AND change_id <= ?", models.ActionDone, ids[0], ids[len(ids)-1]).
				Count(&done).Error; err != nil {
				b.Fatal(err)
			}
			if done == int64(len(ids)) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d actions done after 5 minutes", done, len(ids))
			}
			time.Sleep(50 * time.Millisecond) // each look counts 2,000 actions: not too often
		}
		total += time.Since(start)
	}
	return float64(benchExecuteActions*b.N) / total.Seconds()
}

// startWebhookRunner creates a CSV source and a webhook app GitHub that
// calls h (an httptest server) with at most limit calls at once, and
// starts a job runner with opts (its sealer and outbound policy set
// here); hook, when set, replaces the change-done mail before any worker
// runs.
func startWebhookRunner(tb testing.TB, db *models.DB, store *models.Store, h http.Handler, limit int,
	opts jobs.Options, hook models.ChangesDoneFunc) (src *models.Source, app *models.App) {
	tb.Helper()
	ctx := context.Background()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(tb, err)
	src, err = store.EnsureCSVSource(ctx, approver, "HR")
	require.NoError(tb, err)
	app, err = store.CreateApp(ctx, approver, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(tb, err)
	sealed, err := sealer.Seal(`{"url":"` + srv.URL + `","secret":"` + hookSecret + `"}`)
	require.NoError(tb, err)
	require.NoError(tb, db.Gorm.Exec("UPDATE apps SET config = ?, max_concurrency = ?", sealed, limit).Error)
	opts.Sealer, opts.Outbound = sealer, outbound.Loopback()
	client, closeClient, err := jobs.NewClient(ctx, db, store, opts)
	require.NoError(tb, err)
	tb.Cleanup(closeClient)
	if hook != nil {
		store.OnChangesDone(hook)
	}
	require.NoError(tb, client.Start(ctx))
	tb.Cleanup(func() { _ = client.Stop(context.Background()) })
	return src, app
}

// seedExecute inserts n people with a pending join change of one
// create_account step each, effective an hour ago, and returns the ids.
func seedExecute(b testing.TB, db *models.DB, sourceID, appID int64, round, n int) []int64 {
	b.Helper()
	people := make([]*models.Person, n)
	for i := range people {
		p := &models.Person{SourceID: sourceID, PersonFields: models.PersonFields{
			ExternalID: fmt.Sprintf("X%d-%05d", round, i), FirstName: "Person", LastName: fmt.Sprintf("%d-%05d", round, i),
			WorkEmail: fmt.Sprintf("x-%d-%05d@example.com", round, i), Status: models.StatusActive, StartDate: "2026-01-01",
			Groups: []string{}, Custom: map[string]string{},
		}}
		p.Hash = p.PersonFields.Hash()
		people[i] = p
	}
	if err := db.Gorm.CreateInBatches(people, 500).Error; err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	changes := make([]*models.Change, len(people))
	for i, p := range people {
		changes[i] = &models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending, Why: "{}",
			Plan: []models.PlanStep{{Op: "create_account", AppID: appID}}, EffectiveAt: now.Add(-time.Hour), CreatedAt: now, UpdatedAt: now}
	}
	if err := db.Gorm.CreateInBatches(changes, 500).Error; err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.ID
	}
	return ids
}

// traceWriter counts gorm's traced statements by call site.
type traceWriter struct {
	mu  sync.Mutex
	n   map[string]int
	dur map[string]float64
}

func (t *traceWriter) Printf(format string, args ...any) {
	if len(args) < 2 {
		return
	}
	where, _ := args[0].(string)
	ms, _ := args[1].(float64)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n, t.dur = map[string]int{}, map[string]float64{}
	}
	t.n[where]++
	t.dur[where] += ms
}

func (t *traceWriter) report() {
	for k, v := range t.n {
		fmt.Fprintf(os.Stderr, "%6d %9.1fms %s\n", v, t.dur[k], k)
	}
}
