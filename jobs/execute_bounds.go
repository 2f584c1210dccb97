package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/models"
)

// Defaults of an action's retry bound: however an app answers, an action
// stops being tried after this many calls or this long after its first
// call, and is Failed with the app's last answer. River's MaxAttempts
// alone does not bound it, because a wait the app asks for (429 with
// Retry-After) is a snooze, which River does not count as an attempt.
const (
	executeMaxCalls    = 100
	executeRetryWindow = 24 * time.Hour
)

// Keys of what an action's job counts in its River metadata. They live on
// the job, so an admin's Retry (a new job) starts a fresh bound, and they
// survive restarts like the job does. River's own "snoozes" counts every
// snooze, including the short waits for a free slot, so Roster keeps its
// own.
const (
	metaCalls       = "roster_calls"         // webhook calls made by this job
	metaFirstCallAt = "roster_first_call_at" // when the first of them was made
	metaOrderLooks  = "roster_order_looks"   // times it found earlier steps not done
)

// jobCounts is what an action's job has counted so far.
type jobCounts struct {
	Calls       int       `json:"roster_calls"`
	FirstCallAt time.Time `json:"roster_first_call_at"`
	OrderLooks  int       `json:"roster_order_looks"`
}

func countsOf(job *river.Job[ExecuteActionArgs]) jobCounts {
	var c jobCounts
	if job.JobRow != nil && len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &c) // unreadable counts start again from zero
	}
	return c
}

// setMeta records a count on the job when its attempt ends, whatever the
// outcome (River merges the update on completion, error and snooze alike).
// Outside a River work context there is nowhere to keep it.
func setMeta(ctx context.Context, key string, value any) {
	_ = river.MetadataSet(ctx, key, value)
}

// retryBound is when an action's tries stop.
type retryBound struct {
	maxCalls int
	window   time.Duration
}

// exhausted says why the next try must not happen, or "" when it may:
// calls made so far (including the one just answered), since first, and
// the wait the app asked for before the next (0 when it did not say).
func (b retryBound) exhausted(calls int, first, now time.Time, wait time.Duration) string {
	span := now.Sub(first)
	switch {
	case calls >= b.maxCalls:
		return fmt.Sprintf("gave up after %d attempts over %s", calls, roughDuration(span))
	case span >= b.window:
		return fmt.Sprintf("gave up after %d attempts over %s", calls, roughDuration(span))
	case wait > 0 && span+wait > b.window:
		return fmt.Sprintf("gave up after %d attempts over %s: the app asked to wait %s more, past the %s retry window",
			calls, roughDuration(span), roughDuration(wait), roughDuration(b.window))
	}
	return ""
}

// roughDuration prints a duration to a precision a person reads: "36h",
// "2h5m", "45s", "1.2s".
func roughDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		d = d.Round(time.Minute)
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	default:
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

// endsJob reports whether err ends the attempt as River's plain failure
// (retried, or discarded on the last attempt), not a snooze or a cancel
// the worker chose.
func endsJob(err error) bool {
	var snooze *rivertype.JobSnoozeError
	var cancel *rivertype.JobCancelError
	return err != nil && !errors.As(err, &snooze) && !errors.As(err, &cancel)
}

// giveUpTimeout bounds recording a failure after the job's own context
// ended (a timeout is one way a last attempt fails).
const giveUpTimeout = 10 * time.Second

// giveUp fails an action whose job River is about to discard: its last
// attempt errored or panicked. The app's last answer, recorded by
// RecordRetry, stays on the action beside the reason.
func (w *ExecuteActionWorker) giveUp(ctx context.Context, job *river.Job[ExecuteActionArgs], reason string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
	defer cancel()
	msg := fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, reason)
	if err := failUnfinished(ctx, w.store, job.Args.ActionID, msg); err != nil {
		w.logger.Error("recording a given-up action failed", "action_id", job.Args.ActionID, "error", err)
		return
	}
	w.logger.Warn("action failed", "action_id", job.Args.ActionID, "error", msg)
}

// failUnfinished fails an action that is still scheduled or running with
// reason, keeping the app's last answer; one done, failed or cancelled
// meanwhile is left alone.
func failUnfinished(ctx context.Context, store *models.Store, id int64, reason string) error {
	a, err := store.ActionByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status != models.ActionScheduled && a.Status != models.ActionRunning {
		return nil
	}
	return store.FailAction(ctx, runner, id, models.AttemptResult{Error: reason,
		ResponseStatus: a.ResponseStatus, ResponseExcerpt: a.ResponseExcerpt}, time.Now())
}
