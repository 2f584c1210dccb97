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
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/web"
)

// benchApproveChanges is how many pending changes one benchmark iteration
// approves: the most "Select all" decides in one POST.
const benchApproveChanges = 10000

// BenchmarkApprove10000 measures approving 10,000 pending join changes
// (two actions each, so 20,000 actions and 20,000 River jobs) in one
// POST /team-updates/approve over loopback, as "Select all 10,000 in To
// Invite" posts it (scope=all and the selection the page saw), until the
// redirect answers. The server reads the matching ids again, checks them
// against the selection and approves them batch by batch.
//
// While it runs, another signed-in admin loads /apps in a loop: its p95
// and slowest answer ("apps-p95-ms", "apps-max-ms") and any answer that
// is not 200 ("apps-failed") show whether the rest of Roster keeps
// answering. The floor, measured in the same run on the same rows, is the
// decision's writes as three set-based statements in one transaction
// (changes updated, actions and audit rows inserted from them; no jobs),
// and "x-floor" is the ratio.
//
//	go test ./web/ -run '^$' -bench Approve10000 -benchtime 3x
func BenchmarkApprove10000(b *testing.B) {
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
	src, github, eng := benchGitHub(b, store)

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

	other := benchSignInAs(b, hs.URL, store, "other@example.com")
	var lat []time.Duration
	failed := 0
	round := 0
	for b.Loop() {
		b.StopTimer()
		sel := models.SelectionOf(seedApprove(b, db, src.ID, github.ID, eng.ID, round))
		round++
		form := url.Values{"_csrf": {csrf}, "scope": {"all"}, "expect_count": {strconv.FormatInt(sel.Count, 10)},
			"expect_max_id": {strconv.FormatInt(sel.MaxID, 10)}, "expect_id_sum": {strconv.FormatInt(sel.IDSum, 10)}}
		stop := make(chan struct{})
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				resp, err := other.Get(hs.URL + "/apps")
				if err != nil || resp.StatusCode != http.StatusOK {
					failed++
				}
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat = append(lat, time.Since(start))
			}
		}()
		b.StartTimer()
		resp, err := client.PostForm(hs.URL+"/team-updates/approve?tab=invite", form)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.StopTimer()
		close(stop)
		<-polled
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
	b.StopTimer()
	perOp := float64(b.Elapsed().Milliseconds()) / float64(b.N)
	floor := approveFloor(b, db, seedApprove(b, db, src.ID, github.ID, eng.ID, round))
	slices.Sort(lat)
	b.ReportMetric(perOp, "ms/10000-changes")
	b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
	b.ReportMetric(perOp/float64(floor.Milliseconds()), "x-floor")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "apps-p95-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "apps-max-ms")
	}
	b.ReportMetric(float64(failed), "apps-failed")
}

// approveFloor times the decision's writes for the changes ids as plain
// set-based SQL in one transaction: the changes marked scheduled, two
// actions per change and one audit row per change inserted from them.
func approveFloor(b *testing.B, db *models.DB, ids []int64) time.Duration {
	b.Helper()
	now := time.Now().UTC()
	start := time.Now()
	err := db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE changes SET status = 'scheduled', decided_by = 'floor', decided_at = ?, updated_at = ? WHERE id IN ? AND status = 'pending'`,
			now, now, ids).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO actions (change_id, app_id, op, params, previous, seq, status, attempts, last_error, response_status,
				response_excerpt, idempotency_key, run_at, created_at, updated_at)
			SELECT c.id, 1, 'grant', '{}', '{}', s.seq, 'scheduled', 0, '', 0, '', 'floor-' || c.id || '-' || s.seq, ?, ?, ?
			FROM changes c CROSS JOIN (SELECT 0 AS seq UNION ALL SELECT 1) s WHERE c.id IN ?`, now, now, now, ids).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO audit_events (created_at, actor_email, action, subject_type, subject_id, subject_label, after, ip, request_id)
			SELECT ?, 'floor', 'change.approved', 'change', CAST(id AS TEXT), 'join change', '{"auto":false}', '', '' FROM changes WHERE id IN ?`,
			now, ids).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
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
