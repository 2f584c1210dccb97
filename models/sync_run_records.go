package models

import (
	"context"
	"encoding/json"
	"fmt"
)

// syncRunRecordRow is one record of a waiting run as a bulk statement's
// JSON carries it.
type syncRunRecordRow struct {
	Position int    `json:"position"`
	Record   string `json:"record"`
}

// AddSyncRunRecords keeps records of a preview or held run, numbered from
// first on, in statements of jsonBatch rows (one JSON text parameter
// each, as WritePeople does).
func (s *Store) AddSyncRunRecords(ctx context.Context, runID int64, first int, records []PersonFields) error {
	from, col := s.jsonRows(map[string]string{"position": "integer", "record": "text"})
	q := "INSERT INTO sync_run_records (sync_run_id, position, record) SELECT ?, " + col("position") + ", " + col("record") + " FROM " + from
	for len(records) > 0 {
		n := min(len(records), jsonBatch)
		rows := make([]syncRunRecordRow, n)
		for i := range rows {
			b, err := json.Marshal(records[i])
			if err != nil {
				return fmt.Errorf("store: records of sync run %d: %w", runID, err)
			}
			rows[i] = syncRunRecordRow{Position: first + i, Record: string(b)}
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return fmt.Errorf("store: records of sync run %d: %w", runID, err)
		}
		if err := s.db.WithContext(ctx).Exec(q, runID, string(b)).Error; err != nil {
			return fmt.Errorf("store: records of sync run %d: %w", runID, translate(err))
		}
		records, first = records[n:], first+n
	}
	return nil
}

// EachSyncRunRecord hands a waiting run's records to fn in order, read
// jsonBatch at a time by position; no cursor is open while fn runs, so fn
// may write in the same transaction.
func (s *Store) EachSyncRunRecord(ctx context.Context, runID int64, fn func(PersonFields) error) error {
	next := 0
	for {
		var rows []syncRunRecordRow
		err := s.db.WithContext(ctx).Raw("SELECT position, record FROM sync_run_records WHERE sync_run_id = ? AND position >= ? ORDER BY position LIMIT ?",
			runID, next, jsonBatch).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("store: records of sync run %d: %w", runID, translate(err))
		}
		for _, r := range rows {
			var f PersonFields
			if err := json.Unmarshal([]byte(r.Record), &f); err != nil {
				return fmt.Errorf("store: sync run %d record %d: %w", runID, r.Position, err)
			}
			if err := fn(f); err != nil {
				return err
			}
			next = r.Position + 1
		}
		if len(rows) < jsonBatch {
			return nil
		}
	}
}

// SyncRunRecords returns a waiting run's records in order; for tests and
// small runs, as it holds them all.
func (s *Store) SyncRunRecords(ctx context.Context, runID int64) ([]PersonFields, error) {
	out := []PersonFields{}
	err := s.EachSyncRunRecord(ctx, runID, func(f PersonFields) error {
		out = append(out, f)
		return nil
	})
	return out, err
}

// deleteSyncRunRecords drops a decided run's records.
func (s *Store) deleteSyncRunRecords(ctx context.Context, runID int64) error {
	if err := s.db.WithContext(ctx).Exec("DELETE FROM sync_run_records WHERE sync_run_id = ?", runID).Error; err != nil {
		return fmt.Errorf("store: drop records of sync run %d: %w", runID, translate(err))
	}
	return nil
}
