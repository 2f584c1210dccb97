package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SyncStatus is where a sync run is.
type SyncStatus string

// Sync run statuses. A preview run is an uploaded file waiting for an
// admin to confirm it; a held run tripped the brake and waits for an owner
// or admin to confirm or discard it. Neither has changed any person yet.
const (
	SyncPreview   SyncStatus = "preview"
	SyncRunning   SyncStatus = "running"
	SyncSucceeded SyncStatus = "succeeded"
	SyncFailed    SyncStatus = "failed"
	SyncHeld      SyncStatus = "held"
	SyncDiscarded SyncStatus = "discarded"
)

// ErrRunDecided refuses to confirm or discard a run that is no longer
// waiting (someone else decided it first).
var ErrRunDecided = errors.New("this sync run has already been applied or discarded")

// RowError is one invalid row of an import, by line number.
type RowError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// SyncCounts are what a run found.
type SyncCounts struct {
	Joiners int
	// Existing counts the people a baseline run took as current staff
	// (models.EventBaseline) rather than as joiners.
	Existing  int
	Movers    int
	Leavers   int
	Rehires   int
	Unchanged int
}

// SyncRun is one read of a source: an upload, a command-line import or a
// scheduled fetch.
type SyncRun struct {
	ID       int64
	SourceID int64
	Status   SyncStatus
	Trigger  string // upload, cli, schedule
	FileName string
	SyncCounts
	// Baseline: the run takes people it finds already employed (active,
	// start date passed) as current staff, not joiners (hrsync).
	Baseline   bool
	RowErrors  []RowError `gorm:"serializer:json"`
	Error      string
	HeldReason string
	// Payload is no longer written: a waiting run's records are rows of
	// sync_run_records (AddSyncRunRecords), and migration 00017 moved the
	// payloads of runs that were waiting then. The column stays for its
	// Down migration.
	Payload    string
	CreatedBy  string
	DecidedBy  string
	DecidedAt  *time.Time
	CreatedAt  time.Time
	FinishedAt *time.Time
}

// TableName implements gorm's Tabler.
func (SyncRun) TableName() string { return "sync_runs" }

// Waiting reports whether the run awaits a decision.
func (r *SyncRun) Waiting() bool { return r.Status == SyncPreview || r.Status == SyncHeld }

// CreateSyncRun records a run. For preview and held runs, records are kept
// in sync_run_records until someone decides (more can be added in
// batches with AddSyncRunRecords).
func (s *Store) CreateSyncRun(ctx context.Context, run *SyncRun, records []PersonFields) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.createSyncRun(ctx, run); err != nil {
			return err
		}
		return tx.AddSyncRunRecords(ctx, run.ID, 0, records)
	})
}

func (s *Store) createSyncRun(ctx context.Context, run *SyncRun) error {
	run.Payload = ""
	if run.RowErrors == nil {
		run.RowErrors = []RowError{}
	}
	run.CreatedAt = time.Now().UTC()
	if !run.Waiting() && run.FinishedAt == nil {
		run.FinishedAt = &run.CreatedAt
	}
	if err := s.db.WithContext(ctx).Create(run).Error; err != nil {
		return fmt.Errorf("store: create sync run: %w", translate(err))
	}
	return nil
}

// SourceSynced reports whether a source has had a run applied: a source
// that has not is new, and its first sync is a baseline by default.
func (s *Store) SourceSynced(ctx context.Context, sourceID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&SyncRun{}).Where("source_id = ? AND status = ?", sourceID, SyncSucceeded).
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: source %d synced: %w", sourceID, translate(err))
	}
	return n > 0, nil
}

// SetPreviewOutcome records what a preview run found (its counts, and why
// the brake would hold it when it would), once its records are kept.
func (s *Store) SetPreviewOutcome(ctx context.Context, runID int64, counts SyncCounts, heldReason string) error {
	res := s.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ? AND status = ?", runID, SyncPreview).Updates(map[string]any{
		"joiners": counts.Joiners, "existing": counts.Existing, "movers": counts.Movers, "leavers": counts.Leavers, "rehires": counts.Rehires,
		"unchanged": counts.Unchanged, "held_reason": heldReason})
	if res.Error != nil {
		return fmt.Errorf("store: preview %d: %w", runID, translate(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("store: preview %d: %w", runID, ErrRunDecided)
	}
	return nil
}

// SyncRunByID returns one run.
func (s *Store) SyncRunByID(ctx context.Context, id int64) (*SyncRun, error) {
	var r SyncRun
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, fmt.Errorf("store: sync run %d: %w", id, translate(err))
	}
	return &r, nil
}

// ListSyncRuns returns a source's latest runs, newest first, without
// payloads.
func (s *Store) ListSyncRuns(ctx context.Context, sourceID int64, limit int) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Omit("payload").Where("source_id = ?", sourceID).Order("id DESC").Limit(limit).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: sync runs of source %d: %w", sourceID, translate(err))
	}
	return runs, nil
}

// HeldSyncRuns returns every run the brake is holding, oldest first.
func (s *Store) HeldSyncRuns(ctx context.Context) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Omit("payload").Where("status = ?", SyncHeld).Order("id").Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: held sync runs: %w", translate(err))
	}
	return runs, nil
}

// claimRun moves a waiting run to running; it fails with ErrRunDecided if
// someone else got there first.
func (s *Store) claimRun(ctx context.Context, id int64, from SyncStatus) error {
	res := s.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ? AND status = ?", id, from).Update("status", SyncRunning)
	if res.Error != nil {
		return fmt.Errorf("store: claim sync run %d: %w", id, translate(res.Error))
	}
	if res.RowsAffected != 1 {
		return ErrRunDecided
	}
	return nil
}

// DiscardSyncRun drops a preview or held run without touching anyone.
func (s *Store) DiscardSyncRun(ctx context.Context, actor Actor, id int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		run, err := tx.SyncRunByID(ctx, id)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		res := tx.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ? AND status IN ?", id, []SyncStatus{SyncPreview, SyncHeld}).
			Updates(map[string]any{"status": SyncDiscarded, "payload": "", "decided_by": actor.Email, "decided_at": now, "finished_at": now})
		if res.Error != nil {
			return fmt.Errorf("store: discard sync run %d: %w", id, translate(res.Error))
		}
		if res.RowsAffected != 1 {
			return ErrRunDecided
		}
		if err := tx.deleteSyncRunRecords(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSyncDiscarded, SubjectType: "sync_run", SubjectID: id,
			SubjectLabel: fmt.Sprintf("run %d", id), Before: map[string]any{"status": run.Status}})
	})
}

// HoldSyncRun moves a preview run the brake stops to held, with the
// counts and the reason, and audits it. A run no longer in preview is
// ErrRunDecided.
func (s *Store) HoldSyncRun(ctx context.Context, actor Actor, id int64, counts SyncCounts, reason string) error {
	return s.WithTx(ctx, func(tx *Store) error {
		res := tx.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ? AND status = ?", id, SyncPreview).Updates(map[string]any{
			"status": SyncHeld, "held_reason": reason, "joiners": counts.Joiners, "existing": counts.Existing, "movers": counts.Movers,
			"leavers": counts.Leavers, "rehires": counts.Rehires, "unchanged": counts.Unchanged,
		})
		if res.Error != nil {
			return fmt.Errorf("store: hold sync run %d: %w", id, translate(res.Error))
		}
		if res.RowsAffected != 1 {
			return ErrRunDecided
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSyncHeld, SubjectType: "sync_run", SubjectID: id,
			SubjectLabel: fmt.Sprintf("run %d", id), After: map[string]any{"reason": reason, "counts": counts}})
	})
}

// PersonChange is one person's part of a sync run, as detection computed
// it: what to store and which event to record.
type PersonChange struct {
	Kind          EventKind
	PersonID      int64 // 0 for a joiner
	Fields        PersonFields
	Diff          []FieldChange
	DuplicateOfID *int64
}

// ApplySyncRun writes a run's changes in one transaction: people inserted
// or updated, one event each, and the run marked succeeded with its
// counts. from is the status the run must still have (preview, held or
// running); it returns the ids of every person touched.
func (s *Store) ApplySyncRun(ctx context.Context, actor Actor, run *SyncRun, from SyncStatus, counts SyncCounts, changes []PersonChange) ([]int64, error) {
	var touched []int64
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.LockSource(ctx, run.SourceID); err != nil {
			return err
		}
		if from != SyncRunning {
			if err := tx.claimRun(ctx, run.ID, from); err != nil {
				return err
			}
		}
		var err error
		if touched, err = tx.WritePeople(ctx, run.SourceID, run.ID, changes); err != nil {
			return err
		}
		now := time.Now().UTC()
		err = tx.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ?", run.ID).Updates(map[string]any{
			"status": SyncSucceeded, "payload": "", "finished_at": now,
			"joiners": counts.Joiners, "existing": counts.Existing, "movers": counts.Movers, "leavers": counts.Leavers,
			"rehires": counts.Rehires, "unchanged": counts.Unchanged,
		}).Error
		if err != nil {
			return fmt.Errorf("store: finish sync run %d: %w", run.ID, translate(err))
		}
		if err := tx.deleteSyncRunRecords(ctx, run.ID); err != nil {
			return err
		}
		action := ActionSyncApplied
		if from == SyncHeld || from == SyncPreview {
			action = ActionSyncConfirmed
			if err := tx.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ?", run.ID).
				Updates(map[string]any{"decided_by": actor.Email, "decided_at": now}).Error; err != nil {
				return fmt.Errorf("store: sync run %d: %w", run.ID, translate(err))
			}
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: action, SubjectType: "sync_run", SubjectID: run.ID,
			SubjectLabel: fmt.Sprintf("run %d", run.ID), After: counts})
	})
	if err != nil {
		return nil, err
	}
	run.Status, run.SyncCounts = SyncSucceeded, counts
	return touched, nil
}

// LockSource serialises applying runs of one source on PostgreSQL, so two
// runs cannot interleave their writes. SQLite's write transactions are
// serialised already.
func (s *Store) LockSource(ctx context.Context, sourceID int64) error {
	if s.dialect != Postgres {
		return nil
	}
	var id int64
	err := s.db.WithContext(ctx).Raw("SELECT id FROM sources WHERE id = ? FOR UPDATE", sourceID).Scan(&id).Error
	if err != nil {
		return fmt.Errorf("store: lock source %d: %w", sourceID, translate(err))
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
