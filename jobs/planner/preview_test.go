package planner_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

// apply writes one sync run of movers and joiners, as an upload would.
func (f *fixture) apply(changes ...models.PersonChange) {
	f.t.Helper()
	run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
	require.NoError(f.t, f.store.CreateSyncRun(f.ctx, run, nil))
	_, err := f.store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{}, changes)
	require.NoError(f.t, err)
}

// The preview keeps the people between calls, and still sees every HR
// change at once: joiners, movers and leavers.
func TestPreviewFollowsHRChanges(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(person("E1", "Engineering", ""), person("E2", "Engineering", ""), person("S1", "Sales", ""))
		// Written as a person might type it: the engine folds the name.
		engineers := rules.Rule{Name: "Engineers", Match: rules.MatchAll,
			Conditions: []rules.Condition{{Attribute: " Department", Operator: rules.Equals, Value: "engineering"}}}
		count := func(r rules.Rule) int {
			t.Helper()
			n, _, err := f.plan.PreviewMatches(f.ctx, r)
			require.NoError(t, err)
			return n
		}
		require.Equal(t, 2, count(engineers))

		mover := person("S1", "Engineering", "")
		leaver := person("E1", "Engineering", "")
		leaver.Status, leaver.TerminationDate = models.StatusTerminated, "2026-02-28"
		f.apply(
			models.PersonChange{Kind: models.EventChanged, PersonID: ids["S1"], Fields: mover},
			models.PersonChange{Kind: models.EventLeft, PersonID: ids["E1"], Fields: leaver},
			models.PersonChange{Kind: models.EventJoined, Fields: person("E3", "Engineering", "")},
		)
		n, names, err := f.plan.PreviewMatches(f.ctx, engineers)
		require.NoError(t, err)
		require.Equal(t, 3, n, "S1 moved in, E3 joined, E1 left")
		require.ElementsMatch(t, []string{"PE2 Person", "PS1 Person", "PE3 Person"}, names)

		// Custom attributes, groups and any-of rules read the same values
		// as the planner does.
		custom := person("E2", "Engineering", "")
		custom.Custom = map[string]string{"cost_code": "X-1"}
		custom.Groups = []string{"oncall"}
		f.apply(models.PersonChange{Kind: models.EventChanged, PersonID: ids["E2"], Fields: custom})
		require.Equal(t, 1, count(rules.Rule{Conditions: []rules.Condition{{Attribute: "cost_code", Operator: rules.Equals, Value: "x-1"}}}))
		require.Equal(t, 1, count(rules.Rule{Conditions: []rules.Condition{{Attribute: "groups", Operator: rules.Equals, Value: "oncall"}}}))
		require.Equal(t, 3, count(rules.Rule{Match: rules.MatchAny, Conditions: []rules.Condition{
			{Attribute: "groups", Operator: rules.Equals, Value: "oncall"}, {Attribute: "department", Operator: rules.Equals, Value: "Engineering"}}}))
		require.Equal(t, 3, count(rules.Rule{}), "no conditions: everyone plannable")
	})
}

// A preview whose caller has gone stops and says so.
func TestPreviewStopsWhenAsked(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		f.people(person("E1", "Engineering", ""))
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, _, err := f.plan.PreviewMatches(ctx, rules.Rule{})
		require.ErrorIs(t, err, context.Canceled)
		n, _, err := f.plan.PreviewMatches(f.ctx, rules.Rule{})
		require.NoError(t, err)
		require.Equal(t, 1, n, "the next caller is served")
	})
}

// BenchmarkPreview100000People is the rules editor's live preview over
// 100,000 people once the snapshot is warm (each iteration also reads
// the people version); BenchmarkPreviewFloor100000People is the bare
// loop over the same people comparing one field, the floor beside it.
func BenchmarkPreview100000People(b *testing.B) {
	f := benchPeople(b)
	r := rules.Rule{Match: rules.MatchAll, Conditions: []rules.Condition{
		{Attribute: "department", Operator: rules.Equals, Value: "Engineering"},
		{Attribute: "location", Operator: rules.In, Value: "City1, City2, City3"},
	}}
	_, _, err := f.plan.PreviewMatches(f.ctx, r) // warm the snapshot
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, _, err := f.plan.PreviewMatches(f.ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreviewFloor100000People(b *testing.B) {
	people := make([]models.PersonFields, 100_000)
	for i := range people {
		people[i] = benchPerson(i)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		for i := range people {
			if people[i].Department == "Engineering" && people[i].Location == "City0" {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no match")
		}
	}
}

var benchDepts = []string{"Engineering", "Sales", "Finance", "Support", "Marketing"}

func benchPerson(i int) models.PersonFields {
	p := person(fmt.Sprintf("E%06d", i), benchDepts[i%len(benchDepts)], "Europe/Berlin")
	p.Location = fmt.Sprintf("City%d", i%20)
	return p
}

func benchPeople(b *testing.B) *fixture {
	f := newFixture(b, models.NewStore(modelstest.Open(b, models.SQLite)))
	batch := make([]models.PersonFields, 0, 10_000)
	for i := range 100_000 {
		batch = append(batch, benchPerson(i))
		if len(batch) == cap(batch) {
			f.people(batch...)
			batch = batch[:0]
		}
	}
	return f
}
