package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// runner is the actor the audit trail shows for executed actions.
var runner = models.Actor{Email: "roster"}

// ExecuteActionWorker carries out an action through its app's connector
// (jobs/app/connector): a signed webhook call, a task for IT, whatever the
// app's kind does. It is idempotent: an action already done
// (a duplicated job, or a retry after a crash between the call and its
// recording) is skipped, and the receiver deduplicates calls on the
// action's idempotency key.
type ExecuteActionWorker struct {
	river.WorkerDefaults[ExecuteActionArgs]
	store  *models.Store
	logger *slog.Logger
	// kinds are the app kinds Roster can act on, and env what their
	// connectors are opened with.
	kinds *connector.Registry
	env   connector.Env
	// limits keep a slow app from taking every worker, and each app to
	// its calls at once (per process) and calls per second (installation).
	limits *appLimits
	// retryDelay is the wait before retry n.
	retryDelay func(attempt int) time.Duration
	// bound ends the tries of an action, whatever the app answers.
	bound retryBound
	// orderWait is the wait after the nth look found earlier steps not done.
	orderWait func(look int) time.Duration
	// calls records every call to an app for its health and alert.
	calls *callRecorder
	// reader, starter and completer share statements across workers:
	// reading what a job needs, starting its attempt, and recording
	// its successful call (batcher).
	reader    *batcher[int64, *models.ActionToRun]
	starter   *batcher[int64, *models.Action]
	completer *batcher[completion, struct{}]
	// nextRetry holds, by job ID, when a failed call is tried again:
	// callApp decides it (and shows it on the action), NextRetry
	// hands it to River.
	nextRetry sync.Map
}

// Timeout bounds one attempt; calls to apps have their own, shorter one.
func (w *ExecuteActionWorker) Timeout(*river.Job[ExecuteActionArgs]) time.Duration {
	return time.Minute
}

// NextRetry backs off exponentially with jitter, capped at an hour: the
// time callApp recorded on the action, when it did.
func (w *ExecuteActionWorker) NextRetry(job *river.Job[ExecuteActionArgs]) time.Time {
	if at, ok := w.nextRetry.LoadAndDelete(job.ID); ok {
		if t := at.(time.Time); t.After(time.Now()) {
			return t
		}
	}
	return time.Now().Add(w.retryDelay(job.Attempt))
}

// orderWait is how long an action waits for the earlier steps of its app
// (its account before its grants) before looking again: 2 s, doubling with
// every look, up to a minute. A step behind a manual task may wait days
// for a person, and must not wake the runner every two seconds meanwhile.
// Looks are counted on the job (metaOrderLooks): a snooze does not raise
// River's Attempt.
func orderWait(look int) time.Duration {
	wait := 2 * time.Second
	for i := 1; i < look && wait < time.Minute; i++ {
		wait *= 2
	}
	return min(wait, time.Minute)
}

// slotPatience is how long a worker waits for its app to have a free
// slot; slotWait is how long the action is then put back for when the app
// still has as many actions running in this process as it allows.
const (
	slotPatience = 250 * time.Millisecond
	slotWait     = time.Second
)

// Work implements river.Worker. On the job's last attempt, an error or a
// panic fails the action with the reason before River discards the job,
// so no action stays running for ever behind a job that is gone (the
// lost-action sweep catches what ends otherwise: see lost_actions.go).
func (w *ExecuteActionWorker) Work(ctx context.Context, job *river.Job[ExecuteActionArgs]) (err error) {
	if job.Attempt >= job.MaxAttempts {
		defer func() {
			if p := recover(); p != nil {
				w.giveUp(ctx, job, fmt.Sprintf("panic: %v", p))
				panic(p) // River records the trace and discards the job
			}
			if endsJob(err) {
				w.giveUp(ctx, job, err.Error())
			}
		}()
	}
	return w.work(ctx, job)
}

func (w *ExecuteActionWorker) work(ctx context.Context, job *river.Job[ExecuteActionArgs]) error {
	in, err := w.reader.do(ctx, job.Args.ActionID)
	if err != nil {
		return err
	}
	if in == nil {
		return river.JobCancel(fmt.Errorf("action %d: %w", job.Args.ActionID, models.ErrNotFound)) // the change was deleted with its person
	}
	if in.Waiting > 0 {
		look := countsOf(job).OrderLooks + 1
		setMeta(ctx, metaOrderLooks, look)
		return river.JobSnooze(w.orderWait(look)) // snoozing does not use up attempts
	}
	app := in.App
	kind, known := w.kinds.Lookup(app.Kind)
	if known && kind.CallsApp { // apps Roster does not call (manual tasks) are not limited
		release, wait, err := w.limits.acquire(ctx, app)
		if err != nil {
			return err
		}
		if release == nil {
			return river.JobSnooze(wait) // free this worker for other apps
		}
		defer release()
	}
	a, err := w.starter.do(ctx, job.Args.ActionID)
	if err != nil {
		return err
	}
	if a == nil { // done, failed or cancelled meanwhile, or gone
		if _, err := w.store.ActionByID(ctx, job.Args.ActionID); errors.Is(err, models.ErrNotFound) {
			return river.JobCancel(err) // the change was deleted with its person
		} else if err != nil {
			return err
		}
		return nil
	}
	return w.act(ctx, job, a, in, kind, known)
}

// act carries out a started action through its kind's connector. An
// unknown kind, an operation the kind does not support and an app its
// connector cannot open (settings not set yet) fail the action: an admin
// has to act.
func (w *ExecuteActionWorker) act(ctx context.Context, job *river.Job[ExecuteActionArgs], a *models.Action,
	in *models.ActionToRun, kind connector.Kind, known bool) error {
	app := in.App
	if !known {
		return w.fail(ctx, a, models.AttemptResult{Error: fmt.Sprintf("Roster cannot act on %s: no connector for %s apps", app.Name, app.Kind)})
	}
	req := request(a, in)
	if msg := unsupported(kind, req); msg != "" {
		return w.fail(ctx, a, models.AttemptResult{Error: msg})
	}
	conn, err := kind.Open(w.env, app)
	if err != nil {
		return w.fail(ctx, a, models.AttemptResult{Error: err.Error()})
	}
	if !kind.CallsApp {
		return w.settle(ctx, a, conn.Do(ctx, req))
	}
	return w.callApp(ctx, job, a, app, conn, req)
}

// unsupported says why kind cannot carry out r, or "" when it can.
func unsupported(kind connector.Kind, r connector.Request) string {
	var ent models.EntitlementKind
	if r.Entitlement != nil {
		ent = r.Entitlement.Kind
	}
	switch {
	case kind.Supports(r.Op, ent):
		return ""
	case ent != "":
		return fmt.Sprintf("%s apps cannot %s %s entitlements", kind.Label, r.Op, ent)
	}
	return fmt.Sprintf("%s apps cannot %s", kind.Label, r.Op)
}

// request is an action in connector terms.
func request(a *models.Action, in *models.ActionToRun) connector.Request {
	return connector.Request{ActionID: a.ID, Op: rules.Op(a.Op), IdempotencyKey: a.IdempotencyKey, RunAt: a.RunAt,
		Person: in.Person, Entitlement: in.Entitlement, Params: a.Params, Previous: a.Previous}
}

// fail records a permanent failure and stops River from retrying.
func (w *ExecuteActionWorker) fail(ctx context.Context, a *models.Action, r models.AttemptResult) error {
	if err := w.store.FailAction(ctx, runner, a.ID, r, time.Now()); err != nil {
		return err
	}
	w.logger.Warn("action failed", "action_id", a.ID, "change_id", a.ChangeID, "op", a.Op, "error", r.Error)
	return river.JobCancel(errors.New(r.Error))
}

// settle acts on the outcome of a kind that does not call the app: a
// pending outcome (a task opened) completes later, when a person marks
// the task done; a failure worth retrying is Roster's own and goes back to
// River; any other failure fails the action.
func (w *ExecuteActionWorker) settle(ctx context.Context, a *models.Action, out connector.Outcome) error {
	switch {
	case out.Pending:
		return nil
	case out.Err == nil:
		return w.store.CompleteAction(ctx, runner, a.ID, models.AttemptResult{ResponseStatus: out.Status, ResponseExcerpt: out.Excerpt}, time.Now())
	case out.Retry:
		return out.Err
	}
	return w.fail(ctx, a, models.AttemptResult{ResponseStatus: out.Status, ResponseExcerpt: out.Excerpt, Error: out.Err.Error()})
}

// callApp makes one call to an app that Roster calls over the network,
// records it for the app's health, and completes, retries (with backoff,
// or exactly the app's Retry-After) or fails the action, within the
// action's retry bound.
func (w *ExecuteActionWorker) callApp(ctx context.Context, job *river.Job[ExecuteActionArgs], a *models.Action, app *models.App,
	conn connector.Connector, req connector.Request) error {
	counts := countsOf(job)
	sentAt := time.Now()
	if counts.Calls == 0 {
		counts.FirstCallAt = sentAt
		setMeta(ctx, metaFirstCallAt, sentAt)
	}
	counts.Calls++
	setMeta(ctx, metaCalls, counts.Calls)
	res := conn.Do(ctx, req)
	r := models.AttemptResult{ResponseStatus: res.Status, ResponseExcerpt: res.Excerpt}
	if res.Err == nil {
		return w.complete(ctx, app, a, res, sentAt, r)
	}
	w.calls.record(ctx, app, &a.ID, res, sentAt)
	r.Error = res.Err.Error()
	if !res.Retry {
		return w.fail(ctx, a, r)
	}
	// Waits the app asks for count toward the bound like River's retries.
	if why := w.bound.exhausted(counts.Calls, counts.FirstCallAt, time.Now(), res.RetryAfter); why != "" {
		r.Error = why + ": " + r.Error
		return w.fail(ctx, a, r)
	}
	if job.Attempt >= job.MaxAttempts {
		r.Error = fmt.Sprintf("gave up after %d attempts over %s: %s", counts.Calls, roughDuration(time.Since(counts.FirstCallAt)), r.Error)
		return w.fail(ctx, a, r)
	}
	now := time.Now()
	wait := res.RetryAfter // the app said when; honour it
	if wait <= 0 {
		wait = w.retryDelay(job.Attempt)
	}
	r.NextAttemptAt = now.Add(wait)
	if err := w.store.RecordRetry(ctx, a.ID, r, now); err != nil {
		return err
	}
	if res.RetryAfter > 0 {
		return river.JobSnooze(res.RetryAfter)
	}
	w.nextRetry.Store(job.ID, r.NextAttemptAt)
	return res.Err
}

// recordTries and recordWait bound how long a worker keeps trying to
// record an app's success before it gives the job back to River.
const (
	recordTries = 6
	recordWait  = 100 * time.Millisecond
)

// complete records a successful call and completes its action in one
// transaction: the completer's batch, shared with the other workers, or
// when that fails (for any of its calls) a transaction of its own. The
// app has acted by now, so a failure to record it (the database busy or
// briefly unreachable) is retried here, with backoff, rather than
// returned: River would run the job again and the app would be called a
// second time for an effect it already had (the receiver deduplicates on
// the idempotency key, but it should not have to).
func (w *ExecuteActionWorker) complete(ctx context.Context, app *models.App, a *models.Action, res connector.Outcome,
	sentAt time.Time, r models.AttemptResult) error {
	call := newCall(app, &a.ID, false, res, sentAt)
	_, err := w.completer.do(ctx, completion{call: call, done: models.Completion{ActionID: a.ID, Result: r}})
	if err == nil {
		return nil
	}
	w.logger.Warn("recording a successful call in a batch failed; recording it alone", "action_id", a.ID, "error", err)
	wait := recordWait
	for try := 2; ; try++ {
		call.ID = 0 // the batch's insert rolled back
		err = w.store.WithTx(ctx, func(tx *models.Store) error {
			if err := w.calls.recordTx(ctx, tx, app, call); err != nil {
				return err
			}
			return tx.CompleteAction(ctx, runner, a.ID, r, time.Now())
		})
		if err == nil || try == recordTries || ctx.Err() != nil {
			break
		}
		w.logger.Warn("recording a successful call failed; trying again", "action_id", a.ID, "try", try, "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
	return err
}
