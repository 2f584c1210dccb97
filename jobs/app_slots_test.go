package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// slowReceiver answers after a delay and remembers how many calls it
// served at once, and when the last one ended.
type slowReceiver struct {
	delay   time.Duration
	mu      sync.Mutex
	current int
	most    int
	calls   int
	lastEnd time.Time
}

func (r *slowReceiver) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	r.current++
	r.calls++
	r.most = max(r.most, r.current)
	r.mu.Unlock()
	time.Sleep(r.delay)
	r.mu.Lock()
	r.current--
	r.lastEnd = time.Now()
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestAppConcurrencyLimitLeavesRoomForOtherApps(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
		require.NoError(t, err)
		slow, fast := &slowReceiver{delay: 1500 * time.Millisecond}, &slowReceiver{}
		newApp := func(name string, rcv http.Handler, limit int) *models.App {
			srv := httptest.NewServer(rcv)
			t.Cleanup(srv.Close)
			app, err := store.CreateApp(ctx, approver, models.AppInput{Kind: models.AppWebhook, Name: name, DeprovisionMode: models.DeprovisionDelete})
			require.NoError(t, err)
			sealed, err := sealer.Seal(`{"url":"` + srv.URL + `","secret":"` + hookSecret + `"}`)
			require.NoError(t, err)
			require.NoError(t, db.Gorm.Exec("UPDATE apps SET config = ?, max_concurrency = ? WHERE id = ?", sealed, limit, app.ID).Error)
			return app
		}
		slowApp, fastApp := newApp("Slow", slow, 1), newApp("Fast", fast, 4)
		got, err := store.AppByID(ctx, fastApp.ID)
		require.NoError(t, err)
		require.Equal(t, 4, got.MaxConcurrency)

		src, err := store.EnsureCSVSource(ctx, approver, "HR")
		require.NoError(t, err)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))
		var joiners []models.PersonChange
		for _, id := range []string{"A", "B", "C"} {
			joiners = append(joiners, models.PersonChange{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: id,
				FirstName: id, LastName: "Person", WorkEmail: id + "@example.com", Status: models.StatusActive}})
		}
		people, err := store.ApplySyncRun(ctx, approver, run, models.SyncRunning, models.SyncCounts{Joiners: 3}, joiners)
		require.NoError(t, err)
		var changeIDs []int64
		for i, appID := range []int64{slowApp.ID, slowApp.ID, fastApp.ID} {
			c, err := store.ReplaceOpenChange(ctx, people[i], &models.Change{Kind: models.ChangeJoin, Why: "{}",
				EffectiveAt: time.Now().Add(-time.Hour), Plan: []models.PlanStep{{Op: "create_account", AppID: appID}}})
			require.NoError(t, err)
			changeIDs = append(changeIDs, c.ID)
		}

		client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback(), FetchPollInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: changeIDs})
		require.NoError(t, err)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })

		var fastDone time.Time
		require.Eventually(t, func() bool {
			done := 0
			for i, id := range changeIDs {
				c, err := store.ChangeByID(ctx, id)
				require.NoError(t, err)
				if c.Status == models.ChangeDone {
					done++
					if i == 2 && fastDone.IsZero() {
						fastDone = time.Now()
					}
				}
			}
			return done == 3
		}, 30*time.Second, 50*time.Millisecond)

		slow.mu.Lock()
		defer slow.mu.Unlock()
		require.Equal(t, 2, slow.calls)
		require.Equal(t, 1, slow.most, "the slow app never had two calls at once")
		require.True(t, fastDone.Before(slow.lastEnd), "the other app's action completed meanwhile")
	})
}

// Two replicas on one PostgreSQL share an app's calls per second: the
// window is the database's, not each process's. (Calls at once are still
// per process.)
func TestAppCallRateHoldsAcrossReplicas(t *testing.T) {
	t.Parallel()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	ctx := context.Background()
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	rcv := &slowReceiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	app, err := store.CreateApp(ctx, approver, models.AppInput{Kind: models.AppWebhook, Name: "Rated", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	sealed, err := sealer.Seal(`{"url":"` + srv.URL + `","secret":"` + hookSecret + `"}`)
	require.NoError(t, err)
	require.NoError(t, db.Gorm.Exec("UPDATE apps SET config = ?, max_concurrency = 8, max_calls_per_second = 3 WHERE id = ?", sealed, app.ID).Error)

	src, err := store.EnsureCSVSource(ctx, approver, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))
	const n = 7
	var joiners []models.PersonChange
	for i := range n {
		id := fmt.Sprintf("P%02d", i)
		joiners = append(joiners, models.PersonChange{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: id,
			FirstName: id, LastName: "Person", WorkEmail: id + "@example.com", Status: models.StatusActive}})
	}
	people, err := store.ApplySyncRun(ctx, approver, run, models.SyncRunning, models.SyncCounts{Joiners: n}, joiners)
	require.NoError(t, err)
	var changeIDs []int64
	for _, p := range people {
		c, err := store.ReplaceOpenChange(ctx, p, &models.Change{Kind: models.ChangeJoin, Why: "{}",
			EffectiveAt: time.Now().Add(-time.Hour), Plan: []models.PlanStep{{Op: "create_account", AppID: app.ID}}})
		require.NoError(t, err)
		changeIDs = append(changeIDs, c.ID)
	}
	var first *models.Store
	for range 2 {
		replica := models.NewStore(db)
		if first == nil {
			first = replica
		}
		client, closeClient, err := jobs.NewClient(ctx, db, replica, jobs.Options{Sealer: sealer, Outbound: outbound.Loopback(),
			FetchPollInterval: 100 * time.Millisecond, MaxWorkers: 4})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() { _ = client.Stop(context.Background()) })
	}
	start := time.Now()
	_, _, err = (&jobs.Decisions{Store: first}).Approve(ctx, approver, models.Decision{ChangeIDs: changeIDs})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, id := range changeIDs {
			c, err := store.ChangeByID(ctx, id)
			require.NoError(t, err)
			if c.Status != models.ChangeDone {
				return false
			}
		}
		return true
	}, 90*time.Second, 50*time.Millisecond)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Equal(t, n, rcv.calls)
	// Three calls per second for seven calls, whichever replica makes
	// them: the last cannot be made before the third window opens (a
	// bound the limit guarantees, not a timing).
	require.GreaterOrEqual(t, rcv.lastEnd.Sub(start), 2*time.Second, "calls per second held across both replicas")
}
