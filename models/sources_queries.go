package models

import (
	"context"
	"fmt"
)

// SourcePeople counts the people a source has reported.
type SourcePeople struct {
	Total      int64
	Terminated int64
}

// SourcePeopleCounts returns how many people each source has, by source
// id; sources without anyone are absent.
func (s *Store) SourcePeopleCounts(ctx context.Context) (map[int64]SourcePeople, error) {
	var rows []struct {
		SourceID   int64
		Total      int64
		Terminated int64
	}
	err := s.db.WithContext(ctx).Model(&Person{}).
		Select("source_id, COUNT(*) AS total, SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS terminated", StatusTerminated).
		Group("source_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: people per source: %w", translate(err))
	}
	out := make(map[int64]SourcePeople, len(rows))
	for _, r := range rows {
		out[r.SourceID] = SourcePeople{Total: r.Total, Terminated: r.Terminated}
	}
	return out, nil
}

// LatestSyncRuns returns each source's most recent run, without its
// payload, by source id; sources that never ran are absent.
func (s *Store) LatestSyncRuns(ctx context.Context) (map[int64]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Omit("payload").
		Where("id IN (SELECT max(id) FROM sync_runs GROUP BY source_id)").Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: latest sync runs: %w", translate(err))
	}
	out := make(map[int64]SyncRun, len(runs))
	for _, r := range runs {
		out[r.SourceID] = r
	}
	return out, nil
}
