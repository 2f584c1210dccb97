package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rosterhq/roster/models"
)

// alive reports whether the River client id holds its lock now.
func (p *presence) alive(ctx context.Context, id string) (bool, error) {
	if id == p.self {
		return true, nil
	}
	if p.db.Dialect == models.SQLite {
		return false, nil // this process holds the instance lock
	}
	// A transaction-scoped lock goes with the transaction: probing never
	// holds anything. A client taking its lock again at that instant
	// fails and retries a check later.
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

// gone reports whether the River client id is gone. On PostgreSQL a free
// key is not enough: a live process whose connection dropped has none
// until it takes its lock again, a few seconds later. So id is gone once
// its key has been free at every sweep for the grace; a sweep that finds
// it held starts the count again. free collects, for the next sweep,
// since when each free key has been seen free.
func (p *presence) gone(ctx context.Context, id string, free map[string]time.Time) (bool, error) {
	alive, err := p.alive(ctx, id)
	if err != nil || alive {
		return false, err
	}
	if p.db.Dialect == models.SQLite {
		return true, nil
	}
	since, seen := free[id]
	if !seen {
		if since, seen = p.freeSince[id]; !seen {
			since = p.now()
		}
	}
	free[id] = since
	return p.now().Sub(since) >= p.timing.grace, nil
}

// reclaim makes the jobs that clients which are gone left running
// available again, and frees the leadership such a client held. It
// returns how many jobs it requeued. It is not safe for concurrent use.
func (p *presence) reclaim(ctx context.Context, logger *slog.Logger) (int, error) {
	byClient, err := p.runningByClient(ctx)
	if err != nil {
		return 0, err
	}
	free := map[string]time.Time{}
	requeued := 0
	for client, ids := range byClient {
		if gone, err := p.gone(ctx, client, free); err != nil || !gone {
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
	if err := p.freeLeadership(ctx, logger, free); err != nil {
		return requeued, err
	}
	p.freeSince = free // a key no longer looked at is forgotten
	return requeued, nil
}

// runningByClient lists the running jobs by the client that runs them.
func (p *presence) runningByClient(ctx context.Context) (map[string][]int64, error) {
	lastClient := "attempted_by[array_length(attempted_by, 1)]"
	if p.db.Dialect == models.SQLite {
		lastClient = "json_extract(json(attempted_by), '$[#-1]')"
	}
	rows, err := p.db.SQL.QueryContext(ctx, "SELECT id, coalesce("+lastClient+", '') FROM river_job WHERE state = 'running'")
	if err != nil {
		return nil, fmt.Errorf("jobs: running jobs: %w", err)
	}
	defer rows.Close()
	byClient := map[string][]int64{}
	for rows.Next() {
		var id int64
		var client string
		if err := rows.Scan(&id, &client); err != nil {
			return nil, fmt.Errorf("jobs: running jobs: %w", err)
		}
		byClient[client] = append(byClient[client], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: running jobs: %w", err)
	}
	return byClient, nil
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
func (p *presence) freeLeadership(ctx context.Context, logger *slog.Logger, free map[string]time.Time) error {
	var leader string
	err := p.db.SQL.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&leader)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jobs: leader: %w", err)
	}
	gone, err := p.gone(ctx, leader, free)
	if err != nil || !gone {
		return err
	}
	if _, err := p.db.SQL.ExecContext(ctx, "DELETE FROM river_leader WHERE leader_id = "+placeholder(p.db.Dialect, 1), leader); err != nil {
		return fmt.Errorf("jobs: free leadership: %w", err)
	}
	logger.Info("freed the job leadership a stopped Roster process held", "stopped_client", leader)
	return nil
}

// watch reclaims every sweep until ctx ends.
func (p *presence) watch(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(p.timing.sweep)
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
