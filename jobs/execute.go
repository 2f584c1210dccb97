package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/models"
)

// runner is the actor the audit trail shows for executed actions.
var runner = models.Actor{Email: "roster"}

// ExecuteActionWorker carries out an action through its app: a signed
// webhook call, or a task for IT. It is idempotent: an action already done
// (a duplicated job, or a retry after a crash between the call and its
// recording) is skipped, and the receiver deduplicates calls on the
// action's idempotency key.
type ExecuteActionWorker struct {
	river.WorkerDefaults[ExecuteActionArgs]
	store   *models.Store
	sealer  *models.Sealer
	webhook *webhook.Client
	logger  *slog.Logger
	// slots keeps a slow app from taking every worker (zero value ready).
	slots appSlots
	// retryDelay is the wait before retry n.
	retryDelay func(attempt int) time.Duration
	// bound ends the tries of an action, whatever the app answers.
	bound retryBound
	// orderWait is the wait after the nth look found earlier steps not done.
	orderWait func(look int) time.Duration
	// calls records every webhook call for the app's health and alert.
	calls *callRecorder
	// reader, starter and completer share statements across workers:
	// reading what a job needs, starting its attempt, and recording
	// its successful call (batcher).
	reader    *batcher[int64, *models.ActionToRun]
	starter   *batcher[int64, *models.Action]
	completer *batcher[completion, struct{}]
	// nextRetry holds, by job ID, when a failed call is tried again:
	// callWebhook decides it (and shows it on the action), NextRetry
	// hands it to River.
	nextRetry sync.Map
}

// Timeout bounds one attempt; webhook calls have their own, shorter one.
func (w *ExecuteActionWorker) Timeout(*river.Job[ExecuteActionArgs]) time.Duration {
	return time.Minute
}

// NextRetry backs off exponentially with jitter, capped at an hour: the
// time callWebhook recorded on the action, when it did.
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
	if app.Kind == models.AppWebhook { // manual apps only open tasks: not limited
		release, ok := w.slots.acquire(ctx, app.ID, app.MaxConcurrency, slotPatience)
		if !ok {
			return river.JobSnooze(slotWait) // free this worker for other apps
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
	act := &actionInput{app: app, person: in.Person, ent: in.Entitlement, op: a.Op, params: a.Params, prev: a.Previous}
	switch app.Kind {
	case models.AppManual:
		return w.openTask(ctx, a, act)
	case models.AppWebhook:
		return w.callWebhook(ctx, job, a, act)
	}
	return w.fail(ctx, a, models.AttemptResult{Error: fmt.Sprintf("Roster cannot act on %s apps yet", app.Kind)})
}

// fail records a permanent failure and stops River from retrying.
func (w *ExecuteActionWorker) fail(ctx context.Context, a *models.Action, r models.AttemptResult) error {
	if err := w.store.FailAction(ctx, runner, a.ID, r, time.Now()); err != nil {
		return err
	}
	w.logger.Warn("action failed", "action_id", a.ID, "change_id", a.ChangeID, "op", a.Op, "error", r.Error)
	return river.JobCancel(errors.New(r.Error))
}

// openTask turns a manual app's action into a task for the app's task
// assignee; the action completes when someone marks the task done. The
// assignee is mailed in the transaction that creates the task, so a
// retried job finds the task and mails nobody again.
func (w *ExecuteActionWorker) openTask(ctx context.Context, a *models.Action, in *actionInput) error {
	app := in.app
	t := &models.Task{ActionID: a.ID, Title: in.title(), Details: in.details(), DueAt: a.RunAt,
		AssigneeAdminID: app.TaskAssigneeAdminID, AssigneeEmail: app.TaskAssigneeEmail}
	created, err := w.store.EnsureTask(ctx, t)
	if err != nil {
		return err
	}
	if created {
		w.logger.Info("task opened", "task_id", t.ID, "action_id", a.ID, "app", app.Name, "assigned", !t.Assignee().IsZero())
	}
	return nil
}

// webhookConfig is what a webhook app stores, sealed.
type webhookConfig struct {
	URL            string `json:"url"`
	Secret         string `json:"secret"`
	PreviousSecret string `json:"previous_secret"`
}

func (w *ExecuteActionWorker) callWebhook(ctx context.Context, job *river.Job[ExecuteActionArgs], a *models.Action, in *actionInput) error {
	app := in.app
	cfg, err := webhookConfigOf(w.sealer, app)
	if err != nil {
		return w.fail(ctx, a, models.AttemptResult{Error: err.Error()})
	}
	counts := countsOf(job)
	sentAt := time.Now()
	if counts.Calls == 0 {
		counts.FirstCallAt = sentAt
		setMeta(ctx, metaFirstCallAt, sentAt)
	}
	counts.Calls++
	setMeta(ctx, metaCalls, counts.Calls)
	res := w.webhook.Send(ctx, cfg, in.payload(a), sentAt)
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
func (w *ExecuteActionWorker) complete(ctx context.Context, app *models.App, a *models.Action, res webhook.Result,
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

// webhookConfigOf opens a webhook app's stored connection.
func webhookConfigOf(sealer *models.Sealer, app *models.App) (webhook.Config, error) {
	if app.Config == "" || sealer == nil {
		return webhook.Config{}, fmt.Errorf("%s has no webhook URL and secret yet: set them on the app's page", app.Name)
	}
	plain, err := sealer.Open(app.Config)
	if err != nil {
		return webhook.Config{}, fmt.Errorf("%s: its stored settings cannot be decrypted with this ROSTER_SECRET_KEY", app.Name)
	}
	var c webhookConfig
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return webhook.Config{}, fmt.Errorf("%s: its stored settings are unreadable", app.Name)
	}
	// While a rotated-out secret is kept, calls carry both signatures so
	// receivers not yet updated keep accepting them.
	cfg := webhook.Config{URL: c.URL, Secret: c.Secret, PreviousSecret: c.PreviousSecret}
	if err := cfg.Validate(); err != nil {
		return webhook.Config{}, fmt.Errorf("%s: %w", app.Name, err)
	}
	return cfg, nil
}

// actionInput is everything an action needs said about it.
type actionInput struct {
	app    *models.App
	person *models.Person
	ent    *models.Entitlement
	op     string
	params map[string]string
	prev   map[string]string
}

var opWords = map[string]string{
	"create_account": "Set up", "grant": "Give", "update": "Change", "revoke": "Take back",
	"disable": "Disable", "delete": "Remove",
}

func (in *actionInput) title() string {
	what := in.app.Name
	if in.ent != nil {
		what += ": " + in.ent.Name
	}
	return fmt.Sprintf("%s %s for %s", opWords[in.op], what, in.person.DisplayName())
}

func (in *actionInput) details() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), %s", in.person.DisplayName(), in.person.WorkEmail, in.person.Title)
	if in.person.Location != "" {
		fmt.Fprintf(&b, ", %s", in.person.Location)
	}
	for k, v := range in.params {
		fmt.Fprintf(&b, "\n%s: %s", k, v)
	}
	return b.String()
}

func (in *actionInput) payload(a *models.Action) webhook.Payload {
	p := in.person
	out := webhook.Payload{
		ID: a.IdempotencyKey, Op: a.Op, OccurredAt: a.RunAt,
		App: webhook.App{ID: in.app.ID, Name: in.app.Name},
		Person: webhook.Person{ID: p.ID, EmployeeID: p.ExternalID, FirstName: p.FirstName, LastName: p.LastName,
			PreferredName: p.PreferredName, WorkEmail: p.WorkEmail, PersonalEmail: p.PersonalEmail, Phone: p.Phone,
			Title: p.Title, Department: p.Department, Team: p.Team, Division: p.Division, CostCenter: p.CostCenter,
			ManagerID: p.ManagerID, Location: p.Location, Country: p.Country, Timezone: p.Timezone,
			EmploymentType: p.EmploymentType, Status: string(p.Status), StartDate: p.StartDate,
			TerminationDate: p.TerminationDate, Groups: p.Groups, Custom: p.Custom},
		Params: in.params, Previous: in.prev,
	}
	if in.ent != nil {
		out.Entitlement = &webhook.Entitlement{ID: in.ent.ID, Kind: string(in.ent.Kind), Key: in.ent.Key, Name: in.ent.Name}
	}
	return out
}
