package planner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm/logger"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

var admin = models.Actor{Email: "admin@example.com"}

// fixture is a source with people, an app with entitlements, and rules.
type fixture struct {
	t      testing.TB
	ctx    context.Context
	store  *models.Store
	src    *models.Source
	github *models.App
	eng    *models.Entitlement
	card   *models.App
	limit  *models.Entitlement
	plan   *planner.Planner
}

func newFixture(t testing.TB, store *models.Store) *fixture {
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, store: store, plan: planner.New(store)}
	f.plan.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	var err error
	f.src, err = store.EnsureCSVSource(ctx, admin, "HR")
	require.NoError(t, err)
	f.github, err = store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	f.eng, err = store.CreateEntitlement(ctx, admin, f.github.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng", Name: "Engineering"})
	require.NoError(t, err)
	f.card, err = store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppManual, Name: "Cards", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	f.limit, err = store.CreateEntitlement(ctx, admin, f.card.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card", Name: "Card",
		Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber}}})
	require.NoError(t, err)
	return f
}

// people stores people as one sync run and returns their ids by external id.
func (f *fixture) people(fields ...models.PersonFields) map[string]int64 {
	return f.storePeople(models.EventJoined, fields)
}

// storePeople stores people as one sync run, each with the event kind, and
// returns their ids by external id.
func (f *fixture) storePeople(kind models.EventKind, fields []models.PersonFields) map[string]int64 {
	run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning, Baseline: kind == models.EventBaseline}
	require.NoError(f.t, f.store.CreateSyncRun(f.ctx, run, nil))
	changes := make([]models.PersonChange, len(fields))
	for i, p := range fields {
		changes[i] = models.PersonChange{Kind: kind, Fields: p}
	}
	counts := models.SyncCounts{Joiners: len(fields)}
	if kind == models.EventBaseline {
		counts = models.SyncCounts{Existing: len(fields)}
	}
	ids, err := f.store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, counts, changes)
	require.NoError(f.t, err)
	out := map[string]int64{}
	for i, id := range ids {
		out[fields[i].ExternalID] = id
	}
	return out
}

func (f *fixture) rule(r models.Rule) *models.Rule {
	if r.Match == "" {
		r.Match = "all"
	}
	r.Enabled = true
	require.NoError(f.t, f.store.SaveRule(f.ctx, admin, &r))
	return &r
}

func person(id, dept, tz string) models.PersonFields {
	return models.PersonFields{ExternalID: id, FirstName: "P" + id, LastName: "Person", WorkEmail: id + "@example.com",
		Department: dept, Status: models.StatusActive, StartDate: "2026-03-10", Timezone: tz}
}

func (f *fixture) open(personID int64) *models.Change {
	c, err := f.store.OpenChangeOf(f.ctx, personID)
	require.NoError(f.t, err)
	return c
}

func TestPlanJoinersWithWhyAndTiming(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(person("E1", "Engineering", "Europe/Berlin"), person("S1", "Sales", ""))
		f.rule(models.Rule{Name: "Engineers", Priority: 10,
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}, JoinerTime: "09:00"})

		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["E1"], ids["S1"]}))

		c := f.open(ids["E1"])
		require.Equal(t, models.ChangeJoin, c.Kind)
		at := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
		when := `start date at 09:00 (rule "Engineers")`
		require.Equal(t, []models.PlanStep{
			{Op: "create_account", AppID: f.github.ID, Rules: []int64{1}, At: at, When: when},
			{Op: "grant", AppID: f.github.ID, EntitlementID: f.eng.ID, Rules: []int64{1}, At: at, When: when},
		}, stripRules(c.Plan, 1))
		require.Equal(t, time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC), c.EffectiveAt.UTC(), "09:00 in Berlin (CET) on the start date")
		require.Equal(t, "Engineers", c.RuleNames)
		var why rules.Why
		require.NoError(t, json.Unmarshal([]byte(c.Why), &why))
		require.Equal(t, "joined", why.Trigger)
		require.Len(t, why.Matched, 1)
		require.Equal(t, "Engineering", why.Matched[0].Evaluation.Conditions[0].Actual)
		require.Contains(t, c.Summary, "Engineers")

		_, err := store.OpenChangeOf(f.ctx, ids["S1"])
		require.ErrorIs(t, err, models.ErrNotFound, "nobody's rules match Sales: no change")
	})
}

// stripRules replaces rule ids (which differ between databases) with a
// constant, keeping the shape of the plan.
func stripRules(steps []models.PlanStep, id int64) []models.PlanStep {
	out := make([]models.PlanStep, len(steps))
	for i, s := range steps {
		s.Rules = []int64{id}
		out[i] = s
	}
	return out
}

func TestConflictsAndSupersession(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(person("F1", "Finance", "UTC"))
		f.rule(models.Rule{Name: "Default cards", Priority: 10,
			Grants: []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID, Params: map[string]string{"spend_limit": "300"}}}})
		f.rule(models.Rule{Name: "Finance cards", Priority: 20,
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Finance"}},
			Grants:     []models.RuleGrant{{AppID: f.card.ID, EntitlementID: f.limit.ID, Params: map[string]string{"spend_limit": "500"}}}})

		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		first := f.open(ids["F1"])
		require.Equal(t, "500", first.Plan[1].Params["spend_limit"], "the higher priority wins")
		require.Contains(t, first.Summary, `500 from "Finance cards" (priority 20) over 300 from "Default cards" (priority 10)`)

		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		require.Equal(t, first.ID, f.open(ids["F1"]).ID, "re-planning with nothing new keeps the same change")

		rs, err := store.ListRules(f.ctx)
		require.NoError(t, err)
		for _, r := range rs {
			if r.Name == "Finance cards" {
				require.NoError(t, store.SetRuleEnabled(f.ctx, admin, r.ID, false))
			}
		}
		require.NoError(t, f.plan.PlanEveryone(f.ctx))
		second := f.open(ids["F1"])
		require.NotEqual(t, first.ID, second.ID, "newer rules supersede the undecided change")
		require.Equal(t, "300", second.Plan[1].Params["spend_limit"])
		old, err := store.ChangeByID(f.ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, models.ChangeSuperseded, old.Status)
		require.Equal(t, second.ID, *old.SupersededByID)
	})
}

func TestLeaverRemovesAllAccessAtTheirLocalTime(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newFixture(t, store)
		leaver := person("T1", "Engineering", "Asia/Tokyo")
		ids := f.people(leaver)
		r := f.rule(models.Rule{Name: "Engineers", LeaverMode: "at_date", LeaverTime: "17:00",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		// They have the access already (as execution would have recorded it).
		acct := models.Account{PersonID: ids["T1"], AppID: f.github.ID, Status: models.AccountActive}
		require.NoError(t, db.Gorm.Create(&acct).Error)
		require.NoError(t, db.Gorm.Create(&models.Grant{AccountID: acct.ID, EntitlementID: f.eng.ID, RuleID: &r.ID, Params: map[string]string{}}).Error)

		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["T1"]}))
		_, err := store.OpenChangeOf(f.ctx, ids["T1"])
		require.ErrorIs(t, err, models.ErrNotFound, "a mover whose access does not change creates no change")

		leaver.Status, leaver.TerminationDate = models.StatusTerminated, "2026-03-31"
		run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(f.ctx, run, nil))
		_, err = store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{Leavers: 1},
			[]models.PersonChange{{Kind: models.EventLeft, PersonID: ids["T1"], Fields: leaver}})
		require.NoError(t, err)

		require.NoError(t, f.plan.PlanPeople(f.ctx, []int64{ids["T1"]}))
		c := f.open(ids["T1"])
		require.Equal(t, models.ChangeLeave, c.Kind)
		require.Equal(t, []string{"revoke", "delete"}, ops(c.Plan), "GitHub deletes leavers' accounts")
		require.Equal(t, time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC), c.EffectiveAt.UTC(), "17:00 in Tokyo")
	})
}

func ops(steps []models.PlanStep) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Op
	}
	return out
}

func TestPreviewAndImpact(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		f.people(person("E1", "Engineering", ""), person("E2", "Engineering", ""), person("S1", "Sales", ""))
		proposed := rules.Rule{Name: "Engineers", Enabled: true, Match: rules.MatchAll,
			Conditions: []rules.Condition{{Attribute: "department", Operator: rules.Equals, Value: "Engineering"}},
			Grants:     []rules.Grant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}}

		n, names, err := f.plan.PreviewMatches(f.ctx, proposed)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.ElementsMatch(t, []string{"PE1 Person", "PE2 Person"}, names)

		imp, err := f.plan.RuleImpact(f.ctx, &proposed, 0)
		require.NoError(t, err)
		require.Equal(t, rules.Impact{Grants: 2, People: 2}, imp)

		saved := f.rule(models.Rule{Name: "Engineers",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		imp, err = f.plan.RuleImpact(f.ctx, nil, saved.ID)
		require.NoError(t, err)
		require.Equal(t, rules.Impact{Revokes: 2, People: 2}, imp, "deleting the rule takes the grant from both")
	})
}

// BenchmarkPlan10000People50Rules plans 10,000 people against 50 rules
// on SQLite: the "everyone a rule change affects" path.
func BenchmarkPlan10000People50Rules(b *testing.B) {
	store := models.NewStore(modelstest.Open(b, models.SQLite))
	f := newFixture(b, store)
	depts := []string{"Engineering", "Sales", "Finance", "Support", "Marketing"}
	people := make([]models.PersonFields, 10000)
	for i := range people {
		people[i] = person(fmt.Sprintf("E%05d", i), depts[i%len(depts)], "Europe/Berlin")
		people[i].Location = fmt.Sprintf("City%d", i%20)
	}
	f.people(people...)
	for i := range 50 {
		f.rule(models.Rule{Name: fmt.Sprintf("Rule %d", i), Priority: i,
			Conditions: []models.RuleCondition{
				{Attribute: "department", Operator: "equals", Value: depts[i%len(depts)]},
				{Attribute: "location", Operator: "in", Value: fmt.Sprintf("City%d, City%d", i%20, (i+1)%20)},
				{Attribute: "status", Operator: "not_equals", Value: "terminated"},
			},
			Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
	}
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 1 {
			// Alternate the rules so every iteration writes new changes.
			rs, _ := store.ListRules(f.ctx)
			require.NoError(b, store.SetRuleEnabled(f.ctx, admin, rs[0].ID, !rs[0].Enabled))
		}
		require.NoError(b, f.plan.PlanEveryone(f.ctx))
	}
}

// BenchmarkPlanEveryone100000 re-plans 100,000 people against 50 rules on
// each database, as a rule edit does (every batch, its reads, the rules
// and the writes of 100,000 new pending changes), beside a floor
// measured in the same run: loading the same people in the planner's
// batches and resolving the rules for each with the compiled engine,
// writing nothing. "x-floor" is the ratio.
//
//	go test ./jobs/planner -run '^$' -bench PlanEveryone100000 -benchtime 1x -count 3
func BenchmarkPlanEveryone100000(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := modelstest.Open(b, d)
			store := models.NewStore(db)
			f := newFixture(b, store)
			depts := []string{"Engineering", "Sales", "Finance", "Support", "Marketing"}
			people := make([]models.PersonFields, 100000)
			for i := range people {
				people[i] = person(fmt.Sprintf("E%06d", i), depts[i%len(depts)], "Europe/Berlin")
				people[i].Location = fmt.Sprintf("City%d", i%20)
			}
			for chunk := range slices.Chunk(people, 10000) {
				f.people(chunk...)
			}
			for i := range 50 {
				f.rule(models.Rule{Name: fmt.Sprintf("Rule %d", i), Priority: i,
					Conditions: []models.RuleCondition{
						{Attribute: "department", Operator: "equals", Value: depts[i%len(depts)]},
						{Attribute: "location", Operator: "in", Value: fmt.Sprintf("City%d, City%d", i%20, (i+1)%20)},
						{Attribute: "status", Operator: "not_equals", Value: "terminated"},
					},
					Grants: []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
			}
			require.NoError(b, store.RefreshStats(f.ctx))
			if os.Getenv("ROSTER_BENCH_SLOW") != "" {
				db.Gorm.Logger = logger.New(log.New(os.Stderr, "", 0), logger.Config{SlowThreshold: 20 * time.Millisecond, LogLevel: logger.Warn})
			}
			floor := planFloor(b, store)
			rs, err := store.ListRules(f.ctx)
			require.NoError(b, err)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i > 0 { // every iteration writes new changes
					b.StopTimer()
					require.NoError(b, store.SetRuleEnabled(f.ctx, admin, rs[0].ID, i%2 == 0))
					b.StartTimer()
				}
				require.NoError(b, f.plan.PlanEveryone(f.ctx))
			}
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(floor.Seconds(), "floor-s")
			b.ReportMetric(perOp/floor.Seconds(), "x-floor")
		})
	}
}

// planFloor loads everyone plannable in batches of 500 and resolves the
// rules for each: what planning cannot do without.
func planFloor(b *testing.B, store *models.Store) time.Duration {
	ctx := context.Background()
	start := time.Now()
	ids, err := store.PlannableIDs(ctx)
	require.NoError(b, err)
	stored, err := store.ListRules(ctx)
	require.NoError(b, err)
	engine := make([]rules.Rule, len(stored))
	for i := range stored {
		engine[i] = planner.EngineRule(&stored[i])
	}
	compiled := rules.Compile(engine)
	matched := 0
	for chunk := range slices.Chunk(ids, 500) {
		people, err := store.PeopleByIDs(ctx, chunk)
		require.NoError(b, err)
		for i := range people {
			res := compiled.Resolve(planner.EnginePerson(&people[i].PersonFields), rules.Env{Today: "2026-03-01"})
			matched += len(res.Grants)
		}
	}
	require.NotZero(b, matched)
	return time.Since(start)
}
