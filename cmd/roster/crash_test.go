package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// crashJoiners is how many joiners are approved; each has two actions, an
// account and a grant.
const crashJoiners = 200

// TestCrashSafetyKilledMidFlight approves 200 joiners, kills the real
// binary with SIGKILL while their actions run, starts it again, and checks
// that every change completes and a receiver deduplicating by
// Idempotency-Key sees each action's effect exactly once. River's own
// rescue is set an hour away: the restarted process must requeue what the
// killed one left running by itself (jobs/presence.go): at once on
// SQLite, after the presence grace on PostgreSQL.
func TestCrashSafetyKilledMidFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary twice")
	}
	bin := buildRoster(t)
	for _, dialect := range []models.Dialect{models.SQLite, models.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			crashMidFlight(t, bin, modelstest.URL(t, dialect))
		})
	}
}

func crashMidFlight(t *testing.T, bin, dbURL string) {
	recv := &dedupReceiver{effects: map[string]int{}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	recv.secret = prepareApprovedJoiners(t, dbURL, srv.URL)

	env := []string{
		"ROSTER_DATABASE_URL=" + dbURL,
		"ROSTER_ADDR=" + freeAddr(t),
		"ROSTER_SECRET_KEY=" + testSecretKey,
		"ROSTER_LOG_LEVEL=warn",
		"ROSTER_ALLOW_PRIVATE_TARGETS=127.0.0.0/8", // the receiver is an httptest server
		"ROSTER_RESCUE_AFTER=1h",                   // so that only reclaiming (not River's rescuer) can finish in time
	}
	first, _ := startRoster(t, bin, env)
	require.Eventually(t, func() bool { return recv.distinct() >= 100 }, 60*time.Second, 5*time.Millisecond,
		"the receiver saw %d keys before the kill\n%s", recv.distinct(), first.output)
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	<-first.exited
	killedAt, atKill := time.Now(), recv.distinct()
	require.Less(t, atKill, 2*crashJoiners, "the kill landed after every action ran")

	second, _ := startRoster(t, bin, append(env, "ROSTER_LOG_LEVEL=debug"))
	db, _ := openStore(t, dbURL)
	// The restarted process requeues what the killed one left running at
	// once on SQLite and after the presence grace (15 s) on PostgreSQL
	// (jobs/presence.go), so this does not wait for RescueAfter.
	deadline := time.Now().Add(60 * time.Second)
	for countWhere(t, db, "changes", "status <> 'done'") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("changes still open after restart: %s; %s; receiver saw %d keys\n%s",
				tally(t, db, "actions", "status"), tally(t, db, "river_job", "state"), recv.distinct(), second.output)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("killed after %d of %d keys; all done %v after the kill; %d deliveries repeated on the wire",
		atKill, 2*crashJoiners, time.Since(killedAt).Round(time.Millisecond), recv.repeatCount())

	require.Equal(t, crashJoiners, countWhere(t, db, "changes", "status = 'done'"))
	require.Equal(t, 2*crashJoiners, countWhere(t, db, "actions", "status = 'done' AND attempts >= 1"))
	require.Equal(t, 2*crashJoiners, countWhere(t, db, "actions", "1 = 1"))
	require.Equal(t, crashJoiners, countWhere(t, db, "accounts", "1 = 1"))
	require.Equal(t, crashJoiners, countWhere(t, db, "grants", "1 = 1"))

	var keys []string
	require.NoError(t, db.Gorm.Model(&models.Action{}).Pluck("idempotency_key", &keys).Error)
	recv.mu.Lock()
	require.Len(t, recv.effects, 2*crashJoiners, "one effect per action, no strangers")
	for _, k := range keys {
		require.Equal(t, 1, recv.effects[k], "the effect of %s", k)
	}
	require.Zero(t, recv.badSignatures)
	recv.mu.Unlock()
	second.stop(t)
}

// dedupReceiver is a webhook receiver that acts once per Idempotency-Key.
type dedupReceiver struct {
	secret string

	mu            sync.Mutex
	effects       map[string]int // key → times acted on (must stay 1)
	repeats       int            // deliveries of a key already acted on
	badSignatures int
}

func (r *dedupReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := webhook.Verify(r.secret, req.Header, body, time.Now(), 0); err != nil {
		r.mu.Lock()
		r.badSignatures++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	time.Sleep(20 * time.Millisecond) // slow enough for the kill to land mid-flight
	key := req.Header.Get(webhook.HeaderIdempotencyKey)
	r.mu.Lock()
	if _, seen := r.effects[key]; seen {
		r.repeats++
	} else {
		r.effects[key]++
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *dedupReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.effects)
}

func (r *dedupReceiver) repeatCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.repeats
}

// prepareApprovedJoiners writes, in-process, a webhook app pointing at
// receiverURL, crashJoiners people, a rule granting everyone its
// entitlement, and their approved join changes with jobs due at once. It
// returns the app's signing secret.
func prepareApprovedJoiners(t *testing.T, dbURL, receiverURL string) string {
	t.Helper()
	ctx := context.Background()
	actor := models.Actor{Email: "admin@example.com"}
	db, store := openStore(t, dbURL)
	defer db.Close()
	key, err := models.ParseSecretKey(testSecretKey)
	require.NoError(t, err)
	sealer, err := models.NewSealer(key)
	require.NoError(t, err)
	_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback()})
	require.NoError(t, err)
	defer closeClient()

	app, err := store.CreateApp(ctx, actor, models.AppInput{Kind: models.AppWebhook, Name: "Receiver", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	require.NoError(t, store.SetWebhookSettings(ctx, actor, app.ID, receiverURL, "", false, sealer))
	_, secret, _, err := store.WebhookSettings(ctx, app.ID, sealer)
	require.NoError(t, err)
	ent, err := store.CreateEntitlement(ctx, actor, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "staff", Name: "Staff"})
	require.NoError(t, err)

	src, err := store.EnsureCSVSource(ctx, actor, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))
	joiners := make([]models.PersonChange, crashJoiners)
	for i := range joiners {
		id := fmt.Sprintf("J%03d", i)
		joiners[i] = models.PersonChange{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: id, FirstName: "P" + id,
			LastName: "Joiner", WorkEmail: id + "@example.com", Status: models.StatusActive, StartDate: "2020-01-01"}}
	}
	_, err = store.ApplySyncRun(ctx, actor, run, models.SyncRunning, models.SyncCounts{Joiners: crashJoiners}, joiners)
	require.NoError(t, err)
	require.NoError(t, store.SaveRule(ctx, actor, &models.Rule{Name: "Everyone", Match: "all", Enabled: true,
		Grants: []models.RuleGrant{{AppID: app.ID, EntitlementID: ent.ID}}}))

	require.NoError(t, planner.New(store).PlanEveryone(ctx))
	var pending []int64
	require.NoError(t, db.Gorm.Model(&models.Change{}).Where("status = ?", models.ChangePending).Pluck("id", &pending).Error)
	require.Len(t, pending, crashJoiners)
	approved, _, err := (&jobs.Decisions{Store: store}).Approve(ctx, actor, models.Decision{ChangeIDs: pending})
	require.NoError(t, err)
	require.Len(t, approved, crashJoiners)
	return secret
}

// openStore opens and migrates the SQLite database at dbURL.
func openStore(t *testing.T, dbURL string) (*models.DB, *models.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, migrations.Up(ctx, db.SQL, string(db.Dialect), slog.New(slog.DiscardHandler)))
	return db, models.NewStore(db)
}

// countWhere counts table's rows matching cond.
func countWhere(t *testing.T, db *models.DB, table, cond string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM "+table+" WHERE "+cond).Scan(&n))
	return n
}

// tally counts table's rows by column, for failure messages.
func tally(t *testing.T, db *models.DB, table, column string) string {
	t.Helper()
	rows, err := db.SQL.Query("SELECT " + column + ", count(*) FROM " + table + " GROUP BY " + column)
	require.NoError(t, err)
	defer rows.Close()
	out := table + ":"
	for rows.Next() {
		var v string
		var n int
		require.NoError(t, rows.Scan(&v, &n))
		out += fmt.Sprintf(" %s=%d", v, n)
	}
	return out
}
