package models

import (
	"context"
	"fmt"
	"strings"
)

// BulkRows is how many rows a write must touch before RefreshStats is
// worth its cost: below it the statistics a database already has stay
// good enough, above it a query plan chosen from stale statistics can turn
// an index lookup into a scan of every pending change.
const BulkRows = 1000

// statsTables are the tables bulk writes grow and whose query plans
// matter: people and their events from imports, changes from planning,
// actions from approvals, grants and accounts from execution.
var statsTables = []string{"people", "person_events", "person_identities", "changes", "actions", "grants", "accounts", "river_job"}

// RefreshStats brings the query planner's statistics up to date after a
// bulk write: ANALYZE on PostgreSQL (servers may run with autovacuum off,
// and even with it on, its analyze comes minutes after a 100,000-row
// import, while planning starts at once) and PRAGMA optimize on SQLite
// (which analyzes the tables whose statistics are missing or stale, with
// a bounded sample). It runs outside any transaction and is best-effort:
// callers log the error and carry on, since the data is already written.
func (s *Store) RefreshStats(ctx context.Context) error {
	if s.inTx {
		return fmt.Errorf("store: refresh statistics inside a transaction")
	}
	var stmt string
	switch s.dialect {
	case Postgres:
		var present []string
		if err := s.db.WithContext(ctx).Raw(`SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name IN ?`, statsTables).Scan(&present).Error; err != nil {
			return fmt.Errorf("store: refresh statistics: %w", translate(err))
		}
		if len(present) == 0 {
			return nil
		}
		stmt = "ANALYZE " + strings.Join(present, ", ")
	default:
		// 0x10002: analyze every table that needs it, not only those this
		// connection has used (SQLite 3.46 and later).
		stmt = "PRAGMA optimize=0x10002"
	}
	if err := s.db.WithContext(ctx).Exec(stmt).Error; err != nil {
		return fmt.Errorf("store: refresh statistics: %w", translate(err))
	}
	return nil
}
