package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/models"
)

// A process killed mid-job (SIGKILL, OOM, a pulled plug) leaves its River
// jobs in state running. River rescues such a job only once it has been
// running longer than RescueStuckJobsAfter and its worker's timeout,
// because it cannot tell a slow job from one whose process is gone, and
// only from the leader, whose lease a killed leader holds for a while
// more. After a crash, approved actions would wait minutes.
//
// Roster can tell, so it requeues them at once:
//
//   - On SQLite one process serves a database file. It holds an exclusive
//     lock on "<file>.lock" to be sure of it, so every job running when it
//     starts was left by a process that is gone.
//   - On PostgreSQL every process holds a session advisory lock keyed by
//     its River client ID, on a connection of its own. PostgreSQL drops the
//     lock when that connection dies with its process, so a client whose
//     key anyone can lock is gone. Every process looks every
//     reclaimInterval; a connection pooler in transaction mode would
//     break this (connect directly, or through session pooling).
//
// A requeued job runs again; workers are idempotent (an execute_action job
// repeats its webhook call with the same Idempotency-Key).

// reclaimInterval is how often a PostgreSQL process looks for jobs of
// clients that are gone.
const reclaimInterval = 10 * time.Second

// presenceLockSpace is the first key of the two-key advisory locks that
// mark clients alive (the second is the hash of the client ID).
const presenceLockSpace = 0x526f7374 // "Rost"

// presence marks this process's River client as alive and tells whether
// another one is.
type presence struct {
	db   *models.DB
	self string    // this process's River client ID
	file *os.File  // SQLite: the instance lock
	conn *pgx.Conn // PostgreSQL: the session holding this client's lock
}

// errDatabaseInUse is returned when another process serves the SQLite
// database.
var errDatabaseInUse = errors.New("another Roster process is serving this SQLite database; " +
	"run one process per SQLite file (several processes need PostgreSQL)")

// claimPresence takes this process's lock: the SQLite instance lock, or
// the PostgreSQL advisory lock for clientID.
func claimPresence(ctx context.Context, db *models.DB, clientID string) (*presence, error) {
	p := &presence{db: db, self: clientID}
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
		return p, nil
	}
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return nil, fmt.Errorf("jobs: presence connection: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", presenceLockSpace, clientID).Scan(&got); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("jobs: presence lock: %w", err)
	}
	if !got { // the ID has a random part: another process cannot have it
		conn.Close(ctx)
		return nil, fmt.Errorf("jobs: presence lock: River client ID %s is in use by another process", clientID)
	}
	p.conn = conn
	return p, nil
}

// close releases the lock.
func (p *presence) close() {
	if p.file != nil {
		p.file.Close() // closing the descriptor releases the lock
	}
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.conn.Close(ctx)
	}
}

// alive reports whether the River client id still runs.
func (p *presence) alive(ctx context.Context, id string) (bool, error) {
	if id == p.self {
		return true, nil
	}
	if p.db.Dialect == models.SQLite {
		return false, nil // this process holds the instance lock
	}
	// A transaction-scoped lock goes with the transaction: probing never
	// holds anything.
	tx, err := p.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: probe client %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var free bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", presenceLockSpace, id).Scan(&free); err != nil {
		return false, fmt.Errorf("jobs: probe client %s: %w", id, err)
	}
	return !free, nil
}

// reclaim makes the jobs that clients which are gone left running
// available again, and frees the leadership such a client held. It
// returns how many jobs it requeued.
func (p *presence) reclaim(ctx context.Context, logger *slog.Logger) (int, error) {
	lastClient := "attempted_by[array_length(attempted_by, 1)]"
	if p.db.Dialect == models.SQLite {
		lastClient = "json_extract(json(attempted_by), '$[#-1]')"
	}
	rows, err := p.db.SQL.QueryContext(ctx, "SELECT id, coalesce("+lastClient+", '') FROM river_job WHERE state = 'running'")
	if err != nil {
		return 0, fmt.Errorf("jobs: running jobs: %w", err)
	}
	byClient := map[string][]int64{}
	for rows.Next() {
		var id int64
		var client string
		if err := rows.Scan(&id, &client); err != nil {
			rows.Close()
			return 0, fmt.Errorf("jobs: running jobs: %w", err)
		}
		byClient[client] = append(byClient[client], id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("jobs: running jobs: %w", err)
	}

	requeued := 0
	for client, ids := range byClient {
		if alive, err := p.alive(ctx, client); err != nil || alive {
			if err != nil {
				return requeued, err
			}
			continue
		}
		n, err := p.requeue(ctx, ids)
		if err != nil {
			return requeued, err
		}
		requeued += n
		logger.Warn("requeued jobs a stopped Roster process left running; they run again now",
			"jobs", n, "stopped_client", client)
	}
	return requeued, p.freeLeadership(ctx, logger)
}

// requeue makes running jobs available now. The state check keeps a job
// that finished meanwhile finished.
func (p *presence) requeue(ctx context.Context, ids []int64) (int, error) {
	now := "now()"
	if p.db.Dialect == models.SQLite {
		now = "datetime('now', 'subsec')" // River's SQLite time format
	}
	total := 0
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i], marks[i] = id, placeholder(p.db.Dialect, i+1)
		}
		res, err := p.db.SQL.ExecContext(ctx, "UPDATE river_job SET state = 'available', scheduled_at = "+now+
			" WHERE state = 'running' AND id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return total, fmt.Errorf("jobs: requeue jobs: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// freeLeadership ends the lease of a leader that is gone, so this process
// can take over the periodic jobs and River's maintenance within seconds.
func (p *presence) freeLeadership(ctx context.Context, logger *slog.Logger) error {
	var leader string
	err := p.db.SQL.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&leader)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jobs: leader: %w", err)
	}
	alive, err := p.alive(ctx, leader)
	if err != nil || alive {
		return err
	}
	if _, err := p.db.SQL.ExecContext(ctx, "DELETE FROM river_leader WHERE leader_id = "+placeholder(p.db.Dialect, 1), leader); err != nil {
		return fmt.Errorf("jobs: free leadership: %w", err)
	}
	logger.Info("freed the job leadership a stopped Roster process held", "stopped_client", leader)
	return nil
}

// watch reclaims every reclaimInterval until ctx ends. On SQLite nothing
// can be left behind while this process holds the instance lock, so
// there is nothing to watch.
func (p *presence) watch(ctx context.Context, logger *slog.Logger) {
	if p.db.Dialect == models.SQLite {
		return
	}
	t := time.NewTicker(reclaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := p.reclaim(ctx, logger); err != nil && ctx.Err() == nil {
			logger.Error("looking for jobs of stopped Roster processes", "error", err)
		}
	}
}

// placeholder is the n-th bind parameter in the dialect.
func placeholder(d models.Dialect, n int) string {
	if d == models.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
