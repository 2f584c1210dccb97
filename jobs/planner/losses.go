package planner

import (
	"context"
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// Proposed is an HR record a sync run would write over a person's current
// one.
type Proposed struct {
	PersonID int64
	Old, New *models.PersonFields
}

// takeaway is one step that takes access away.
type takeaway struct {
	op       rules.Op
	app, ent int64
}

// AccessTaken counts, per person, the grants and accounts that their new
// HR record would take away under the current rules and that their
// current record does not: what applying a sync run would add to the
// revocations, as the safety brake weighs it. A record that makes the
// person a leaver takes everything; any other takes the grants the rules
// no longer give. Both are planned as a re-plan would (against recorded
// access with running actions counted as done), so a revocation already
// due before the run is not the run's. Rules, apps and access are read
// through store (the run's transaction); now gives the org's today for
// date conditions. People who would lose nothing are left out.
func AccessTaken(ctx context.Context, store *models.Store, now time.Time, proposed []Proposed) (map[int64]int, error) {
	out := map[int64]int{}
	if len(proposed) == 0 {
		return out, nil
	}
	w, err := loadWorld(ctx, store, now)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(proposed))
	for i, p := range proposed {
		ids[i] = p.PersonID
	}
	access, err := store.AccessOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	running, err := store.RunningActions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range proposed {
		acc := access[p.PersonID]
		if acc == nil || len(acc.Accounts) == 0 && len(running[p.PersonID]) == 0 {
			continue // nothing to lose
		}
		accounts, grants := actual(acc, running[p.PersonID])
		before := takeaways(w, p.Old, accounts, grants)
		n := 0
		for t := range takeaways(w, p.New, accounts, grants) {
			if !before[t] {
				n++
			}
		}
		if n > 0 {
			out[p.PersonID] = n
		}
	}
	return out, nil
}

// takeaways are the revokes, disables and deletes a person's plan would
// have with this HR record.
func takeaways(w *world, f *models.PersonFields, accounts []rules.ActualAccount, grants []rules.ActualGrant) map[takeaway]bool {
	kind := rules.KindMove // joiners, movers and rehires plan access alike
	if leaving(f) {
		kind = rules.KindLeave
	}
	desired := w.compiled.Resolve(EnginePerson(f), w.env)
	out := map[takeaway]bool{}
	for _, s := range rules.Plan(kind, desired, accounts, grants, w.apps) {
		switch s.Op {
		case rules.OpRevoke, rules.OpDisable, rules.OpDelete:
			out[takeaway{s.Op, s.AppID, s.EntitlementID}] = true
		}
	}
	return out
}
