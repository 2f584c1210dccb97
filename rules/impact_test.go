package rules

import "testing"

func TestImpactAdd(t *testing.T) {
	t.Parallel()
	grant := func(app, ent int64, params map[string]string) DesiredGrant {
		return DesiredGrant{AppID: app, EntitlementID: ent, Params: params}
	}
	var imp Impact
	// Gains one entitlement, loses one, one changes its parameters.
	imp.Add(
		Desired{Grants: []DesiredGrant{grant(1, 1, nil), grant(2, 5, map[string]string{"spend_limit": "300"})}},
		Desired{Grants: []DesiredGrant{grant(2, 5, map[string]string{"spend_limit": "500"}), grant(3, 7, nil)}},
	)
	// Unchanged: not counted as affected.
	imp.Add(Desired{Grants: []DesiredGrant{grant(1, 1, nil)}}, Desired{Grants: []DesiredGrant{grant(1, 1, nil)}})
	// Gains two.
	imp.Add(Desired{}, Desired{Grants: []DesiredGrant{grant(1, 1, nil), grant(1, 2, nil)}})

	want := Impact{Grants: 3, Revokes: 1, Updates: 1, People: 2}
	if imp != want {
		t.Fatalf("impact = %+v, want %+v", imp, want)
	}
}
