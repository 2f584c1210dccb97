package hrsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/models"
)

// Syncer applies sync runs through the store. Who may confirm or discard
// a run (an owner or admin) is decided by the caller's route, not here.
type Syncer struct {
	// Store reads and writes people and runs.
	Store *models.Store
	// Now defaults to time.Now.
	Now func() time.Time
	// Today returns the org's calendar date (YYYY-MM-DD). The default is
	// Now in the org time zone setting (UTC when unset or unknown).
	Today func(ctx context.Context) string
	// PlanLater, when set, is called in the transaction that applies a run
	// with the ids of every person it touched, to insert the jobs that
	// re-plan them (jobs.Planning.PlanSyncRun): a process that dies after
	// the run is applied leaves its people queued for planning, never
	// unplanned.
	PlanLater func(ctx context.Context, tx *models.Store, syncRunID int64, personIDs []int64) error
	// Logger reports what is worth knowing but does not fail a run; the
	// default is slog.Default().
	Logger *slog.Logger
}

var errNoSource = errors.New("hrsync: no source given")

// Outcome is what a run did, or for a preview would do.
type Outcome struct {
	Counts     models.SyncCounts
	Duplicates int
	// Held is set when the brake holds the run (for a preview: would hold
	// it on confirmation), with the reason an admin reads.
	Held       bool
	HeldReason string
	Applied    bool
	// Baseline: the run took people already employed as current staff
	// (Counts.Existing) rather than joiners.
	Baseline  bool
	RowErrors []models.RowError
}

// Option changes how one run reads its snapshot.
type Option func(*runOptions)

type runOptions struct {
	baseline *bool
}

// Baseline chooses whether a run takes the people it finds already
// employed (active, start date passed) as current staff — no welcome
// mail, nothing in To Invite, only access they lack proposed — or as
// joiners. Without it a source's first sync is a baseline and every later
// one is not: an existing company's people are not all new hires.
func Baseline(on bool) Option {
	return func(o *runOptions) { o.baseline = &on }
}

// baselineOf decides whether a run is a baseline: as chosen, else
// whether the source is new.
func baselineOf(ctx context.Context, tx *models.Store, src *models.Source, opts []Option) (bool, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.baseline != nil {
		return *o.baseline, nil
	}
	synced, err := tx.SourceSynced(ctx, src.ID)
	return !synced, err
}

// Summary is the command line's last line.
func (o Outcome) Summary() string {
	return fmt.Sprintf("joiners=%d existing=%d movers=%d leavers=%d rehires=%d unchanged=%d held=%t",
		o.Counts.Joiners, o.Counts.Existing, o.Counts.Movers, o.Counts.Leavers, o.Counts.Rehires, o.Counts.Unchanged, o.Held)
}

// Preview records a run awaiting confirmation. With row errors it records
// a failed run instead (nothing kept, audited as rejected) and returns it
// with the errors in the outcome. Otherwise it is PreviewRows.
func (s *Syncer) Preview(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	records []models.PersonFields, rowErrors []models.RowError, opts ...Option) (*models.SyncRun, Outcome, error) {
	if src == nil {
		return nil, Outcome{}, errNoSource
	}
	if len(rowErrors) > 0 {
		return s.reject(ctx, actor, src, trigger, fileName, rowErrors)
	}
	return s.PreviewRows(ctx, actor, src, trigger, fileName, SliceRows(records), opts...)
}

// PreviewRows compares a streamed snapshot with the source's people as an
// import would, in one pass: a dry scan (counting and weighing what an
// import would write, writing nothing) while the records go into a
// preview run's sync_run_records, which then holds the counts and the
// brake's verdict (HeldReason is set when confirming would hold the run).
// A snapshot with row errors records a failed run, as in Preview.
func (s *Syncer) PreviewRows(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	rows Rows, opts ...Option) (*models.SyncRun, Outcome, error) {
	if src == nil {
		return nil, Outcome{}, errNoSource
	}
	today, now := s.today(ctx), s.now()
	var run *models.SyncRun
	var out Outcome
	var rowErrors []models.RowError
	err := s.Store.WithTx(ctx, func(tx *models.Store) error {
		baseline, err := baselineOf(ctx, tx, src, opts)
		if err != nil {
			return err
		}
		run = &models.SyncRun{SourceID: src.ID, Status: models.SyncPreview, Trigger: trigger, FileName: fileName,
			Baseline: baseline, CreatedBy: actor.Email}
		if err := tx.CreateSyncRun(ctx, run, nil); err != nil {
			return err
		}
		sc, err := newScan(ctx, tx, src, run.ID, today, now)
		if err != nil {
			return err
		}
		sc.dry, sc.baseline = true, baseline
		keep := &recordKeeper{tx: tx, runID: run.ID}
		if rowErrors, err = rows(func(f models.PersonFields) error {
			if err := sc.add(ctx, f); err != nil {
				return err
			}
			return keep.add(ctx, f)
		}); err != nil {
			return err
		}
		if len(rowErrors) > 0 {
			return errUndo // an invalid snapshot keeps nothing
		}
		if err := keep.flush(ctx); err != nil {
			return err
		}
		if out, err = sc.finish(ctx); err != nil {
			return err
		}
		run.SyncCounts, run.HeldReason = out.Counts, out.HeldReason
		return tx.SetPreviewOutcome(ctx, run.ID, out.Counts, out.HeldReason)
	})
	if len(rowErrors) > 0 && errors.Is(err, errUndo) {
		return s.reject(ctx, actor, src, trigger, fileName, rowErrors)
	}
	if err != nil {
		return nil, Outcome{}, fmt.Errorf("hrsync: preview: %w", err)
	}
	return run, out, nil
}

// Confirm decides a preview or held run. It replays the run's records
// (sync_run_records, in order) through the scan against the people as
// they are now (they may have changed since the preview), then: a preview
// the brake stops is held and nothing is applied; a held run is applied,
// the confirmation overriding the brake; any other preview is applied. Of
// two concurrent confirmations exactly one succeeds, the other gets
// models.ErrRunDecided.
func (s *Syncer) Confirm(ctx context.Context, actor models.Actor, runID int64) (*models.SyncRun, Outcome, error) {
	today, now := s.today(ctx), s.now()
	var waiting *models.SyncRun
	var out Outcome
	var touched []int64
	err := s.Store.WithTx(ctx, func(tx *models.Store) error {
		var err error
		if waiting, err = tx.SyncRunByID(ctx, runID); err != nil {
			return err
		}
		if !waiting.Waiting() {
			return models.ErrRunDecided
		}
		src, err := tx.SourceByID(ctx, waiting.SourceID)
		if err != nil {
			return err
		}
		sc, err := newScan(ctx, tx, src, waiting.ID, today, now)
		if err != nil {
			return err
		}
		sc.baseline = waiting.Baseline // as the preview showed it
		// Read again under the source's lock: a confirmation that waited
		// for another must not replay records it already deleted.
		if again, err := tx.SyncRunByID(ctx, runID); err != nil || again.Status != waiting.Status {
			return cmp.Or(err, models.ErrRunDecided)
		}
		if err := tx.EachSyncRunRecord(ctx, runID, func(f models.PersonFields) error { return sc.add(ctx, f) }); err != nil {
			return err
		}
		if out, err = sc.finish(ctx); err != nil {
			return err
		}
		out.Baseline = waiting.Baseline
		if waiting.Status == models.SyncPreview && out.Held {
			return errUndo // the scan's writes go; the preview is held below
		}
		if err := sc.applyLeavers(ctx); err != nil {
			return err
		}
		out.Held, out.HeldReason, out.Applied, touched = false, "", true, sc.touched
		// The guarded claim in ApplySyncRun fails a concurrent second
		// confirmation, rolling its writes back.
		if _, err := tx.ApplySyncRun(ctx, actor, waiting, waiting.Status, out.Counts, nil); err != nil {
			return err
		}
		return s.planLater(ctx, tx, waiting.ID, touched)
	})
	run := waiting
	if errors.Is(err, errUndo) {
		err = s.Store.WithTx(ctx, func(tx *models.Store) error {
			var err error
			run, err = holdPreview(ctx, tx, actor, waiting, out.Counts, out.HeldReason)
			return err
		})
	}
	if err != nil {
		return nil, Outcome{}, fmt.Errorf("hrsync: confirm run %d: %w", runID, err)
	}
	s.refreshStats(ctx, len(touched))
	return s.finish(ctx, run, out)
}

// Discard drops a preview or held run without touching anyone.
func (s *Syncer) Discard(ctx context.Context, actor models.Actor, runID int64) error {
	if err := s.Store.DiscardSyncRun(ctx, actor, runID); err != nil {
		return fmt.Errorf("hrsync: discard run %d: %w", runID, err)
	}
	return nil
}

// Import reads a snapshot in one synchronous call, for the command line
// and scheduled syncs: what Preview then Confirm would do, without the
// intermediate preview run. A run the brake stops is stored held (with
// its records, for an admin to confirm); any other is applied at once and
// audited as models.ActionSyncApplied. Row errors record a failed run, as
// in Preview: check Outcome.RowErrors.
func (s *Syncer) Import(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	records []models.PersonFields, rowErrors []models.RowError, opts ...Option) (*models.SyncRun, Outcome, error) {
	if src == nil {
		return nil, Outcome{}, errNoSource
	}
	if len(rowErrors) > 0 {
		return s.reject(ctx, actor, src, trigger, fileName, rowErrors)
	}
	return s.ImportRows(ctx, actor, src, trigger, fileName, SliceRows(records), opts...)
}

// errUndo rolls back a streamed import that must change nothing: the
// snapshot had invalid rows, or the brake holds it.
var errUndo = errors.New("hrsync: undo the streamed import")

// ImportRows is Import for a streamed snapshot (see scan): people are
// compared through their stored hashes and written in batches as the
// rows come, and an unchanged snapshot writes nothing but its run. When
// the snapshot turns out invalid or held, everything is rolled back;
// a held run then reads the snapshot again to keep its records.
func (s *Syncer) ImportRows(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	rows Rows, opts ...Option) (*models.SyncRun, Outcome, error) {
	if src == nil {
		return nil, Outcome{}, errNoSource
	}
	today, now := s.today(ctx), s.now()
	var run *models.SyncRun
	var out Outcome
	var touched []int64
	var rowErrors []models.RowError
	err := s.Store.WithTx(ctx, func(tx *models.Store) error {
		baseline, err := baselineOf(ctx, tx, src, opts)
		if err != nil {
			return err
		}
		run = &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning, Trigger: trigger, FileName: fileName,
			Baseline: baseline, CreatedBy: actor.Email}
		if err := tx.CreateSyncRun(ctx, run, nil); err != nil {
			return err
		}
		sc, err := newScan(ctx, tx, src, run.ID, today, now)
		if err != nil {
			return err
		}
		sc.baseline = baseline
		if rowErrors, err = rows(func(f models.PersonFields) error { return sc.add(ctx, f) }); err != nil {
			return err
		}
		if len(rowErrors) > 0 {
			return errUndo
		}
		if out, err = sc.finish(ctx); err != nil {
			return err
		}
		out.Baseline = baseline
		if out.Held {
			return errUndo
		}
		if err := sc.applyLeavers(ctx); err != nil {
			return err
		}
		out.Applied, touched = true, sc.touched
		if _, err := tx.ApplySyncRun(ctx, actor, run, models.SyncRunning, out.Counts, nil); err != nil {
			return err
		}
		return s.planLater(ctx, tx, run.ID, touched)
	})
	switch {
	case errors.Is(err, errUndo) && len(rowErrors) > 0:
		return s.reject(ctx, actor, src, trigger, fileName, rowErrors)
	case errors.Is(err, errUndo):
		return s.hold(ctx, actor, src, trigger, fileName, rows, out)
	case err != nil:
		return nil, Outcome{}, fmt.Errorf("hrsync: import: %w", err)
	}
	s.refreshStats(ctx, len(touched))
	return s.finish(ctx, run, out)
}

// hold stores a streamed snapshot the brake stops as a held run, with its
// records read again into sync_run_records.
func (s *Syncer) hold(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	rows Rows, out Outcome) (*models.SyncRun, Outcome, error) {
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncHeld, Trigger: trigger, FileName: fileName,
		SyncCounts: out.Counts, HeldReason: out.HeldReason, Baseline: out.Baseline, CreatedBy: actor.Email}
	if err := s.Store.WithTx(ctx, func(tx *models.Store) error { return createHeld(ctx, tx, actor, run, rows) }); err != nil {
		return nil, Outcome{}, fmt.Errorf("hrsync: import: %w", err)
	}
	return s.finish(ctx, run, out)
}

// keepRecords reads a snapshot again into a waiting run's records, a
// batch at a time, in canonical form.
func keepRecords(ctx context.Context, tx *models.Store, runID int64, rows Rows) error {
	keep := &recordKeeper{tx: tx, runID: runID}
	if _, err := rows(func(f models.PersonFields) error { return keep.add(ctx, f) }); err != nil {
		return fmt.Errorf("read the snapshot again: %w", err)
	}
	return keep.flush(ctx)
}

// recordKeeper writes a waiting run's records as they stream, a batch at
// a time, in canonical form and in order.
type recordKeeper struct {
	tx      *models.Store
	runID   int64
	batch   []models.PersonFields
	written int
}

func (k *recordKeeper) add(ctx context.Context, f models.PersonFields) error {
	if k.batch = append(k.batch, canonical(f)); len(k.batch) == scanBatch {
		return k.flush(ctx)
	}
	return nil
}

func (k *recordKeeper) flush(ctx context.Context) error {
	if len(k.batch) == 0 {
		return nil
	}
	err := k.tx.AddSyncRunRecords(ctx, k.runID, k.written, k.batch)
	k.written, k.batch = k.written+len(k.batch), k.batch[:0]
	return err
}

// refreshStats brings the query planner's statistics up to date after a
// run that touched many people, so the planning that follows reads them
// by index; the run is committed already, so a failure is only logged.
// Only the tables a run writes are refreshed: planning refreshes changes
// as it writes them.
func (s *Syncer) refreshStats(ctx context.Context, touched int) {
	if touched < models.BulkRows {
		return
	}
	if err := s.Store.RefreshStats(ctx, "people", "person_events"); err != nil {
		s.logger().Warn("hrsync: refresh statistics after a sync run", "people", touched, "err", err)
	}
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// holdPreview moves a preview the brake stops to held; the guarded
// update is the atomic claim, so a concurrent decision on the same preview
// gets models.ErrRunDecided.
func holdPreview(ctx context.Context, tx *models.Store, actor models.Actor, preview *models.SyncRun,
	counts models.SyncCounts, reason string) (*models.SyncRun, error) {
	if err := tx.HoldSyncRun(ctx, actor, preview.ID, counts, reason); err != nil {
		return nil, err
	}
	held := *preview
	held.Status, held.SyncCounts, held.HeldReason = models.SyncHeld, counts, reason
	return &held, nil
}

// createHeld stores a held run with its records and audits it.
func createHeld(ctx context.Context, tx *models.Store, actor models.Actor, run *models.SyncRun, rows Rows) error {
	if err := tx.CreateSyncRun(ctx, run, nil); err != nil {
		return err
	}
	if err := keepRecords(ctx, tx, run.ID, rows); err != nil {
		return err
	}
	return tx.Audit(ctx, actor, models.AuditEntry{Action: models.ActionSyncHeld, SubjectType: "sync_run", SubjectID: run.ID,
		SubjectLabel: fmt.Sprintf("run %d", run.ID),
		After:        map[string]any{"reason": run.HeldReason, "counts": run.SyncCounts}})
}

// reject records a file with invalid rows as a failed run; nothing of it
// is kept.
func (s *Syncer) reject(ctx context.Context, actor models.Actor, src *models.Source, trigger, fileName string,
	rowErrors []models.RowError) (*models.SyncRun, Outcome, error) {
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncFailed, Trigger: trigger, FileName: fileName,
		RowErrors: rowErrors, Error: people(len(rowErrors), "invalid row", "invalid rows"), CreatedBy: actor.Email}
	err := s.Store.WithTx(ctx, func(tx *models.Store) error {
		if err := tx.CreateSyncRun(ctx, run, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, models.AuditEntry{Action: models.ActionSyncRejected, SubjectType: "sync_run", SubjectID: run.ID,
			SubjectLabel: fmt.Sprintf("run %d", run.ID), After: map[string]any{"file": fileName, "row_errors": len(rowErrors)}})
	})
	if err != nil {
		return nil, Outcome{}, fmt.Errorf("hrsync: reject %q: %w", fileName, err)
	}
	return run, Outcome{RowErrors: rowErrors}, nil
}

// planLater has the people a run touched planned by jobs committed with
// the run.
func (s *Syncer) planLater(ctx context.Context, tx *models.Store, runID int64, touched []int64) error {
	if s.PlanLater == nil || len(touched) == 0 {
		return nil
	}
	return s.PlanLater(ctx, tx, runID, touched)
}

// finish reloads a committed run.
func (s *Syncer) finish(ctx context.Context, run *models.SyncRun, out Outcome) (*models.SyncRun, Outcome, error) {
	fresh, err := s.Store.SyncRunByID(ctx, run.ID)
	if err != nil {
		return nil, out, fmt.Errorf("hrsync: reload run %d: %w", run.ID, err)
	}
	return fresh, out, nil
}

// now is the current moment.
func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// today is the org's calendar date.
func (s *Syncer) today(ctx context.Context) string {
	if s.Today != nil {
		return s.Today(ctx)
	}
	loc := time.UTC
	if tz, err := s.Store.Setting(ctx, models.SettingOrgTimezone, "UTC"); err == nil {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	return s.now().In(loc).Format(time.DateOnly)
}
