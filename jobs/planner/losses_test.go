package planner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// AccessTaken counts what a new HR record takes away that the current one
// does not: a mover's grant the rules no longer give, a leaver's grants and
// accounts, and nothing for a mover who keeps everything, someone without
// access, or a revocation the current record already causes.
func TestAccessTaken(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newFixture(t, store)
		eng := f.rule(models.Rule{Name: "Engineers",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: f.github.ID, EntitlementID: f.eng.ID}}})
		staff := []models.PersonFields{person("M1", "Engineering", ""), person("M2", "Engineering", ""), person("L1", "Engineering", ""),
			person("N1", "Engineering", ""), person("S1", "Sales", "")}
		ids := f.people(staff...)
		for _, ext := range []string{"M1", "M2", "L1", "S1"} {
			f.holds(db, ids[ext], f.github, f.eng, eng)
		}
		f.holds(db, ids["L1"], f.card, f.limit, nil)

		change := func(i int, edit func(*models.PersonFields)) planner.Proposed {
			old, next := staff[i], staff[i]
			edit(&next)
			return planner.Proposed{PersonID: ids[old.ExternalID], Old: &old, New: &next}
		}
		toSales := func(p *models.PersonFields) { p.Department = "Sales" }
		promoted := func(p *models.PersonFields) { p.Title = "Staff Engineer" }
		left := func(p *models.PersonFields) { p.Status, p.TerminationDate = models.StatusTerminated, "2026-03-01" }

		got, err := planner.AccessTaken(f.ctx, store, f.plan.Now(), []planner.Proposed{
			change(0, toSales),  // M1 loses the Engineering group
			change(1, promoted), // M2 keeps it
			change(2, left),     // L1 loses the group and both accounts; the card no rule gives goes either way
			change(3, toSales),  // N1 holds nothing
			change(4, promoted), // S1's grant is revoked either way: not this record's doing
		})
		require.NoError(t, err)
		require.Equal(t, map[int64]int{ids["M1"]: 1, ids["L1"]: 3}, got)

		got, err = planner.AccessTaken(f.ctx, store, f.plan.Now(), nil)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
