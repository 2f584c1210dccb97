package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// throttler answers every call 429 with Retry-After, counting calls.
type throttler struct {
	mu         sync.Mutex
	calls      int
	retryAfter string
}

func (h *throttler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	w.Header().Set("Retry-After", h.retryAfter)
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, `{"error":"slow down"}`)
}

func (h *throttler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

func firstAction(t *testing.T, store *models.Store, changeID int64) models.Action {
	t.Helper()
	actions, err := store.ActionsOf(context.Background(), changeID)
	require.NoError(t, err)
	require.NotEmpty(t, actions)
	return actions[0]
}

// A receiver answering 429 with Retry-After for ever is not called for
// ever: the waits it asks for count toward the action's bound, and the
// action ends Failed with the app's last answer.
func TestRetryAfterForeverFailsAtTheCallBound(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		rcv := &throttler{retryAfter: "1"}
		change, _ := startExecution(t, db, store, rcv, jobs.Options{MaxCalls: 3})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)

		a := firstAction(t, store, c.ID)
		require.Equal(t, models.ActionFailed, a.Status)
		require.Equal(t, 3, rcv.count(), "three calls, then no more")
		require.Equal(t, 3, a.Attempts)
		require.Contains(t, a.LastError, "gave up after 3 attempts over ")
		require.Contains(t, a.LastError, "429", "the last answer is kept")
		require.Equal(t, http.StatusTooManyRequests, a.ResponseStatus)
		require.Equal(t, `{"error":"slow down"}`, a.ResponseExcerpt)
	})
}

// A wait the app asks for that ends past the retry window fails the
// action at once instead of leaving it scheduled for that long.
func TestRetryAfterPastTheWindowFailsAtOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		rcv := &throttler{retryAfter: "3600"}
		change, _ := startExecution(t, db, store, rcv, jobs.Options{RetryWindow: time.Minute})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)

		a := firstAction(t, store, c.ID)
		require.Equal(t, 1, rcv.count())
		require.Contains(t, a.LastError, "gave up after 1 attempts over ")
		require.Contains(t, a.LastError, "the app asked to wait 1h more, past the 1m retry window")
		require.Equal(t, http.StatusTooManyRequests, a.ResponseStatus)
	})
}

func TestOrderWaitDoublesFromTwoSecondsToAMinute(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for look := 1; look <= 8; look++ {
		got = append(got, jobs.OrderWait(look))
	}
	s := time.Second
	require.Equal(t, []time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s}, got)
}

// A step waiting for an earlier one (a grant behind a manual task that
// nobody has done yet) looks less and less often: each snooze counts as
// one more look, although River's Attempt does not rise.
func TestOrderWaitGrowsAcrossSnoozes(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		change := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE apps SET kind = 'manual', name = 'Laptop'").Error)
		looks := make(chan int, 100)
		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 100 * time.Millisecond,
			OrderWait: func(look int) time.Duration {
				looks <- look
				return time.Millisecond
			}})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)

		for want := 1; want <= 5; want++ {
			select {
			case got := <-looks:
				require.Equal(t, want, got, "the grant's job counts its looks")
			case <-time.After(20 * time.Second):
				t.Fatalf("look %d did not come", want)
			}
		}
	})
}

// panicking is a transport whose every call panics, as a bug in a
// connector might.
type panicking struct{}

func (panicking) RoundTrip(*http.Request) (*http.Response, error) { panic("receiver exploded") }

// A job that panics on every attempt is discarded by River; its action
// does not stay running but ends Failed with the reason.
func TestDiscardedJobLeavesItsActionFailed(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		change, _ := startExecution(t, db, store, http.NotFoundHandler(), jobs.Options{
			HTTPClient: &http.Client{Transport: panicking{}}, Logger: slog.New(slog.DiscardHandler)})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)
		a := firstAction(t, store, c.ID)
		require.Equal(t, models.ActionFailed, a.Status)
		require.Equal(t, "gave up after 15 attempts: panic: receiver exploded", a.LastError)
	})
}

// A job cancelled in River (from outside the worker) leaves its action
// Failed with the reason once the sweep runs; an action retried since,
// whose newer job completed with its task still open, is left running.
func TestCancelledJobLeavesItsActionFailed(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		change := pendingJoin(t, store, time.Now().Add(48*time.Hour)) // its jobs wait, scheduled
		require.NoError(t, db.Gorm.Exec("UPDATE apps SET kind = 'manual', name = 'Laptop'").Error)
		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)

		a := firstAction(t, store, change.ID)
		res, err := client.JobList(ctx, river.NewJobListParams().Kinds(jobs.ExecuteActionArgs{}.Kind()).
			States(rivertype.JobStateScheduled).OrderBy(river.JobListOrderByID, river.SortOrderAsc))
		require.NoError(t, err)
		require.Len(t, res.Jobs, 2)
		_, err = client.JobCancel(ctx, res.Jobs[0].ID) // the account step's job
		require.NoError(t, err)

		sweep := func() {
			t.Helper()
			ins, err := client.Insert(ctx, jobs.SettleLostActionsArgs{}, nil)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				j, err := client.JobGet(ctx, ins.Job.ID)
				require.NoError(t, err)
				return j.State == rivertype.JobStateCompleted
			}, 20*time.Second, 50*time.Millisecond)
		}
		sweep()
		got, err := store.ActionByID(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionFailed, got.Status)
		require.Equal(t, "its job was cancelled before it recorded an outcome", got.LastError)
		c, err := store.ChangeByID(ctx, change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeFailed, c.Status)
		actions, err := store.ActionsOf(ctx, change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionScheduled, actions[1].Status, "the grant's job is alive: left alone")

		// Retried, it runs at once: its task opens, its new job completes,
		// and the action is running until someone does the task.
		require.NoError(t, (&jobs.Decisions{Store: store}).Retry(ctx, approver, a.ID))
		require.Eventually(t, func() bool {
			tasks, err := store.ListTasks(ctx, false, 10)
			return err == nil && len(tasks) == 1
		}, 20*time.Second, 50*time.Millisecond)
		sweep()
		got, err = store.ActionByID(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionRunning, got.Status, "the newest job is what counts")
	})
}

// What a failing app answers is stored with its credentials redacted,
// on the action and in the app's call history, so no page, mail or
// backup holds them.
func TestFailedAnswerIsStoredRedacted(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		const leaked = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
		rcv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"error":"bad grant","debug":{"password":"hunter22","auth":"`+leaked+`"}}`)
		})
		change, _ := startExecution(t, db, store, rcv, jobs.Options{})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)

		a := firstAction(t, store, c.ID)
		require.Equal(t, `{"error":"bad grant","debug":{"password":[redacted],"auth":"[redacted]"}}`, a.ResponseExcerpt)
		h, err := store.AppHealthSince(context.Background(), a.AppID, time.Now().Add(-time.Hour))
		require.NoError(t, err)
		require.NotNil(t, h.Last)
		require.NotContains(t, h.Last.Excerpt, leaked)
		require.NotContains(t, h.Last.Excerpt, "hunter22")
	})
}
