package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/web"
)

// benchPendingChanges is the queue size the Team Updates page is measured
// at: 60% joiners, 25% movers, 15% leavers.
const benchPendingChanges = 5000

// BenchmarkTeamUpdatesPage measures GET /team-updates with 5,000 pending
// changes, on SQLite (the figure to record) and PostgreSQL: "handler" is
// server time (the request served in process, session and all),
// "loopback" adds a real HTTP round trip.
//
//	go test ./web/ -run '^$' -bench TeamUpdatesPage -benchtime 20x
func BenchmarkTeamUpdatesPage(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchTeamUpdates(b, d) })
	}
}

func benchTeamUpdates(b *testing.B, dialect models.Dialect) {
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	seedTeamUpdates(b, db, store)

	hs := httptest.NewUnstartedServer(nil)
	base, err := url.Parse("http://" + hs.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	srv := web.New(web.Config{BaseURL: base}, web.Deps{
		DB: db, Store: store, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return nil },
	})
	hs.Config.Handler = srv
	hs.Start()
	b.Cleanup(srv.Close)
	b.Cleanup(hs.Close)
	client := benchSignIn(b, hs.URL, store)

	for _, path := range []string{"/team-updates", "/team-updates?tab=invite&page=60", "/team-updates?q=person-04"} {
		b.Run("handler "+path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, hs.URL+path, nil)
			for _, c := range client.Jar.Cookies(base) {
				req.AddCookie(c)
			}
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
	b.Run("loopback /team-updates", func(b *testing.B) {
		for b.Loop() {
			resp, err := client.Get(hs.URL + "/team-updates")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// seedTeamUpdates inserts the people and their pending changes in bulk.
func seedTeamUpdates(b *testing.B, db *models.DB, store *models.Store) {
	b.Helper()
	src, github, eng := benchGitHub(b, store)
	departments := []string{"Engineering", "Sales", "Finance", "Support", "People"}
	people := make([]*models.Person, benchPendingChanges)
	for i := range people {
		p := &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{
			ExternalID: fmt.Sprintf("E%05d", i), FirstName: "Person", LastName: fmt.Sprintf("%05d", i),
			WorkEmail: fmt.Sprintf("person-%05d@example.com", i), Department: departments[i%len(departments)],
			Title: "Engineer", Timezone: "Europe/Berlin", Status: models.StatusActive, StartDate: "2030-04-01",
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
		at := time.Date(2030, 4, 1, 7, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		kind, plan := models.ChangeJoin, []models.PlanStep{
			{Op: "create_account", AppID: github.ID, Rules: []int64{1}},
			{Op: "grant", AppID: github.ID, EntitlementID: eng.ID, Params: map[string]string{"seat": "full"}, Rules: []int64{1}},
		}
		switch {
		case i%20 >= 17:
			kind, plan = models.ChangeLeave, []models.PlanStep{{Op: "revoke", AppID: github.ID, EntitlementID: eng.ID}, {Op: "disable", AppID: github.ID}}
		case i%20 >= 12:
			kind, plan = models.ChangeMove, plan[1:]
		}
		why := rules.Why{Trigger: "joined",
			Diff: []rules.FieldChange{{Field: "department", New: p.Department}, {Field: "title", New: p.Title}},
			Matched: []rules.RuleMatch{{RuleID: 1, RuleName: "Engineering", Priority: 10, Evaluation: rules.Evaluation{Matched: true,
				Conditions: []rules.ConditionResult{{Condition: rules.Condition{Attribute: "department", Operator: rules.Equals, Value: p.Department}, Actual: p.Department, Matched: true}}}}},
			Timing: rules.Timing{At: at, Basis: "start date at 09:00", Local: at.In(time.FixedZone("CEST", 2*3600)).Format("2006-01-02 15:04 MST"), Zone: "Europe/Berlin", ZoneSource: "person"},
		}
		raw, err := models.WhyJSON(why)
		if err != nil {
			b.Fatal(err)
		}
		changes[i] = &models.Change{PersonID: p.ID, Kind: kind, Status: models.ChangePending, Plan: plan, Why: raw, Summary: why.Summary(),
			RuleNames: "Engineering", EffectiveAt: at, CreatedAt: now, UpdatedAt: now}
	}
	if err := db.Gorm.CreateInBatches(changes, 500).Error; err != nil {
		b.Fatal(err)
	}
}

var benchCSRFMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// benchSignIn signs an owner in with a one-time link and returns a client
// holding the session.
func benchSignIn(b *testing.B, baseURL string, store *models.Store) *http.Client {
	b.Helper()
	return benchSignInAs(b, baseURL, store, "bench@example.com")
}

// benchSignInAs signs a new owner with that email in through a login link.
func benchSignInAs(b *testing.B, baseURL string, store *models.Store, email string) *http.Client {
	b.Helper()
	ctx := context.Background()
	a, err := store.CreateAdmin(ctx, models.CLIActor, email, "", models.RoleOwner)
	if err != nil {
		b.Fatal(err)
	}
	token, err := store.CreateLoginToken(ctx, models.CLIActor, a)
	if err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	link := baseURL + "/login/link/" + token
	resp, err := client.Get(link)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := benchCSRFMeta.FindSubmatch(body)
	if m == nil {
		b.Fatalf("no csrf token on %s", link)
	}
	resp, err = client.PostForm(link, url.Values{"_csrf": {string(m[1])}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/") {
		b.Fatalf("sign-in: status %d", resp.StatusCode)
	}
	return client
}

// bench50kPending is the queue size of BenchmarkTeamUpdates50k (issue 10).
const bench50kPending = 50000

// BenchmarkTeamUpdates50k measures Team Updates and the dashboard with
// 50,000 pending changes on each database, served in process (session
// and all) and reported as p50 and p95 per case; /healthz in the same run
// is the floor, what any request costs.
//
//	go test ./web/ -run '^$' -bench TeamUpdates50k -benchtime 20x
func BenchmarkTeamUpdates50k(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchTeamUpdates50k(b, d) })
	}
}

func benchTeamUpdates50k(b *testing.B, dialect models.Dialect) {
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	started := time.Now()
	seedTeamUpdates50k(b, db, store)
	b.Logf("%s: seeded %d pending changes in %s", dialect, bench50kPending, time.Since(started).Round(time.Millisecond))
	srv, base, cookies := benchServer(b, db, store)

	get := func(b *testing.B, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, base.String()+path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d: %s", path, rec.Code, rec.Body)
		}
		return rec
	}
	// The second page is reached the way a person reaches it: by Next.
	next := benchNextLink.FindStringSubmatch(get(b, "/team-updates").Body.String())
	if next == nil {
		b.Fatal("no Next link on the first page")
	}
	cases := []struct{ name, path string }{
		{"healthz floor", "/healthz"},
		{"page", "/team-updates"},
		{"to update", "/team-updates?tab=update"},
		{"to terminate", "/team-updates?tab=terminate"},
		{"scheduled", "/team-updates?tab=scheduled"},
		{"history", "/team-updates?tab=history"},
		{"next page", strings.ReplaceAll(next[1], "&amp;", "&")},
		{"last page", "/team-updates?last=1&tab=invite"},
		{"search", "/team-updates?q=person-04"},
		{"department", "/team-updates?department=Sales"},
		{"dashboard", "/"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			get(b, tc.path) // warm: the first request prepares statements
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				get(b, tc.path)
				took = append(took, time.Since(start))
			}
			reportPercentiles(b, took)
		})
	}
}

var benchNextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next"`)

// reportPercentiles reports the p50 and p95 of took, in milliseconds.
func reportPercentiles(b *testing.B, took []time.Duration) {
	b.Helper()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		i := min(int(math.Ceil(p*float64(len(took))))-1, len(took)-1)
		return float64(took[max(i, 0)]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// benchServer serves Roster over store and signs an owner in, returning
// the handler, its base URL and the session's cookies.
func benchServer(b *testing.B, db *models.DB, store *models.Store) (*web.Server, *url.URL, []*http.Cookie) {
	b.Helper()
	hs := httptest.NewUnstartedServer(nil)
	base, err := url.Parse("http://" + hs.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	srv := web.New(web.Config{BaseURL: base}, web.Deps{
		DB: db, Store: store, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Ready: func(context.Context) error { return nil },
	})
	hs.Config.Handler = srv
	hs.Start()
	b.Cleanup(srv.Close)
	b.Cleanup(hs.Close)
	client := benchSignIn(b, hs.URL, store)
	return srv, base, client.Jar.Cookies(base)
}

// seedTeamUpdates50k inserts 50,000 people and a pending change for each
// in two set-based statements (60% joiners, 25% movers, 15% leavers, one
// a minute from 1 April 2030, five departments), and 10,000 decided ones
// in a third, then refreshes the
// planner's statistics as autovacuum or Roster's ANALYZE would have.
func seedTeamUpdates50k(b *testing.B, db *models.DB, store *models.Store) {
	b.Helper()
	ctx := context.Background()
	src, github, eng := benchGitHub(b, store)
	join := models.PlanJSON([]models.PlanStep{{Op: "create_account", AppID: github.ID, Rules: []int64{1}},
		{Op: "grant", AppID: github.ID, EntitlementID: eng.ID, Params: map[string]string{"seat": "full"}, Rules: []int64{1}}})
	move := models.PlanJSON([]models.PlanStep{{Op: "grant", AppID: github.ID, EntitlementID: eng.ID, Params: map[string]string{"seat": "full"}, Rules: []int64{1}}})
	leave := models.PlanJSON([]models.PlanStep{{Op: "revoke", AppID: github.ID, EntitlementID: eng.ID}, {Op: "disable", AppID: github.ID}})
	why, err := models.WhyJSON(rules.Why{Trigger: "joined", Matched: []rules.RuleMatch{{RuleID: 1, RuleName: "Engineering", Priority: 10,
		Evaluation: rules.Evaluation{Matched: true}}}})
	if err != nil {
		b.Fatal(err)
	}
	// Padded numbers and times as each database writes them (SQLite keeps
	// Go's time.Time.String form, which its comparisons rely on).
	pad := "lpad(CAST(i AS TEXT), 5, '0')"
	at := "TIMESTAMPTZ '2030-04-01 07:00:00+00' + i * INTERVAL '1 minute'"
	if db.Dialect == models.SQLite {
		pad = "printf('%05d', i)"
		at = "strftime('%Y-%m-%d %H:%M:%S', '2030-04-01 07:00:00', '+' || i || ' minutes') || ' +0000 UTC'"
	}
	g := db.Gorm.WithContext(ctx)
	if err := g.Exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO people (source_id, external_id, first_name, last_name, work_email, department, title, timezone, status, start_date)
		SELECT ?, 'E' || `+pad+`, 'Person', `+pad+`, 'person-' || `+pad+` || '@example.com',
			CASE i % 5 WHEN 0 THEN 'Engineering' WHEN 1 THEN 'Sales' WHEN 2 THEN 'Finance' WHEN 3 THEN 'Support' ELSE 'People' END,
			'Engineer', 'Europe/Berlin', 'active', '2030-04-01' FROM n`, bench50kPending-1, src.ID).Error; err != nil {
		b.Fatal(err)
	}
	if err := g.Exec(`INSERT INTO changes (person_id, kind, status, plan, why, summary, rule_names, effective_at)
		SELECT id, CASE WHEN i % 20 >= 17 THEN 'leave' WHEN i % 20 >= 12 THEN 'move' ELSE 'join' END, 'pending',
			CASE WHEN i % 20 >= 17 THEN ? WHEN i % 20 >= 12 THEN ? ELSE ? END, ?, 'Joined: matched Engineering', 'Engineering', `+at+`
		FROM (SELECT id, CAST(last_name AS INTEGER) AS i FROM people WHERE source_id = ?) p`, leave, move, join, why, src.ID).Error; err != nil {
		b.Fatal(err)
	}
	// A record behind them: 8,000 done changes (History) and 2,000
	// approved ones waiting for their time (Scheduled).
	if err := g.Exec(`INSERT INTO changes (person_id, kind, status, plan, why, summary, rule_names, effective_at, decided_by, updated_at)
		SELECT id, 'join', CASE WHEN i % 25 = 0 THEN 'scheduled' ELSE 'done' END, ?, ?, 'Joined: matched Engineering', 'Engineering',
			`+at+`, 'bench@example.com', `+at+`
		FROM (SELECT id, CAST(last_name AS INTEGER) AS i FROM people WHERE source_id = ?) p WHERE i % 5 = 0`, join, why, src.ID).Error; err != nil {
		b.Fatal(err)
	}
	analyze := "ANALYZE"
	if db.Dialect == models.Postgres {
		analyze = "VACUUM ANALYZE"
	}
	if err := g.Exec(analyze).Error; err != nil {
		b.Fatal(err)
	}
}

// benchGitHub creates what every seeded benchmark's changes refer to: a
// CSV source, a GitHub webhook app and its "eng" role.
func benchGitHub(b *testing.B, store *models.Store) (*models.Source, *models.App, *models.Entitlement) {
	b.Helper()
	ctx := context.Background()
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
	return src, github, eng
}
