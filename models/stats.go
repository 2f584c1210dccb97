package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// BulkRows is how many rows a write must touch before RefreshStats is
// worth its cost: below it the statistics a database already has stay
// good enough, above it a query plan chosen from stale statistics can turn
// an index lookup into a scan of every pending change.
const BulkRows = 1000

// StatsDue reports whether a bulk write that took a table's rows from
// before to after (as far as the writer knows) should refresh the
// statistics: each time the count passes BulkRows, twice that, four
// times that, and so on. A table that grows from empty to 100,000 rows
// in one run is analysed seven times, so its statistics are never off by
// more than a factor of two while the run is still reading it (with the
// statistics of an empty table, PostgreSQL scans changes for every
// batch's look-up by person).
func StatsDue(before, after int) bool {
	for mark := BulkRows; mark <= after; mark *= 2 {
		if before < mark {
			return true
		}
	}
	return false
}

// statsTables are the tables bulk writes grow and whose query plans
// matter: people and their events from imports, changes from planning,
// actions from approvals, grants and accounts from execution.
var statsTables = []string{"people", "person_events", "changes", "actions", "grants", "accounts", "river_job"}

// RefreshStats brings the query planner's statistics up to date after a
// bulk write: ANALYZE on PostgreSQL (servers may run with autovacuum off,
// and even with it on, its analyze comes minutes after a 100,000-row
// import, while planning starts at once) and ANALYZE on SQLite with a
// bounded sample (PRAGMA analysis_limit). It runs outside any transaction and is best-effort:
// callers log the error and carry on, since the data is already written.
// With tables named it refreshes only those (of statsTables).
func (s *Store) RefreshStats(ctx context.Context, tables ...string) error {
	if s.inTx {
		return fmt.Errorf("store: refresh statistics inside a transaction")
	}
	if s.dialect == SQLite {
		// ANALYZE with a bounded sample per index, on one connection (the
		// limit is a connection's setting). PRAGMA optimize would be the
		// lighter call, but it judges by what its own connection has
		// queried, and in a pool that is often nothing.
		err := s.db.WithContext(ctx).Connection(func(c *gorm.DB) error {
			if err := c.Exec("PRAGMA analysis_limit = 1000").Error; err != nil {
				return err
			}
			if len(tables) == 0 {
				return c.Exec("ANALYZE").Error
			}
			for _, t := range tables {
				if !slices.Contains(statsTables, t) {
					return fmt.Errorf("%s is not a table Roster refreshes", t)
				}
				if err := c.Exec("ANALYZE " + t).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: refresh statistics: %w", translate(err))
		}
		return nil
	}
	want := statsTables
	if len(tables) > 0 {
		want = tables
	}
	var present []string
	if err := s.db.WithContext(ctx).Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name IN ?`, want).Scan(&present).Error; err != nil {
		return fmt.Errorf("store: refresh statistics: %w", translate(err))
	}
	if len(present) == 0 {
		return nil
	}
	stmt := "ANALYZE " + strings.Join(present, ", ")
	if err := s.db.WithContext(ctx).Exec(stmt).Error; err != nil {
		return fmt.Errorf("store: refresh statistics: %w", translate(err))
	}
	return nil
}
