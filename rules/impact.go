package rules

import "maps"

// Impact sums what a rule change does to desired access across people:
// shown before a rule is saved, enabled, disabled or deleted.
type Impact struct {
	Grants  int // entitlements people would gain
	Revokes int // entitlements people would lose
	Updates int // entitlements whose parameters would change
	People  int // people affected
}

// Add counts one person's difference between desired access before and
// after the change.
func (i *Impact) Add(before, after Desired) {
	type key struct{ app, ent int64 }
	held := make(map[key]map[string]string, len(before.Grants))
	for _, g := range before.Grants {
		held[key{g.AppID, g.EntitlementID}] = g.Params
	}
	var grants, updates int
	for _, g := range after.Grants {
		k := key{g.AppID, g.EntitlementID}
		old, ok := held[k]
		switch {
		case !ok:
			grants++
		case !maps.Equal(old, g.Params):
			updates++
		}
		delete(held, k)
	}
	if grants+updates+len(held) == 0 {
		return
	}
	i.People++
	i.Grants += grants
	i.Updates += updates
	i.Revokes += len(held)
}
