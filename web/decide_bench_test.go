package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/web"
)

// benchApproveChanges is how many pending changes one benchmark iteration
// approves.
const benchApproveChanges = 1000

// BenchmarkApprove1000 measures approving 1,000 pending join changes (two
// actions each, so 2,000 actions and 2,000 River jobs) in one
// POST /team-updates/approve over loopback, as "Select all 1,000 in To
// Invite" posts it (scope=all and the selection the page saw), until the
// redirect answers. The server reads the matching ids again, checks them
// against the selection and approves them in one transaction.
//
//	go test ./web/ -run '^$' -bench Approve1000 -benchtime 3x
func BenchmarkApprove1000(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchApprove(b, d) })
	}
}

var benchCSRFInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func benchApprove(b *testing.B, dialect models.Dialect) {
	ctx := context.Background()
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	// A River client that is never started: approving inserts the jobs.
	_, closeJobs, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeJobs)
	src, err := store.CreateSource(ctx, models.CLIActor, models.SourceInput{Name: "Workday", Kind: models.SourceCSV})
	if err != nil {
		b.Fatal(err)
	}
	github, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := store.CreateEntitlement(ctx, models.CLIActor, github.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "eng"})
	if err != nil {
		b.Fatal(err)
	}

	hs := httptest.NewUnstartedServer(nil)
	base, err := url.Parse("http://" + hs.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	srv := web.New(web.Config{BaseURL: base}, web.Deps{
		DB: db, Store: store, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return nil }, Decider: &jobs.Decisions{Store: store},
	})
	hs.Config.Handler = srv
	hs.Start()
	b.Cleanup(srv.Close)
	b.Cleanup(hs.Close)
	client := benchSignIn(b, hs.URL, store)
	resp, err := client.Get(hs.URL + "/team-updates")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := benchCSRFMeta.FindSubmatch(body)
	if m == nil {
		if m = benchCSRFInput.FindSubmatch(body); m == nil {
			b.Fatal("no csrf token on /team-updates")
		}
	}
	csrf := string(m[1])

	round := 0
	for b.Loop() {
		b.StopTimer()
		sel := models.SelectionOf(seedApprove(b, db, src.ID, github.ID, eng.ID, round))
		round++
		form := url.Values{"_csrf": {csrf}, "scope": {"all"}, "expect_count": {strconv.FormatInt(sel.Count, 10)},
			"expect_max_id": {strconv.FormatInt(sel.MaxID, 10)}, "expect_id_sum": {strconv.FormatInt(sel.IDSum, 10)}}
		b.StartTimer()
		resp, err := client.PostForm(hs.URL+"/team-updates/approve?tab=invite", form)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.StopTimer()
		if resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("approve: status %d", resp.StatusCode)
		}
		var pending int64
		if err := db.Gorm.Model(&models.Change{}).Where("status = ?", models.ChangePending).Count(&pending).Error; err != nil {
			b.Fatal(err)
		}
		if pending != 0 {
			b.Fatalf("%d changes still pending", pending)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/1000-changes")
}

// seedApprove inserts benchApproveChanges people, each with a pending join
// change of two GitHub steps, and returns the change ids.
func seedApprove(b *testing.B, db *models.DB, sourceID, appID, entID int64, round int) []int64 {
	b.Helper()
	people := make([]*models.Person, benchApproveChanges)
	for i := range people {
		p := &models.Person{SourceID: sourceID, PersonFields: models.PersonFields{
			ExternalID: fmt.Sprintf("R%d-%05d", round, i), FirstName: "Person", LastName: fmt.Sprintf("%d-%05d", round, i),
			WorkEmail: fmt.Sprintf("person-%d-%05d@example.com", round, i), Department: "Engineering",
			Title: "Engineer", Status: models.StatusActive, StartDate: "2030-04-01",
			Groups: []string{}, Custom: map[string]string{},
		}}
		p.Hash = p.PersonFields.Hash()
		people[i] = p
	}
	if err := db.Gorm.CreateInBatches(people, 500).Error; err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	changes := make([]*models.Change, len(people))
	for i, p := range people {
		changes[i] = &models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending, Why: "{}",
			Plan: []models.PlanStep{
				{Op: "create_account", AppID: appID, Rules: []int64{1}},
				{Op: "grant", AppID: appID, EntitlementID: entID, Rules: []int64{1}},
			},
			Summary: "joined", RuleNames: "Engineering", EffectiveAt: time.Date(2030, 4, 1, 7, 0, 0, 0, time.UTC), CreatedAt: now, UpdatedAt: now}
	}
	if err := db.Gorm.CreateInBatches(changes, 500).Error; err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.ID
	}
	return ids
}
