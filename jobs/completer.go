package jobs

import (
	"context"
	"time"

	"github.com/rosterhq/roster/models"
)

// Batch bounds of the execute workers' shared statements (batcher).
const (
	runBatch          = 100 // actions read or started at once
	completionBatch   = 100 // successful calls recorded in one transaction
	runTimeout        = 30 * time.Second
	completionTimeout = 30 * time.Second
)

// completion is one successful call waiting to be recorded.
type completion struct {
	call *models.AppCall
	done models.Completion
}

// newCompleter records the execute workers' successful calls in batches:
// one transaction stores each call, completes each action
// (models.Store.CompleteActions) and settles the changes, in a fixed
// number of statements however many calls it holds. A worker returns to
// River only once its batch has committed, so a job ends only once its
// outcome is stored; a failed batch stores nothing (and each of its
// workers then records its call alone: ExecuteActionWorker.complete).
func newCompleter(store *models.Store) *batcher[completion, struct{}] {
	return &batcher[completion, struct{}]{what: "recording calls", max: completionBatch, timeout: completionTimeout,
		run: func(ctx context.Context, batch []completion) ([]struct{}, error) {
			calls := make([]*models.AppCall, len(batch))
			done := make([]models.Completion, len(batch))
			for i, b := range batch {
				calls[i], done[i] = b.call, b.done
			}
			err := store.WithTx(ctx, func(tx *models.Store) error {
				if err := tx.RecordSuccessfulCalls(ctx, calls); err != nil {
					return err
				}
				_, err := tx.CompleteActions(ctx, runner, done, time.Now())
				return err
			})
			return make([]struct{}, len(batch)), err
		}}
}

// newReader reads what the execute workers need before they act
// (models.Store.ActionsToRun), for the jobs that start meanwhile in one
// batch: three statements for up to runBatch jobs, rather than four each.
func newReader(store *models.Store) *batcher[int64, *models.ActionToRun] {
	return &batcher[int64, *models.ActionToRun]{what: "reading actions", max: runBatch, timeout: runTimeout,
		run: func(ctx context.Context, ids []int64) ([]*models.ActionToRun, error) {
			return store.ActionsToRun(ctx, ids)
		}}
}

// newStarter starts the attempts of the jobs about to act in one
// status-guarded UPDATE (models.Store.StartAttempts); each gets its
// started action, or nil when it was not started. Two jobs for one action
// in a batch (a duplicated job) start it once: the second gets nil.
func newStarter(store *models.Store) *batcher[int64, *models.Action] {
	return &batcher[int64, *models.Action]{what: "starting actions", max: runBatch, timeout: runTimeout,
		run: func(ctx context.Context, ids []int64) ([]*models.Action, error) {
			started, err := store.StartAttempts(ctx, ids, time.Now())
			if err != nil {
				return nil, err
			}
			out := make([]*models.Action, len(ids))
			for i, id := range ids {
				out[i] = started[id]
				delete(started, id)
			}
			return out, nil
		}}
}
