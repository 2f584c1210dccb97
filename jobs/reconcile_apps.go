package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
)

// reconcileScheduleInterval is how often the leader looks for apps whose
// reconciliation interval has passed.
const reconcileScheduleInterval = 5 * time.Minute

// ReconcileAppArgs lists one app's accounts from the app itself (a kind
// that can: connector.Capabilities.ListsAccounts), matches and records
// them, and plans the people whose access changed: what `roster
// reconcile` does, in the background. One at a time per app.
type ReconcileAppArgs struct {
	AppID       int64  `json:"app_id" river:"unique"`
	RequestedBy string `json:"requested_by"` // "schedule" or an admin's email
}

// Kind implements river.JobArgs.
func (ReconcileAppArgs) Kind() string { return "reconcile_app" }

// InsertOpts keeps one reconciliation per app queued or running.
func (ReconcileAppArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHousekeeping, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// ReconcileAppWorker carries out ReconcileAppArgs. A listing that fails,
// whole or part way, records nothing: no account is marked gone from a
// partial list.
type ReconcileAppWorker struct {
	river.WorkerDefaults[ReconcileAppArgs]
	store  *models.Store
	kinds  *connector.Registry
	env    connector.Env
	logger *slog.Logger
}

// Timeout bounds one listing of a large app.
func (w *ReconcileAppWorker) Timeout(*river.Job[ReconcileAppArgs]) time.Duration {
	return 15 * time.Minute
}

// Work implements river.Worker.
func (w *ReconcileAppWorker) Work(ctx context.Context, job *river.Job[ReconcileAppArgs]) error {
	app, err := w.store.AppByID(ctx, job.Args.AppID)
	if errors.Is(err, models.ErrNotFound) {
		return river.JobCancel(err) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	sum, err := ReconcileApp(ctx, w.store, w.kinds, w.env, app, models.Actor{Email: "roster"})
	now := time.Now()
	if err != nil {
		w.logger.Warn("reconciliation failed", "app_id", app.ID, "app", app.Name, "attempt", job.Attempt, "error", err)
		if rerr := w.store.SetAppReconciled(ctx, app.ID, now, "", err.Error()); rerr != nil {
			return rerr
		}
		if errors.Is(err, connector.ErrUnsupported) {
			return river.JobCancel(err)
		}
		return err
	}
	w.logger.Info("app reconciled", "app_id", app.ID, "app", app.Name, "requested_by", job.Args.RequestedBy, "summary", sum.Line(),
		"gone", sum.Gone, "changed", len(sum.Changed), "changed_outside_roster", len(sum.Drifted))
	return w.store.SetAppReconciled(ctx, app.ID, now, sum.Line(), "")
}

// ReconcileApp lists an app's accounts through its connector and applies
// them, planning the people whose access changed in the same
// transaction. Nothing is recorded unless the whole list was read.
func ReconcileApp(ctx context.Context, store *models.Store, kinds *connector.Registry, env connector.Env, app *models.App,
	actor models.Actor) (*reconcile.Summary, error) {
	list, err := ListAppAccounts(ctx, kinds, env, app)
	if err != nil {
		return nil, err
	}
	rec := &reconcile.Reconciler{Store: store, PlanLater: (&Planning{Store: store}).PlanAccounts}
	return rec.Apply(ctx, actor, app, list, time.Now())
}

// ListAppAccounts reads an app's whole list of accounts through its
// connector; a kind that cannot list them is refused with
// connector.ErrUnsupported.
func ListAppAccounts(ctx context.Context, kinds *connector.Registry, env connector.Env, app *models.App) ([]reconcile.Account, error) {
	kind, ok := kinds.Lookup(app.Kind)
	if !ok || !kind.ListsAccounts {
		return nil, fmt.Errorf("%s is a %s app, which cannot list its accounts: upload them on its Accounts tab: %w",
			app.Name, app.Kind, connector.ErrUnsupported)
	}
	conn, err := kind.Open(env, app)
	if err != nil {
		return nil, err
	}
	var list []reconcile.Account
	if err := conn.ListAccounts(ctx, func(page []connector.RemoteAccount) error {
		list = append(list, page...)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list the accounts of %s: %w", app.Name, err)
	}
	return list, nil
}

// ScheduleReconcilesArgs queues the reconciliation of every app whose
// interval has passed. It runs on the leader every few minutes.
type ScheduleReconcilesArgs struct{}

// Kind implements river.JobArgs.
func (ScheduleReconcilesArgs) Kind() string { return "schedule_reconciles" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ScheduleReconcilesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHousekeeping}
}

// ScheduleReconcilesWorker carries out ScheduleReconcilesArgs.
type ScheduleReconcilesWorker struct {
	river.WorkerDefaults[ScheduleReconcilesArgs]
	store *models.Store
	kinds *connector.Registry
}

// Work implements river.Worker.
func (w *ScheduleReconcilesWorker) Work(ctx context.Context, _ *river.Job[ScheduleReconcilesArgs]) error {
	var listing []models.AppKind
	for _, k := range w.kinds.Kinds() {
		if k.ListsAccounts {
			listing = append(listing, k.Name)
		}
	}
	due, err := w.store.AppsDueForReconcile(ctx, listing, time.Now())
	if err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, a := range due {
		params = append(params, river.InsertManyParams{Args: ReconcileAppArgs{AppID: a.ID, RequestedBy: "schedule"}})
	}
	if len(params) == 0 {
		return nil
	}
	return w.store.WithTx(ctx, func(tx *models.Store) error { return tx.EnqueueMany(ctx, params) })
}

// Reconciles queues "Reconcile now" for the web server.
type Reconciles struct {
	Store *models.Store
	// Kinds are the app kinds (nil: every kind Roster has).
	Kinds *connector.Registry
}

// ReconcileNow queues a reconciliation of the app, audited; one already
// queued or running is not doubled.
func (r *Reconciles) ReconcileNow(ctx context.Context, actor models.Actor, app *models.App) error {
	reg := r.Kinds
	if reg == nil {
		reg = kindsOf(Options{})
	}
	if k, ok := reg.Lookup(app.Kind); !ok || !k.ListsAccounts {
		return fmt.Errorf("jobs: reconcile %s: %w", app.Name, connector.ErrUnsupported)
	}
	return r.Store.WithTx(ctx, func(tx *models.Store) error {
		if err := tx.Enqueue(ctx, ReconcileAppArgs{AppID: app.ID, RequestedBy: actor.Email}, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, models.AuditEntry{Action: models.ActionAppReconcileRequested, SubjectType: "app",
			SubjectID: app.ID, SubjectLabel: app.Name})
	})
}
