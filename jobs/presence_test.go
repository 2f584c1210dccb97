package jobs

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// TestReclaimRequeuesJobsOfStoppedProcesses leaves jobs running under
// clients that are gone, alive and this one, and checks that only the gone
// client's jobs (and its leadership) are taken back. There is no grace
// here: TestReclaimWaitsOutTheGrace covers it.
func TestReclaimRequeuesJobsOfStoppedProcesses(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		logger := slog.New(slog.DiscardHandler)
		// Advisory locks are database-wide: names unique to this run keep
		// parallel tests (and packages) apart.
		self, gone, live := clientID(), clientID(), clientID()
		client, closeClient, err := NewClient(ctx, db, store, Options{Logger: logger})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		ids := make([]int64, 3)
		for i := range ids {
			res, err := client.Insert(ctx, ExecuteActionArgs{ActionID: int64(i + 1)}, nil)
			require.NoError(t, err)
			ids[i] = res.Job.ID
		}

		me, err := claimPresence(ctx, db, self, presenceTiming{})
		require.NoError(t, err)
		t.Cleanup(me.close)
		other := gone
		if db.Dialect == models.Postgres {
			// Another live process: its lock is held on a connection of its own.
			other = live
			alive, err := claimPresence(ctx, db, other, presenceTiming{})
			require.NoError(t, err)
			defer alive.close()
		} else {
			// One process per SQLite file: a second claim is refused.
			_, err := claimPresence(ctx, db, clientID(), presenceTiming{})
			require.ErrorIs(t, err, errDatabaseInUse)
		}
		markRunning(t, db, ids[0], gone)
		markRunning(t, db, ids[1], self)
		markRunning(t, db, ids[2], other)
		setLeader(t, db, gone)

		n, err := me.reclaim(ctx, logger)
		require.NoError(t, err)
		if db.Dialect == models.Postgres {
			require.Equal(t, 1, n)
			require.Equal(t, "running", jobState(t, db, ids[2]), "a live client's job is left alone")
		} else {
			require.Equal(t, 2, n)
		}
		require.Equal(t, "available", jobState(t, db, ids[0]))
		require.Equal(t, "running", jobState(t, db, ids[1]), "this process's own job is left alone")
		var leaders int
		require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
		require.Zero(t, leaders, "the gone leader's lease is freed")

		if db.Dialect == models.Postgres {
			ok, err := me.alive(ctx, live)
			require.NoError(t, err)
			require.True(t, ok)
			setLeader(t, db, self)
			n, err = me.reclaim(ctx, logger)
			require.NoError(t, err)
			require.Zero(t, n, "nothing left behind")
			require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
			require.Equal(t, 1, leaders, "a live leader keeps its lease")
		}
	})
}

// TestReclaimWaitsOutTheGrace checks on PostgreSQL that a client's jobs
// and leadership are taken back once its lock has been free at every sweep
// for the grace, as when its process dies, and not while it may be a live
// process taking its lock again after its connection dropped.
func TestReclaimWaitsOutTheGrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	logger := slog.New(slog.DiscardHandler)
	client, closeClient, err := NewClient(ctx, db, store, Options{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	res, err := client.Insert(ctx, ExecuteActionArgs{ActionID: 1}, nil)
	require.NoError(t, err)

	timing := presenceTiming{grace: time.Minute} // reclaim is called directly, on a clock of the test's
	self, otherID := clientID(), clientID()      // database-wide locks: unique to this run
	me, err := claimPresence(ctx, db, self, timing)
	require.NoError(t, err)
	t.Cleanup(me.close)
	clock := time.Now()
	me.now = func() time.Time { return clock }
	other, err := claimPresence(ctx, db, otherID, timing)
	require.NoError(t, err)
	_, err = claimPresence(ctx, db, otherID, timing)
	require.ErrorContains(t, err, "in use by another process")
	markRunning(t, db, res.Job.ID, otherID)
	setLeader(t, db, otherID)
	sweep := func(want int, msg string) {
		t.Helper()
		n, err := me.reclaim(ctx, logger)
		require.NoError(t, err)
		require.Equal(t, want, n, msg)
	}

	sweep(0, "a live client keeps its jobs")
	other.close() // its connection dropped, or its process died
	lockFreed(t, db, otherID)
	sweep(0, "a key just seen free is not enough")
	clock = clock.Add(timing.grace - time.Second)
	sweep(0, "nor one free for less than the grace")
	back, err := claimPresence(ctx, db, otherID, timing) // a live process takes its lock again
	require.NoError(t, err)
	sweep(0, "a client back in time keeps its jobs")
	back.close()
	lockFreed(t, db, otherID)
	clock = clock.Add(timing.grace)
	sweep(0, "the count starts again after a sweep found the key held")
	require.Equal(t, "running", jobState(t, db, res.Job.ID))
	var leaders int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
	require.Equal(t, 1, leaders, "the leader keeps its lease within the grace")

	clock = clock.Add(timing.grace)
	sweep(1, "free at every sweep for the grace: gone")
	require.Equal(t, "available", jobState(t, db, res.Job.ID))
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
	require.Zero(t, leaders, "the gone leader's lease is freed")
}

// TestPresenceSurvivesADroppedConnection kills, on PostgreSQL, the session
// holding a live replica's lock, as a failover or a proxy's idle timeout
// would, while another replica sweeps for jobs of gone clients. The
// replica must take its lock again within seconds, on a new session, and
// the other must leave its running job alone.
func TestPresenceSurvivesADroppedConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	client, closeClient, err := NewClient(ctx, db, store, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	res, err := client.Insert(ctx, ExecuteActionArgs{ActionID: 1}, nil)
	require.NoError(t, err)

	// Frequent checks and sweeps; a grace well above what taking the lock
	// again needs on a loaded machine.
	timing := presenceTiming{check: 50 * time.Millisecond, sweep: 20 * time.Millisecond, grace: 5 * time.Second}
	liveID, otherID := clientID(), clientID()
	live, err := claimPresence(ctx, db, liveID, timing)
	require.NoError(t, err)
	other, err := claimPresence(ctx, db, otherID, timing)
	require.NoError(t, err)
	markRunning(t, db, res.Job.ID, liveID)
	oldPID := live.conn.PgConn().PID()
	liveLog, otherLog := &logRecords{}, &logRecords{}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { live.run(runCtx, slog.New(liveLog)) })
	wg.Go(func() { other.run(runCtx, slog.New(otherLog)) })
	t.Cleanup(func() {
		stop()
		wg.Wait()
		live.close()
		other.close()
	})

	var killed bool
	require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", oldPID).Scan(&killed))
	require.True(t, killed)
	killedAt := time.Now()
	require.Eventually(t, func() bool {
		pid, held := presenceHolder(db, liveID)
		return held && pid != oldPID
	}, 10*time.Second, 10*time.Millisecond, "the replica takes its lock again on a new session")
	t.Logf("lock taken again %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	// The server shows the lock held a moment before the replica's loop,
	// back from taking it, says so.
	require.Eventually(t, live.held.Load, 5*time.Second, 10*time.Millisecond, "the replica knows it holds its lock again")

	// Past the grace from the kill, the other replica would have taken the
	// job back had it counted the replica as gone.
	watchFor := time.Until(killedAt.Add(timing.grace + 10*timing.sweep))
	require.Positive(t, watchFor, "the lock came back only after the grace")
	require.Never(t, func() bool {
		var state string
		err := db.SQL.QueryRow("SELECT state FROM river_job WHERE id = $1", res.Job.ID).Scan(&state)
		return err != nil || state != "running"
	}, watchFor, 20*time.Millisecond, "the live replica's job stays running, not requeued")

	require.Len(t, liveLog.at(slog.LevelWarn, liveID), 1, "one warning when the lock is lost")
	require.Len(t, liveLog.at(slog.LevelInfo, liveID), 1, "one notice when it is back")
	require.Empty(t, otherLog.at(slog.LevelWarn, ""), "nothing requeued")
}

// TestPresenceGateHoldsJobsWhileLost checks that a job fetched while this
// process has lost its lock is snoozed, not worked.
func TestPresenceGateHoldsJobsWhileLost(t *testing.T) {
	t.Parallel()
	gate := &presenceGate{p: &presence{timing: presenceTiming{check: time.Second}}}
	worked := 0
	work := func(context.Context) error { worked++; return nil }

	err := gate.Work(context.Background(), &rivertype.JobRow{}, work)
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, err, &snooze)
	require.Equal(t, time.Second, snooze.Duration)
	require.Zero(t, worked)

	gate.p.held.Store(true)
	require.NoError(t, gate.Work(context.Background(), &rivertype.JobRow{}, work))
	require.Equal(t, 1, worked)
}

// lockFreed waits until the server has ended the closed presence session
// of client: closing a connection returns before its backend has released
// the session's locks, and a sweep in between sees the key still held.
func lockFreed(t *testing.T, db *models.DB, client string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, held := presenceHolder(db, client)
		return !held
	}, 10*time.Second, 5*time.Millisecond, "the closed presence connection still holds its lock")
}

// presenceHolder returns the session of a Roster presence connection that
// holds client's lock, if one does. (A probe by another process holds the
// key for an instant too, but not from a presence connection.)
func presenceHolder(db *models.DB, client string) (uint32, bool) {
	var pid uint32
	err := db.SQL.QueryRow(`SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = hashtext($2)::oid AND l.objsubid = 2
		AND a.application_name = 'roster presence'`, presenceLockSpace, client).Scan(&pid)
	return pid, err == nil
}

// logRecords is a slog handler that keeps what is logged, for tests of
// what an engineer on call reads.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *logRecords) WithGroup(string) slog.Handler { return h }

// at returns the messages logged at level, with client as their "client"
// attribute unless client is empty.
func (h *logRecords) at(level slog.Level, client string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var msgs []string
	for _, r := range h.records {
		match := client == ""
		r.Attrs(func(a slog.Attr) bool {
			match = match || a.Key == "client" && a.Value.String() == client
			return true
		})
		if r.Level == level && match {
			msgs = append(msgs, r.Message)
		}
	}
	return msgs
}

func markRunning(t *testing.T, db *models.DB, id int64, client string) {
	t.Helper()
	q := "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY['earlier', $1] WHERE id = $2"
	if db.Dialect == models.SQLite {
		q = "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'), " +
			"attempted_by = jsonb(json_array('earlier', ?)) WHERE id = ?"
	}
	_, err := db.SQL.Exec(q, client, id)
	require.NoError(t, err)
}

func setLeader(t *testing.T, db *models.DB, client string) {
	t.Helper()
	_, err := db.SQL.Exec("DELETE FROM river_leader")
	require.NoError(t, err)
	q := "INSERT INTO river_leader (elected_at, expires_at, leader_id, name) VALUES (now(), now() + interval '1 minute', $1, 'default')"
	if db.Dialect == models.SQLite {
		q = "INSERT INTO river_leader (elected_at, expires_at, leader_id, name) VALUES " +
			"(datetime('now', 'subsec'), datetime('now', '+1 minute'), ?, 'default')"
	}
	_, err = db.SQL.Exec(q, client)
	require.NoError(t, err)
}

func jobState(t *testing.T, db *models.DB, id int64) string {
	t.Helper()
	var state string
	require.NoError(t, db.SQL.QueryRow("SELECT state FROM river_job WHERE id = "+placeholder(db.Dialect, 1), id).Scan(&state))
	return state
}
