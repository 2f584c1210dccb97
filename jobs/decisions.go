package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/models"
)

// ExecuteActionArgs carries out one approved action through its app's
// connector. It is inserted in the transaction that approves the change,
// scheduled at the action's run time.
type ExecuteActionArgs struct {
	ActionID int64 `json:"action_id"`
}

// Kind implements river.JobArgs.
func (ExecuteActionArgs) Kind() string { return "execute_action" }

// executeMaxAttempts bounds retries: with exponential backoff capped at an
// hour this is about half a day of trying.
const executeMaxAttempts = 15

// insertOpts makes an action's job unique while it is live, so a retry
// button pressed twice or a duplicated insert schedules it once. A job due
// later waits for runAt; one due now is available at once (River puts any
// job given a ScheduledAt in the scheduled state, and its scheduler only
// looks every few seconds).
func (a ExecuteActionArgs) insertOpts(runAt, now time.Time) *river.InsertOpts {
	opts := &river.InsertOpts{
		MaxAttempts: executeMaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
	if runAt.After(now) {
		opts.ScheduledAt = runAt
	}
	return opts
}

// scheduleAction is the models.ScheduleFunc that inserts the actions'
// jobs, in batches; now is the decision's time.
func scheduleAction(ctx context.Context, now time.Time) models.ScheduleFunc {
	return func(tx *models.Store, actions []*models.Action) error {
		params := make([]river.InsertManyParams, len(actions))
		for i, a := range actions {
			args := ExecuteActionArgs{ActionID: a.ID}
			params[i] = river.InsertManyParams{Args: args, InsertOpts: args.insertOpts(a.RunAt, now)}
		}
		return tx.EnqueueMany(ctx, params)
	}
}

// Decisions approves, rejects and retries changes for Team Updates.
type Decisions struct {
	Store *models.Store
	Now   func() time.Time
	// Replan, when set, re-plans people (the planner's PlanPeople). Retry
	// calls it first, so a retried step is one the person's current plan
	// still asks for.
	Replan func(ctx context.Context, personIDs []int64) error
}

func (d *Decisions) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Approve approves pending changes: their actions and jobs are written in
// one transaction.
func (d *Decisions) Approve(ctx context.Context, actor models.Actor, dec models.Decision) (approved, skipped []int64, err error) {
	now := d.now()
	approved, skipped, err = d.Store.ApproveChanges(ctx, actor, dec, now, scheduleAction(ctx, now))
	if err == nil && len(approved) >= models.BulkRows {
		// Each approved change wrote its actions, which the runner reads
		// by person and app for every job (WaitingOn): with the
		// statistics of a smaller table, PostgreSQL plans that look-up
		// as a scan of every action. Best-effort, as RefreshStats says:
		// the decision is stored.
		_ = d.Store.RefreshStats(ctx, "actions", "changes")
	}
	return approved, skipped, err
}

// autoApprover is the actor the audit trail shows for changes rules
// approved at planning time.
var autoApprover = models.Actor{Email: "auto-approve"}

// AutoApprove approves changes an auto-approve rule decided, marked auto;
// it is the planner's Approve function.
func (d *Decisions) AutoApprove(ctx context.Context, changeIDs []int64) error {
	_, _, err := d.Approve(ctx, autoApprover, models.Decision{ChangeIDs: changeIDs, Auto: true})
	return err
}

// Reject rejects pending changes.
func (d *Decisions) Reject(ctx context.Context, actor models.Actor, dec models.Decision) (rejected, skipped []int64, err error) {
	return d.Store.RejectChanges(ctx, actor, dec, d.now())
}

// Retry puts a failed action back on the schedule, at once, after
// re-planning its person: a failed joiner who has left since, or a failed
// leaver who was rehired, has the step cancelled instead, and the retry is
// refused with models.ErrReplanned.
func (d *Decisions) Retry(ctx context.Context, actor models.Actor, actionID int64) error {
	if d.Replan != nil {
		a, err := d.Store.ActionByID(ctx, actionID)
		if err != nil {
			return err
		}
		c, err := d.Store.ChangeByID(ctx, a.ChangeID)
		if err != nil {
			return err
		}
		if err := d.Replan(ctx, []int64{c.PersonID}); err != nil {
			return err
		}
	}
	now := d.now()
	return d.Store.RetryAction(ctx, actor, actionID, now, scheduleAction(ctx, now))
}
