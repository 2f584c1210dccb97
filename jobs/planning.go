package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
)

// QueuePlan is the queue planning jobs run on, apart from the actions'
// (river.QueueDefault): `roster import` works it alone to plan what it
// imported, and a burst of actions does not keep Team Updates waiting.
const QueuePlan = "plan"

// planBatch is how many people one PlanPeople job plans: the planner's
// transaction size.
const planBatch = 500

// sweepInterval is how often the leader re-plans everyone, so that date
// conditions that have become true and work a failed run missed are
// planned without anyone editing anything.
const sweepInterval = time.Hour

// PlanPeopleArgs plans a batch of people for a plan run.
type PlanPeopleArgs struct {
	PlanRunID int64   `json:"plan_run_id"`
	PersonIDs []int64 `json:"person_ids"`
	Reason    string  `json:"reason"`
}

// Kind implements river.JobArgs.
func (PlanPeopleArgs) Kind() string { return "plan_people" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PlanPeopleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePlan, MaxAttempts: 10}
}

// PlanEveryoneArgs lists everyone plannable for an everyone run and
// inserts their batches.
type PlanEveryoneArgs struct {
	PlanRunID int64 `json:"plan_run_id"`
}

// Kind implements river.JobArgs.
func (PlanEveryoneArgs) Kind() string { return "plan_everyone" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PlanEveryoneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePlan, MaxAttempts: 10}
}

// PlanSweepArgs is the periodic check: an everyone run, unless one is
// already open.
type PlanSweepArgs struct{}

// Kind implements river.JobArgs.
func (PlanSweepArgs) Kind() string { return "plan_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PlanSweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueuePlan} }

// Planning requests plan runs: what the syncer, the rules and settings
// pages and the sweep share. Each request writes the run and its first
// job in the caller's transaction.
type Planning struct {
	Store *models.Store
}

// PlanSyncRun requests planning of the people a sync run touched, in
// the transaction that applies the run (hrsync.Syncer.PlanLater): the
// people and the jobs planning them commit together or not at all.
func (p *Planning) PlanSyncRun(ctx context.Context, tx *models.Store, syncRunID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	run := &models.PlanRun{Reason: models.ReplanHRChanged, SyncRunID: &syncRunID, Status: models.PlanRunning,
		Total: len(ids), RequestedBy: "sync run"}
	if err := tx.CreatePlanRun(ctx, run); err != nil {
		return err
	}
	return tx.EnqueueMany(ctx, batches(run.ID, run.Reason, ids))
}

// PlanAccounts requests planning of the people whose recorded access a
// reconciliation of an app's accounts changed, in the transaction that
// records it (reconcile.Reconciler.PlanLater), and returns the plan run.
func (p *Planning) PlanAccounts(ctx context.Context, tx *models.Store, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	run := &models.PlanRun{Reason: models.ReplanAccountsSeen, Status: models.PlanRunning, Total: len(ids), RequestedBy: "reconciliation"}
	if err := tx.CreatePlanRun(ctx, run); err != nil {
		return 0, err
	}
	return run.ID, tx.EnqueueMany(ctx, batches(run.ID, run.Reason, ids))
}

// PlanEveryone requests an everyone run, superseding any still open.
func (p *Planning) PlanEveryone(ctx context.Context, actor models.Actor, reason string) (*models.PlanRun, error) {
	run := &models.PlanRun{Reason: reason, Everyone: true, RequestedBy: actor.Email}
	err := p.Store.WithTx(ctx, func(tx *models.Store) error {
		if err := tx.CreatePlanRun(ctx, run); err != nil {
			return err
		}
		return tx.Enqueue(ctx, PlanEveryoneArgs{PlanRunID: run.ID}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: request re-plan: %w", err)
	}
	return run, nil
}

// batches splits ids into PlanPeople jobs.
func batches(runID int64, reason string, ids []int64) []river.InsertManyParams {
	var params []river.InsertManyParams
	for chunk := range slices.Chunk(ids, planBatch) {
		params = append(params, river.InsertManyParams{Args: PlanPeopleArgs{PlanRunID: runID, PersonIDs: chunk, Reason: reason}})
	}
	return params
}

// PlanPeopleWorker plans one batch. Each batch loads the rules afresh, so
// a batch that runs after a rule edit plans with the edited rules whatever
// run it belongs to. Planning is idempotent: a batch that runs twice (after
// a crash) repeats nothing.
type PlanPeopleWorker struct {
	river.WorkerDefaults[PlanPeopleArgs]
	store   *models.Store
	planner *planner.Planner
	logger  *slog.Logger
}

// Work implements river.Worker.
func (w *PlanPeopleWorker) Work(ctx context.Context, job *river.Job[PlanPeopleArgs]) error {
	a := job.Args
	if a.PlanRunID != 0 {
		if gone, err := w.store.PlanRunSuperseded(ctx, a.PlanRunID); err != nil || gone {
			return err
		}
	}
	if err := w.planner.Plan(ctx, a.PersonIDs, a.Reason); err != nil {
		if job.Attempt >= job.MaxAttempts && a.PlanRunID != 0 {
			_ = w.store.FailPlanRun(ctx, a.PlanRunID, err.Error(), time.Now())
			w.logger.Error("plan run failed; the periodic check plans its people later", "plan_run_id", a.PlanRunID, "error", err)
		}
		return err
	}
	if a.PlanRunID == 0 {
		return nil
	}
	p, err := w.store.PlanRunProgress(ctx, a.PlanRunID, len(a.PersonIDs), time.Now())
	if err != nil {
		return err
	}
	// While a big run is under way, as it doubles what it has planned
	// (the later batches read what the earlier ones wrote), and once more
	// at its end.
	if models.StatsDue(p.Done-len(a.PersonIDs), p.Done) || p.Finished && p.Total >= models.BulkRows {
		refreshStats(ctx, w.store, w.logger, "plan run", a.PlanRunID)
	}
	return nil
}

// refreshStats brings the query planner's statistics up to date after a
// bulk write (models.Store.RefreshStats). The data is already committed,
// so a failure is logged, not returned: retrying the job would only
// repeat the work.
func refreshStats(ctx context.Context, store *models.Store, logger *slog.Logger, what string, id int64) {
	start := time.Now()
	if err := store.RefreshStats(ctx); err != nil {
		logger.Warn("could not refresh database statistics after a bulk write; queries may be slow until the next one",
			"after", what, "id", id, "error", err)
		return
	}
	logger.Debug("refreshed database statistics", "after", what, "id", id, "took", time.Since(start))
}

// PlanEveryoneWorker starts an everyone run: it lists the plannable
// people and inserts their batches in one transaction with the run's
// total.
type PlanEveryoneWorker struct {
	river.WorkerDefaults[PlanEveryoneArgs]
	store  *models.Store
	logger *slog.Logger
}

// Work implements river.Worker.
func (w *PlanEveryoneWorker) Work(ctx context.Context, job *river.Job[PlanEveryoneArgs]) error {
	run, err := w.store.PlanRunByID(ctx, job.Args.PlanRunID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil || run.Status != models.PlanQueued {
		return err // superseded, or started by an earlier try of this job
	}
	ids, err := w.store.PlannableIDs(ctx)
	if err != nil {
		return err
	}
	err = w.store.WithTx(ctx, func(tx *models.Store) error {
		if err := tx.StartPlanRun(ctx, run.ID, len(ids), time.Now()); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.EnqueueMany(ctx, batches(run.ID, run.Reason, ids))
	})
	if errors.Is(err, models.ErrConflict) {
		return nil // superseded meanwhile
	}
	if err == nil {
		w.logger.Info("re-planning everyone", "plan_run_id", run.ID, "reason", run.Reason, "people", len(ids))
	}
	return err
}

// PlanSweepWorker requests an everyone run when none is open.
type PlanSweepWorker struct {
	river.WorkerDefaults[PlanSweepArgs]
	planning *Planning
}

// Work implements river.Worker.
func (w *PlanSweepWorker) Work(ctx context.Context, _ *river.Job[PlanSweepArgs]) error {
	everyone, _, err := w.planning.Store.OpenPlanRuns(ctx)
	if err != nil || everyone > 0 {
		return err
	}
	_, err = w.planning.PlanEveryone(ctx, models.Actor{Email: "roster"}, models.ReplanSweep)
	return err
}
