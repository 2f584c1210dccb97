package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/models"
)

// SettleLostActionsArgs fails the actions whose job River finished
// without the worker recording an outcome: a job cancelled from outside
// (River's JobCancel), one the rescuer discarded after its last attempt
// hung, or one whose worker could not record the failure. Without it such
// an action would show scheduled or running for ever. It runs every
// minute and at start (the leader only, on PostgreSQL).
type SettleLostActionsArgs struct{}

// Kind implements river.JobArgs.
func (SettleLostActionsArgs) Kind() string { return "settle_lost_actions" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SettleLostActionsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHousekeeping}
}

// lostActionsInterval is how often the sweep looks.
const lostActionsInterval = time.Minute

// lostActionsPage is how many finished jobs one query reads.
const lostActionsPage = 500

// SettleLostActionsWorker runs SettleLostActionsArgs. It is idempotent:
// an action it failed is no longer scheduled or running, so a second run
// leaves it alone, and it never touches a done or cancelled action.
type SettleLostActionsWorker struct {
	river.WorkerDefaults[SettleLostActionsArgs]
	store  *models.Store
	logger *slog.Logger
}

// Work implements river.Worker.
func (w *SettleLostActionsWorker) Work(ctx context.Context, job *river.Job[SettleLostActionsArgs]) error {
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return err
	}
	ended, err := endedExecuteJobs(ctx, client)
	if err != nil {
		return err
	}
	if len(ended) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(ended))
	for id := range ended {
		ids = append(ids, id)
	}
	open, err := w.store.UnfinishedActions(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range open {
		newest, err := newestExecuteJob(ctx, client, id)
		if err != nil {
			return err
		}
		// A Retry inserts a new job for the action: only the newest
		// one's end says the action was left behind.
		if newest == nil || newest.ID != ended[id].ID {
			continue
		}
		reason := lostReason(newest)
		if err := failUnfinished(ctx, w.store, id, reason); err != nil {
			return err
		}
		w.logger.Warn("action failed: its job ended without an outcome", "action_id", id, "job_id", newest.ID, "error", reason)
	}
	return nil
}

// endedExecuteJobs are the newest discarded or cancelled execute_action
// job of each action River still keeps (for a day or a week, by its
// retention settings), by action.
func endedExecuteJobs(ctx context.Context, client *river.Client[*sql.Tx]) (map[int64]*rivertype.JobRow, error) {
	out := map[int64]*rivertype.JobRow{}
	params := river.NewJobListParams().Kinds(ExecuteActionArgs{}.Kind()).
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(lostActionsPage)
	for {
		res, err := client.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: list ended actions' jobs: %w", err)
		}
		for _, j := range res.Jobs {
			var args ExecuteActionArgs
			if json.Unmarshal(j.EncodedArgs, &args) == nil && args.ActionID != 0 {
				out[args.ActionID] = j // ascending ids: the newest wins
			}
		}
		if len(res.Jobs) < lostActionsPage {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

// newestExecuteJob is the action's newest job in any state, nil when
// River keeps none.
func newestExecuteJob(ctx context.Context, client *river.Client[*sql.Tx], actionID int64) (*rivertype.JobRow, error) {
	res, err := client.JobList(ctx, river.NewJobListParams().Kinds(ExecuteActionArgs{}.Kind()).
		States(rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
			rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled).
		Where("CAST(args ->> 'action_id' AS BIGINT) = @action_id", river.NamedArgs{"action_id": actionID}).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1))
	if err != nil {
		return nil, fmt.Errorf("jobs: jobs of action %d: %w", actionID, err)
	}
	if len(res.Jobs) == 0 {
		return nil, nil
	}
	return res.Jobs[0], nil
}

// lostReason says why River ended a job, with its last error.
func lostReason(j *rivertype.JobRow) string {
	what := "its job was cancelled"
	if j.State == rivertype.JobStateDiscarded {
		what = fmt.Sprintf("gave up after %d attempts", j.Attempt)
	}
	if n := len(j.Errors); n > 0 && j.Errors[n-1].Error != "" {
		return what + ": " + j.Errors[n-1].Error
	}
	return what + " before it recorded an outcome"
}
