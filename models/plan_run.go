package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PlanRunStatus is where a plan run is.
type PlanRunStatus string

// Plan run statuses. A run is queued when requested, running once its
// people are known and being planned, done when every batch has been
// planned. An "everyone" run is superseded by a newer one (which plans
// everyone again, with the rules as they are then); a run whose jobs gave
// up is failed, and the periodic sweep plans its people later.
const (
	PlanQueued     PlanRunStatus = "queued"
	PlanRunning    PlanRunStatus = "running"
	PlanDone       PlanRunStatus = "done"
	PlanSuperseded PlanRunStatus = "superseded"
	PlanFailed     PlanRunStatus = "failed"
)

// Why a plan run was requested, beside ReplanHRChanged and
// ReplanRulesChanged.
const (
	ReplanSweep = "periodic check"
)

// PlanRun is one request to re-plan people, carried out by jobs (see
// jobs/planning.go): it is written in the transaction that causes it, with
// its jobs, so a process that dies before planning leaves the work queued,
// not lost.
type PlanRun struct {
	ID     int64
	Reason string
	// Everyone runs plan every plannable person (after a rule edit, a new
	// time zone, or the sweep); others plan the people of one sync run.
	Everyone    bool
	SyncRunID   *int64
	Status      PlanRunStatus
	Total       int // people to plan; known once the run is running
	Done        int // people planned so far
	Error       string
	RequestedBy string
	CreatedAt   time.Time
	FinishedAt  *time.Time
}

// TableName implements gorm's Tabler.
func (PlanRun) TableName() string { return "plan_runs" }

// Open reports whether the run still has people to plan.
func (r *PlanRun) Open() bool { return r.Status == PlanQueued || r.Status == PlanRunning }

// CreatePlanRun stores a new run. Creating an everyone run supersedes the
// everyone runs still open: the new one plans everyone with the rules as
// they are when its jobs run, so the older ones' remaining batches would
// only repeat work.
func (s *Store) CreatePlanRun(ctx context.Context, run *PlanRun) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if run.Everyone {
			if err := tx.db.WithContext(ctx).Model(&PlanRun{}).
				Where("everyone AND status IN ?", []PlanRunStatus{PlanQueued, PlanRunning}).
				Updates(map[string]any{"status": PlanSuperseded, "finished_at": time.Now().UTC()}).Error; err != nil {
				return fmt.Errorf("store: supersede plan runs: %w", translate(err))
			}
		}
		if run.Status == "" {
			run.Status = PlanQueued
		}
		if err := tx.db.WithContext(ctx).Create(run).Error; err != nil {
			return fmt.Errorf("store: create plan run: %w", translate(err))
		}
		return nil
	})
}

// PlanRunByID returns one run.
func (s *Store) PlanRunByID(ctx context.Context, id int64) (*PlanRun, error) {
	var r PlanRun
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, fmt.Errorf("store: plan run %d: %w", id, translate(err))
	}
	return &r, nil
}

// LatestPlanRun returns the newest everyone run (everyone) or the newest
// run of a sync run, or ErrNotFound.
func (s *Store) LatestPlanRun(ctx context.Context, everyone bool, syncRunID int64) (*PlanRun, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if everyone {
		q = q.Where("everyone")
	} else {
		q = q.Where("sync_run_id = ?", syncRunID)
	}
	var r PlanRun
	if err := q.First(&r).Error; err != nil {
		return nil, fmt.Errorf("store: latest plan run: %w", translate(err))
	}
	return &r, nil
}

// OpenPlanRuns counts runs still queued or running, everyone runs apart.
func (s *Store) OpenPlanRuns(ctx context.Context) (everyone, other int64, err error) {
	var rows []struct {
		Everyone bool
		N        int64
	}
	err = s.db.WithContext(ctx).Model(&PlanRun{}).Select("everyone, count(*) AS n").
		Where("status IN ?", []PlanRunStatus{PlanQueued, PlanRunning}).Group("everyone").Scan(&rows).Error
	if err != nil {
		return 0, 0, fmt.Errorf("store: open plan runs: %w", translate(err))
	}
	for _, r := range rows {
		if r.Everyone {
			everyone = r.N
		} else {
			other = r.N
		}
	}
	return everyone, other, nil
}

// StartPlanRun records how many people a queued run plans. A run with
// nobody to plan is done at once. It returns ErrConflict when the run is
// no longer queued (superseded meanwhile, or started by an earlier try of
// the same job).
func (s *Store) StartPlanRun(ctx context.Context, id int64, total int, now time.Time) error {
	updates := map[string]any{"status": PlanRunning, "total": total}
	if total == 0 {
		updates = map[string]any{"status": PlanDone, "total": 0, "finished_at": now.UTC()}
	}
	res := s.db.WithContext(ctx).Model(&PlanRun{}).Where("id = ? AND status = ?", id, PlanQueued).Updates(updates)
	if res.Error != nil {
		return fmt.Errorf("store: start plan run %d: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: start plan run %d: %w", id, ErrConflict)
	}
	return nil
}

// PlanProgress is where a run stands after PlanRunProgress.
type PlanProgress struct {
	Done, Total int
	Finished    bool // this call finished the run
}

// PlanRunProgress counts n more people planned; the run is done when all
// of them are. A batch planned twice (its job ran again after a crash) is
// not counted past the total.
func (s *Store) PlanRunProgress(ctx context.Context, id int64, n int, now time.Time) (PlanProgress, error) {
	var p PlanProgress
	err := s.WithTx(ctx, func(tx *Store) error {
		res := tx.db.WithContext(ctx).Model(&PlanRun{}).Where("id = ? AND status IN ?", id, []PlanRunStatus{PlanQueued, PlanRunning}).
			Updates(map[string]any{"status": PlanRunning, "done": gorm.Expr("CASE WHEN done + ? > total THEN total ELSE done + ? END", n, n)})
		if res.Error != nil {
			return fmt.Errorf("store: plan run %d progress: %w", id, translate(res.Error))
		}
		res = tx.db.WithContext(ctx).Model(&PlanRun{}).Where("id = ? AND status = ? AND done >= total", id, PlanRunning).
			Updates(map[string]any{"status": PlanDone, "finished_at": now.UTC()})
		if res.Error != nil {
			return fmt.Errorf("store: finish plan run %d: %w", id, translate(res.Error))
		}
		p.Finished = res.RowsAffected == 1
		var run PlanRun
		err := tx.db.WithContext(ctx).Select("done", "total").Where("id = ?", id).Limit(1).Find(&run).Error
		if err != nil {
			return fmt.Errorf("store: plan run %d progress: %w", id, translate(err))
		}
		p.Done, p.Total = run.Done, run.Total
		return nil
	})
	return p, err
}

// FailPlanRun records that a run's jobs gave up, with the last error.
func (s *Store) FailPlanRun(ctx context.Context, id int64, reason string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&PlanRun{}).Where("id = ? AND status IN ?", id, []PlanRunStatus{PlanQueued, PlanRunning}).
		Updates(map[string]any{"status": PlanFailed, "error": reason, "finished_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("store: fail plan run %d: %w", id, translate(err))
	}
	return nil
}

// PlanRunSuperseded reports whether a run was superseded (or is gone),
// so its remaining jobs can stop.
func (s *Store) PlanRunSuperseded(ctx context.Context, id int64) (bool, error) {
	r, err := s.PlanRunByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return r.Status == PlanSuperseded, nil
}
