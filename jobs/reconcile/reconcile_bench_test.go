package reconcile_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

const (
	benchToken    = "bench-7c1e0a94d3b2"
	benchPageSize = 1000
	benchGroups   = 10 // every user is in one of ten groups: its entitlement
)

// BenchmarkReconcile100k reconciles an app's accounts, listed from a SCIM
// fake (scimtest, pages of 1,000), against as many people, on each
// database and at two sizes (10,000 and 100,000: linear growth shows as a
// flat ns/account). An iteration is what a reconcile of a SCIM app does:
// ListAccounts into []reconcile.Account, then Reconciler.Apply (match
// against everyone HR knows, record the accounts, link them to their
// people, audit), into an app Roster has not seen accounts of before, so
// every iteration is a first reconcile. Planning the people whose access
// changed is not in the figure (PlanLater is nil); see
// BenchmarkPlanEveryone100000 for that.
//
// Beside it, measured in the same run: fetch-s, a pass that only lists
// and converts the accounts (the floor), and the ratio x-fetch. peak-MB is
// the most the heap in use (HeapInuse, sampled every 5 ms) grew above its
// level before the iterations, garbage not yet collected included (so it
// follows GOGC, and the fake's 100,000 stored users raise the heap goal);
// peak-live-MB the most the live heap (as each collection found it) grew;
// fetch-peak-MB is peak-MB for the fetch-only pass, and list-MB what the
// listed []reconcile.Account alone keeps live. B/op and allocs/op include
// the fake server's encoding.
//
//	go test ./jobs/reconcile/ -run '^$' -bench BenchmarkReconcile -benchtime 1x
func BenchmarkReconcile100k(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			for _, n := range []int{10000, 100000} {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					if n > 10000 && testing.Short() {
						b.Skip("100,000 accounts: not with -short")
					}
					benchReconcile(b, d, n)
				})
			}
		})
	}
}

func benchReconcile(b *testing.B, d models.Dialect, n int) {
	ctx := context.Background()
	store := models.NewStore(modelstest.Open(b, d))
	seedPeople(b, store, n)
	srv := scimtest.New(b, scimtest.Options{Token: benchToken, MaxPageSize: benchPageSize})
	ids := srv.AddUsers(n) // user00001@example.com...: the people's work emails
	for g := range benchGroups {
		var members []string
		for i := g; i < n; i += benchGroups {
			members = append(members, ids[i])
		}
		srv.AddGroup(fmt.Sprintf("team-%d", g), members...)
	}
	client, err := scim.NewClient(scim.Config{BaseURL: srv.URL(), Token: benchToken}, scim.Options{Policy: outbound.Loopback()})
	if err != nil {
		b.Fatal(err)
	}
	apps := make([]*models.App, b.N) // a fresh app each iteration: each is a first reconcile
	for i := range apps {
		apps[i] = benchApp(b, store, i)
	}
	rec := &reconcile.Reconciler{Store: store, Region: "GB"} // PlanLater nil: planning is not measured

	if got := len(fetchAccounts(b, client)); got != n { // warms the connection too
		b.Fatalf("listed %d accounts, want %d", got, n)
	}
	var fetch time.Duration
	var held []reconcile.Account
	fetchPeak, _ := peakHeap(func() {
		start := time.Now()
		held = fetchAccounts(b, client)
		fetch = time.Since(start)
	})
	runtime.GC()
	_, heldLive := heapNow()
	runtime.KeepAlive(held)
	runtime.GC()
	_, freedLive := heapNow()
	list := float64(heldLive-freedLive) / (1 << 20)

	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	peak, peakLive := peakHeap(func() {
		start := time.Now()
		defer func() { elapsed = time.Since(start) }()
		for i := range b.N {
			accounts := fetchAccounts(b, client)
			sum, err := rec.Apply(ctx, admin, apps[i], accounts, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if sum.Seen != n || sum.Matched != n || len(sum.Changed) != n {
				b.Fatalf("seen=%d %s changed=%d, want %d matched and changed", sum.Seen, sum.Line(), len(sum.Changed), n)
			}
		}
	})
	b.StopTimer()
	perOp := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(perOp, "s/reconcile")
	b.ReportMetric(perOp*1e9/float64(n), "ns/account")
	b.ReportMetric(fetch.Seconds(), "fetch-s")
	b.ReportMetric(perOp/fetch.Seconds(), "x-fetch")
	b.ReportMetric(peak, "peak-MB")
	b.ReportMetric(peakLive, "peak-live-MB")
	b.ReportMetric(fetchPeak, "fetch-peak-MB")
	b.ReportMetric(list, "list-MB")
}

// seedPeople stores n active people whose work emails are the fake's
// users', through the bulk write an import uses, in runs of 10,000.
func seedPeople(b *testing.B, store *models.Store, n int) {
	b.Helper()
	ctx := context.Background()
	src, err := store.EnsureCSVSource(ctx, admin, "HR")
	if err != nil {
		b.Fatal(err)
	}
	depts := []string{"Engineering", "Sales", "Finance", "Support", "Marketing"}
	for first := 0; first < n; first += 10000 {
		last := min(first+10000, n)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
		if err := store.CreateSyncRun(ctx, run, nil); err != nil {
			b.Fatal(err)
		}
		changes := make([]models.PersonChange, 0, last-first)
		for i := first; i < last; i++ {
			changes = append(changes, models.PersonChange{Kind: models.EventJoined, Fields: staff(
				fmt.Sprintf("E%06d", i+1), fmt.Sprintf("First%d", i+1), fmt.Sprintf("user%05d@example.com", i+1), depts[i%len(depts)])})
		}
		if _, err := store.ApplySyncRun(ctx, admin, run, models.SyncRunning, models.SyncCounts{Joiners: len(changes)}, changes); err != nil {
			b.Fatal(err)
		}
	}
	if err := store.RefreshStats(ctx); err != nil {
		b.Fatal(err)
	}
}

// benchApp is an app whose catalogue has the fake's groups.
func benchApp(b *testing.B, store *models.Store, i int) *models.App {
	b.Helper()
	ctx := context.Background()
	app, err := store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppWebhook, Name: fmt.Sprintf("SCIM %d", i), DeprovisionMode: models.DeprovisionDisable})
	if err != nil {
		b.Fatal(err)
	}
	for g := range benchGroups {
		if _, err := store.CreateEntitlement(ctx, admin, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: fmt.Sprintf("team-%d", g)}); err != nil {
			b.Fatal(err)
		}
	}
	return app
}

// fetchAccounts lists every account and converts it as a SCIM app's
// reconcile would: the groups' display names are the entitlements.
func fetchAccounts(b *testing.B, c *scim.Client) []reconcile.Account {
	b.Helper()
	var out []reconcile.Account
	err := c.ListAccounts(context.Background(), benchPageSize, func(page []scim.Account) error {
		out = slices.Grow(out, len(page))
		for _, a := range page {
			out = append(out, remoteAccount(a))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func remoteAccount(a scim.Account) reconcile.Account {
	status := models.AccountActive
	if !a.User.IsActive() {
		status = models.AccountDisabled
	}
	name := a.User.DisplayName
	if name == "" && a.User.Name != nil {
		name = strings.TrimSpace(a.User.Name.GivenName + " " + a.User.Name.FamilyName)
	}
	ents := make([]string, len(a.Groups))
	for i, g := range a.Groups {
		ents[i] = g.Display
	}
	return reconcile.Account{ID: a.User.ID, Email: a.User.Email(), Name: name, Status: status, Entitlements: ents}
}

// peakHeap samples the heap while fn runs and returns, in MB, the most it
// grew above its level before (after a collection): in use (HeapInuse,
// garbage not yet collected included, so it follows GOGC) and live (what
// the latest collection found reachable, /gc/heap/live:bytes).
func peakHeap(fn func()) (inUse, live float64) {
	runtime.GC()
	baseInUse, baseLive := heapNow()
	peakInUse, peakLive := baseInUse, baseLive
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				u, l := heapNow()
				peakInUse, peakLive = max(peakInUse, u), max(peakLive, l)
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return float64(peakInUse-baseInUse) / (1 << 20), float64(peakLive-baseLive) / (1 << 20)
}

// heapNow reads the heap in use (MemStats.HeapInuse) and live through
// runtime/metrics, which does not stop the world as ReadMemStats does.
func heapNow() (inUse, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64(), s[2].Value.Uint64()
}
