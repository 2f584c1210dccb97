package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/models"
)

// A process killed mid-job (SIGKILL, OOM, a pulled plug) leaves its River
// jobs in state running. River rescues such a job only once it has been
// running longer than RescueStuckJobsAfter and its worker's timeout,
// because it cannot tell a slow job from one whose process is gone, and
// only from the leader, whose lease a killed leader holds for a while
// more. After a crash, approved actions would wait minutes.
//
// Roster can tell, so it requeues them itself (reclaim.go):
//
//   - On SQLite one process serves a database file. It holds an exclusive
//     lock on "<file>.lock" to be sure of it, so every job running when it
//     starts was left by a process that is gone.
//   - On PostgreSQL every process holds a session advisory lock keyed by
//     its River client ID, on a connection of its own: its presence.
//     PostgreSQL drops the lock when that connection dies with its
//     process. A connection also dies while its process lives on (a
//     database restart or failover, pg_terminate_backend, a proxy's idle
//     timeout), so each process pings its connection every check, takes
//     its lock again on a new connection when it has died, and works no
//     job while it has no lock (presenceGate). Other processes count a
//     client as gone only once its key has been free at every sweep for
//     grace, longer than a live process needs to take its lock again.
//     A connection pooler in transaction mode would break this (connect
//     directly, or through session pooling).
//
// A requeued job runs again; workers are idempotent (an execute_action job
// repeats its webhook call with the same Idempotency-Key).

// presenceTiming sets how quickly a process keeps its presence and judges
// other processes' (PostgreSQL only). Tests shorten it.
type presenceTiming struct {
	check time.Duration // how often this process pings its lock's connection, and retries taking the lock while lost
	sweep time.Duration // how often it looks for jobs of clients that are gone
	grace time.Duration // how long a client's key must be seen free before the client counts as gone
}

// presenceTimeout bounds one ping of the presence connection, and one
// connect-and-lock.
const presenceTimeout = 3 * time.Second

// defaultPresenceTiming is what `roster serve` uses. A live process whose
// connection died has its lock back within check + 2*presenceTimeout of
// the database answering again (a ping timing out, then a connect); the
// grace is twice that, and it counts from when another process first
// sees the key free, which is never before the connection died. The cost
// is that a killed process's jobs wait the grace before they run again.
func defaultPresenceTiming() presenceTiming {
	return presenceTiming{check: time.Second, sweep: 5 * time.Second, grace: 15 * time.Second}
}

// presenceLockSpace is the first key of the two-key advisory locks that
// mark clients alive (the second is the hash of the client ID).
const presenceLockSpace = 0x526f7374 // "Rost"

// presence marks this process's River client as alive and tells whether
// another one is.
type presence struct {
	db     *models.DB
	self   string // this process's River client ID
	timing presenceTiming
	now    func() time.Time // the clock grace is measured on
	file   *os.File         // SQLite: the instance lock
	// conn is the PostgreSQL session holding this client's lock. Once
	// run has started only keep replaces it, and close runs after run.
	conn *pgx.Conn
	// held says whether this process holds its lock now; jobs run only
	// while it does.
	held atomic.Bool
	// freeSince is when each client whose key the last sweep found free
	// was first seen so (PostgreSQL); only reclaim uses it.
	freeSince map[string]time.Time
}

// errDatabaseInUse is returned when another process serves the SQLite
// database.
var errDatabaseInUse = errors.New("another Roster process is serving this SQLite database; " +
	"run one process per SQLite file (several processes need PostgreSQL)")

// errPresenceTaken is returned when a session already holds the lock of
// the client ID.
var errPresenceTaken = errors.New("the lock is held by another session")

// claimPresence takes this process's lock: the SQLite instance lock, or
// the PostgreSQL advisory lock for clientID.
func claimPresence(ctx context.Context, db *models.DB, clientID string, timing presenceTiming) (*presence, error) {
	p := &presence{db: db, self: clientID, timing: timing, now: time.Now}
	if db.Dialect == models.SQLite {
		path := models.SQLitePath(db.URL)
		if path == "" {
			return nil, fmt.Errorf("jobs: presence: %q is not a SQLite file URL", db.URL)
		}
		f, err := lockFile(path + ".lock")
		if err != nil {
			return nil, err
		}
		p.file = f
		p.held.Store(true)
		return p, nil
	}
	conn, err := lockPresence(ctx, db.URL, clientID)
	if errors.Is(err, errPresenceTaken) { // the ID has a random part: another process cannot have it
		return nil, fmt.Errorf("jobs: presence lock: River client ID %s is in use by another process", clientID)
	}
	if err != nil {
		return nil, err
	}
	p.conn = conn
	p.held.Store(true)
	return p, nil
}

// lockPresence opens a connection of its own and takes clientID's lock on
// it. Server-side TCP keepalives end the session within about half a
// minute of its client vanishing (PostgreSQL's default is the system's,
// often two hours): until then a session this process lost on the way,
// a half-open connection, would keep its own lock from it.
func lockPresence(ctx context.Context, url, clientID string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("jobs: presence connection: %w", err)
	}
	for k, v := range map[string]string{"application_name": "roster presence",
		"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"} {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: presence connection: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", presenceLockSpace, clientID).Scan(&got); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("jobs: presence lock: %w", err)
	}
	if !got {
		closeConn(conn)
		return nil, errPresenceTaken
	}
	return conn, nil
}

// run keeps this process's presence and reclaims what gone clients left,
// until ctx ends. On SQLite the instance lock cannot be lost and nothing
// can be left behind while this process holds it, so there is nothing to
// do.
func (p *presence) run(ctx context.Context, logger *slog.Logger) {
	if p.db.Dialect == models.SQLite {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.keep(ctx, logger) })
	p.watch(ctx, logger)
	wg.Wait()
}

// keep pings the lock's connection every check. When it has died, the
// lock has gone with it: keep stops jobs from starting (held), and takes
// the lock again on a new connection, retrying every check until it has.
// A session lock is released only by its own session, which never does,
// or when the session ends, so a connection that answers still holds it.
func (p *presence) keep(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(p.timing.check)
	defer t.Stop()
	var lostAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if lostAt.IsZero() {
			err := p.ping(ctx)
			if err == nil || ctx.Err() != nil {
				continue
			}
			p.held.Store(false)
			lostAt = time.Now()
			logger.Warn("lost this process's presence lock: its PostgreSQL connection failed; no new jobs start here "+
				"until it is taken again, and if that takes longer than the grace, other processes run this one's running jobs again",
				"client", p.self, "grace", p.timing.grace, "error", err)
		}
		if err := p.relock(ctx); err != nil {
			if ctx.Err() == nil {
				logger.Debug("presence lock not taken again yet; retrying", "client", p.self, "error", err)
			}
			continue
		}
		p.held.Store(true)
		logger.Info("took this process's presence lock again on a new PostgreSQL connection; jobs start here again",
			"client", p.self, "lost_for", time.Since(lostAt).Round(time.Millisecond))
		lostAt = time.Time{}
	}
}

// ping checks that the lock's connection still answers.
func (p *presence) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	return p.conn.Ping(ctx)
}

// relock drops the lock's connection, if any, and takes the lock on a new
// one. While PostgreSQL keeps the old session (a half-open connection) it
// keeps the lock too, and relock fails until the session ends.
func (p *presence) relock(ctx context.Context) error {
	if p.conn != nil {
		closeConn(p.conn)
		p.conn = nil
	}
	conn, err := lockPresence(ctx, p.db.URL, p.self)
	if err != nil {
		return err
	}
	p.conn = conn
	return nil
}

// close releases the lock.
func (p *presence) close() {
	if p.file != nil {
		p.file.Close() // closing the descriptor releases the lock
	}
	if p.conn != nil {
		closeConn(p.conn)
	}
}

// closeConn closes conn, waiting at most presenceTimeout for the server.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	conn.Close(ctx)
}

// presenceGate is River worker middleware that runs a job only while this
// process holds its presence. Without it, other processes may, after the
// grace, run this process's jobs again, so a job fetched meanwhile is
// snoozed (which costs no attempt) and any process that holds its lock
// takes it a check later. Running jobs go on: they stay this process's
// until the grace has passed. River's QueuePause would not do: it pauses
// the queue for every process, in the database that may be out of reach.
type presenceGate struct {
	river.MiddlewareDefaults
	p *presence
}

// Work runs the job, or snoozes it while the presence is lost.
func (g *presenceGate) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	if !g.p.held.Load() {
		return river.JobSnooze(g.p.timing.check)
	}
	return doInner(ctx)
}
