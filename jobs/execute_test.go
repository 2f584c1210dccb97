package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

const hookSecret = "0123456789abcdef-secret"

// receiver is a webhook endpoint that fails the first `failures` calls of
// every idempotency key with `status`, then accepts.
type receiver struct {
	mu       sync.Mutex
	calls    map[string]int
	ops      []string
	failures int
	status   int
	badSigs  int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if webhook.Verify(hookSecret, req.Header, body, time.Now(), 0) != nil {
		r.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	r.calls[key]++
	if r.calls[key] <= r.failures {
		w.WriteHeader(r.status)
		return
	}
	var p webhook.Payload
	_ = json.Unmarshal(body, &p)
	r.ops = append(r.ops, p.Op)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// runExecution approves a webhook join for an app pointing at rcv and
// runs the job runner until the change settles or the deadline passes.
func runExecution(t *testing.T, db *models.DB, store *models.Store, rcv *receiver) *models.Change {
	t.Helper()
	change, _ := startExecution(t, db, store, rcv, jobs.Options{})
	return waitSettled(t, store, change.ID)
}

// startExecution points the webhook app at h, starts a job runner with
// opts (a short retry delay and poll unless set) and approves a join of
// two steps, due an hour ago.
func startExecution(t *testing.T, db *models.DB, store *models.Store, h http.Handler, opts jobs.Options) (*models.Change, *jobs.Client) {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	change := pendingJoin(t, store, time.Now().Add(-time.Hour))
	sealed, err := sealer.Seal(`{"url":"` + srv.URL + `","secret":"` + hookSecret + `"}`)
	require.NoError(t, err)
	require.NoError(t, db.Gorm.Exec("UPDATE apps SET config = ?", sealed).Error)

	opts.Sealer = sealer
	opts.Outbound = outbound.Loopback() // the receiver is an httptest server
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = 200 * time.Millisecond
	}
	if opts.RetryDelay == nil {
		opts.RetryDelay = func(int) time.Duration { return 10 * time.Millisecond }
	}
	client, closeClient, err := jobs.NewClient(ctx, db, store, opts)
	require.NoError(t, err)
	t.Cleanup(closeClient)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background()) })

	_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
	require.NoError(t, err)
	return change, client
}

// waitSettled waits until the change is done or failed.
func waitSettled(t *testing.T, store *models.Store, changeID int64) *models.Change {
	t.Helper()
	var c *models.Change
	require.Eventually(t, func() bool {
		var err error
		c, err = store.ChangeByID(context.Background(), changeID)
		require.NoError(t, err)
		return c.Status == models.ChangeDone || c.Status == models.ChangeFailed
	}, 30*time.Second, 50*time.Millisecond, "the change did not settle within 30s")
	return c
}

func TestWebhookActionsRetryWithTheSameKeyUntilDone(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		rcv := &receiver{calls: map[string]int{}, failures: 2, status: http.StatusServiceUnavailable}
		c := runExecution(t, db, store, rcv)
		require.Equal(t, models.ChangeDone, c.Status)

		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		require.Zero(t, rcv.badSigs, "every call is signed")
		require.Len(t, rcv.calls, 2, "one key per action")
		for key, n := range rcv.calls {
			require.Equal(t, 3, n, "503 twice, then 200, all with key %s", key)
		}
		require.Equal(t, []string{"create_account", "grant"}, rcv.ops, "in plan order")

		actions, err := store.ActionsOf(context.Background(), c.ID)
		require.NoError(t, err)
		for _, a := range actions {
			require.Equal(t, models.ActionDone, a.Status)
			require.Equal(t, 200, a.ResponseStatus)
			require.Equal(t, `{"ok":true}`, a.ResponseExcerpt)
		}
		access, err := store.AccessOf(context.Background(), []int64{c.PersonID})
		require.NoError(t, err)
		require.Len(t, access[c.PersonID].Accounts, 1)
		require.Len(t, access[c.PersonID].Grants, 1)
	})
}

func TestWebhookClientErrorFailsAtOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		rcv := &receiver{calls: map[string]int{}, failures: 100, status: http.StatusBadRequest}
		c := runExecution(t, db, store, rcv)
		require.Equal(t, models.ChangeFailed, c.Status)
		actions, err := store.ActionsOf(context.Background(), c.ID)
		require.NoError(t, err)
		require.Equal(t, models.ActionFailed, actions[0].Status)
		require.Equal(t, 1, actions[0].Attempts, "a 400 is not retried")
		require.Equal(t, 400, actions[0].ResponseStatus)
		require.Contains(t, actions[0].LastError, "400")
	})
}

func TestManualActionsBecomeTasks(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		change := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE apps SET kind = 'manual', name = 'Laptop'").Error)
		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })

		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)

		var tasks []models.Task
		require.Eventually(t, func() bool {
			tasks, err = store.ListTasks(ctx, false, 10)
			return err == nil && len(tasks) == 1
		}, 20*time.Second, 100*time.Millisecond, "the account step becomes a task")
		require.Equal(t, "Set up Laptop for Ada Lovelace", tasks[0].Title)

		require.NoError(t, store.SetTaskDone(ctx, approver, tasks[0].ID, true, time.Now()))
		require.Eventually(t, func() bool {
			tasks, err = store.ListTasks(ctx, false, 10)
			return err == nil && len(tasks) == 1 && tasks[0].Title == "Give Laptop: eng for Ada Lovelace"
		}, 20*time.Second, 100*time.Millisecond, "then the grant, in plan order")
		require.NoError(t, store.SetTaskDone(ctx, approver, tasks[0].ID, true, time.Now()))
		c, err := store.ChangeByID(ctx, change.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeDone, c.Status)
	})
}

// A successful call whose recording fails (the database busy for a
// moment) is recorded on a second try, not made again (issue 10: under
// load SQLite once delivered 5,001 calls for 5,000 actions, because a
// failed completion handed the job back to River, which called the app
// again).
func TestSuccessfulCallIsRecordedNotRepeated(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		var failures atomic.Int32
		failures.Store(2)
		name := "test:busy-recording:" + t.Name()
		require.NoError(t, db.Gorm.Callback().Create().Before("gorm:create").Register(name, func(tx *gorm.DB) {
			if tx.Statement.Table == "app_calls" && failures.Add(-1) >= 0 {
				tx.AddError(errors.New("database is locked (simulated)"))
			}
		}))
		t.Cleanup(func() { _ = db.Gorm.Callback().Create().Remove(name) })

		rcv := &receiver{calls: map[string]int{}}
		c := runExecution(t, db, store, rcv)
		require.Equal(t, models.ChangeDone, c.Status)
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		require.Len(t, rcv.calls, 2)
		for key, n := range rcv.calls {
			require.Equal(t, 1, n, "the app was called once for key %s", key)
		}
		var calls int64
		require.NoError(t, db.Gorm.Model(&models.AppCall{}).Count(&calls).Error)
		require.EqualValues(t, 2, calls, "each call recorded once")
	})
}
