package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	apps := map[int64]App{
		1: {ID: 1, Name: "GitHub", DeprovisionMode: DeprovisionDisable},
		2: {ID: 2, Name: "Slack", DeprovisionMode: DeprovisionDelete},
		3: {ID: 3, Name: "Cards", DeprovisionMode: DeprovisionDisable},
	}
	desired := Desired{
		Matched: []RuleMatch{{RuleID: 7}, {RuleID: 3}},
		Grants: []DesiredGrant{
			{AppID: 1, EntitlementID: 11, Rules: []int64{3}},
			{AppID: 1, EntitlementID: 12, Params: params("role", "admin"), Rules: []int64{7, 3}},
			{AppID: 2, EntitlementID: 21, Rules: []int64{3}},
		},
	}
	tests := []struct {
		name     string
		kind     ChangeKind
		desired  Desired
		accounts []ActualAccount
		grants   []ActualGrant
		want     []Step
	}{
		{
			name:    "join creates accounts, then grants",
			kind:    KindJoin,
			desired: desired,
			want: []Step{
				{Op: OpCreateAccount, AppID: 1, Rules: []int64{7, 3}},
				{Op: OpGrant, AppID: 1, EntitlementID: 11, Rules: []int64{3}},
				{Op: OpGrant, AppID: 1, EntitlementID: 12, Params: params("role", "admin"), Rules: []int64{7, 3}},
				{Op: OpCreateAccount, AppID: 2, Rules: []int64{3}},
				{Op: OpGrant, AppID: 2, EntitlementID: 21, Rules: []int64{3}},
			},
		},
		{
			name:     "move with no difference is an empty plan",
			kind:     KindMove,
			desired:  desired,
			accounts: []ActualAccount{{AppID: 1, Status: AccountActive}, {AppID: 2, Status: AccountActive}},
			grants: []ActualGrant{
				{AppID: 2, EntitlementID: 21, Params: map[string]string{}}, // empty and nil params are the same
				{AppID: 1, EntitlementID: 12, Params: params("role", "admin")},
				{AppID: 1, EntitlementID: 11},
			},
		},
		{
			name:     "move adds, updates and revokes; accounts stay",
			kind:     KindMove,
			desired:  desired,
			accounts: []ActualAccount{{AppID: 1, Status: AccountActive}, {AppID: 2, Status: AccountActive}, {AppID: 3, Status: AccountActive}},
			grants: []ActualGrant{
				{AppID: 1, EntitlementID: 12, Params: params("role", "member")},
				{AppID: 1, EntitlementID: 13},
				{AppID: 3, EntitlementID: 31, Params: params("spend_limit", "300")},
				{AppID: 2, EntitlementID: 21},
			},
			want: []Step{
				{Op: OpGrant, AppID: 1, EntitlementID: 11, Rules: []int64{3}},
				{Op: OpUpdate, AppID: 1, EntitlementID: 12, Params: params("role", "admin"), Previous: params("role", "member"), Rules: []int64{7, 3}},
				{Op: OpRevoke, AppID: 1, EntitlementID: 13},
				{Op: OpRevoke, AppID: 3, EntitlementID: 31},
			},
		},
		{
			name:     "leave revokes everything, then disables or deletes per app",
			kind:     KindLeave,
			desired:  desired, // ignored
			accounts: []ActualAccount{{AppID: 3, Status: AccountActive}, {AppID: 2, Status: AccountActive}, {AppID: 1, Status: AccountActive}, {AppID: 4, Status: AccountActive}},
			grants: []ActualGrant{
				{AppID: 2, EntitlementID: 21},
				{AppID: 1, EntitlementID: 12, Params: params("role", "admin")},
				{AppID: 1, EntitlementID: 11},
			},
			want: []Step{
				{Op: OpRevoke, AppID: 1, EntitlementID: 11},
				{Op: OpRevoke, AppID: 1, EntitlementID: 12},
				{Op: OpDisable, AppID: 1},
				{Op: OpRevoke, AppID: 2, EntitlementID: 21},
				{Op: OpDelete, AppID: 2},
				{Op: OpDisable, AppID: 3},
				{Op: OpDisable, AppID: 4}, // an app we know nothing of: disable, the reversible choice
			},
		},
		{
			name:     "leave skips deleted accounts and disabled ones in disable apps",
			kind:     KindLeave,
			accounts: []ActualAccount{{AppID: 1, Status: AccountDisabled}, {AppID: 2, Status: AccountDisabled}, {AppID: 3, Status: AccountDeleted}},
			grants:   []ActualGrant{{AppID: 3, EntitlementID: 31}, {AppID: 1, EntitlementID: 11}},
			want: []Step{
				{Op: OpRevoke, AppID: 1, EntitlementID: 11},
				{Op: OpDelete, AppID: 2},
			},
		},
		{
			name:     "leave with nothing is an empty plan",
			kind:     KindLeave,
			accounts: []ActualAccount{{AppID: 1, Status: AccountDeleted}},
		},
		{
			name:     "rehire re-enables a disabled account and keeps what it still holds",
			kind:     KindRehire,
			desired:  desired,
			accounts: []ActualAccount{{AppID: 1, Status: AccountDisabled}, {AppID: 2, Status: AccountDeleted}},
			grants: []ActualGrant{
				{AppID: 1, EntitlementID: 11},
				{AppID: 2, EntitlementID: 21}, // on a deleted account: gone
			},
			want: []Step{
				{Op: OpCreateAccount, AppID: 1, Rules: []int64{7, 3}},
				{Op: OpGrant, AppID: 1, EntitlementID: 12, Params: params("role", "admin"), Rules: []int64{7, 3}},
				{Op: OpCreateAccount, AppID: 2, Rules: []int64{3}},
				{Op: OpGrant, AppID: 2, EntitlementID: 21, Rules: []int64{3}},
			},
		},
		{
			name:    "rules unknown to Matched come last",
			kind:    KindJoin,
			desired: Desired{Matched: []RuleMatch{{RuleID: 3}}, Grants: []DesiredGrant{{AppID: 5, EntitlementID: 1, Rules: []int64{42}}, {AppID: 5, EntitlementID: 2, Rules: []int64{3}}}},
			want: []Step{
				{Op: OpCreateAccount, AppID: 5, Rules: []int64{3, 42}},
				{Op: OpGrant, AppID: 5, EntitlementID: 1, Rules: []int64{42}},
				{Op: OpGrant, AppID: 5, EntitlementID: 2, Rules: []int64{3}},
			},
		},
		{
			name:     "a mover keeps access the app reported beyond the rules, and loses what Roster granted",
			kind:     KindMove,
			desired:  Desired{Grants: []DesiredGrant{{AppID: 1, EntitlementID: 12, Rules: []int64{3}}}},
			accounts: []ActualAccount{{AppID: 1, Status: AccountActive}},
			grants: []ActualGrant{
				{AppID: 1, EntitlementID: 11, FromApp: true}, // predates Roster: shown, not revoked
				{AppID: 1, EntitlementID: 13, RuleID: 9},     // Roster's, no longer desired
			},
			want: []Step{
				{Op: OpGrant, AppID: 1, EntitlementID: 12, Rules: []int64{3}},
				{Op: OpRevoke, AppID: 1, EntitlementID: 13, Rules: []int64{9}},
			},
		},
		{
			name: "an entitlement the app reported without its parameters is not updated; one with other parameters is",
			kind: KindMove,
			desired: Desired{Grants: []DesiredGrant{{AppID: 1, EntitlementID: 11, Params: params("model", "MacBook Air"), Rules: []int64{3}},
				{AppID: 1, EntitlementID: 12, Params: params("seat", "pro"), Rules: []int64{3}}}},
			accounts: []ActualAccount{{AppID: 1, Status: AccountActive}},
			grants: []ActualGrant{
				{AppID: 1, EntitlementID: 11, FromApp: true},                                  // parameters unknown
				{AppID: 1, EntitlementID: 12, FromApp: true, Params: params("seat", "basic")}, // reported, different
			},
			want: []Step{
				{Op: OpUpdate, AppID: 1, EntitlementID: 12, Params: params("seat", "pro"), Previous: params("seat", "basic"), Rules: []int64{3}},
			},
		},
		{
			name:     "a leaver loses access the app reported too",
			kind:     KindLeave,
			accounts: []ActualAccount{{AppID: 1, Status: AccountActive}},
			grants:   []ActualGrant{{AppID: 1, EntitlementID: 11, FromApp: true}},
			want: []Step{
				{Op: OpRevoke, AppID: 1, EntitlementID: 11},
				{Op: OpDisable, AppID: 1},
			},
		},
		{
			name:     "an active account among old ones counts as active",
			kind:     KindJoin,
			desired:  Desired{Grants: []DesiredGrant{{AppID: 2, EntitlementID: 21, Rules: []int64{3}}}},
			accounts: []ActualAccount{{AppID: 2, Status: AccountDeleted}, {AppID: 2, Status: AccountActive}, {AppID: 2, Status: AccountDisabled}},
			grants:   []ActualGrant{{AppID: 2, EntitlementID: 21}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Plan(tt.kind, tt.desired, tt.accounts, tt.grants, apps)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Plan =\n%s\nwant\n%s", formatSteps(got), formatSteps(tt.want))
			}
		})
	}
}

func TestPlanFromResolve(t *testing.T) {
	t.Parallel()
	rules := []Rule{
		rule(1, "Engineering", 10, []Condition{eq("department", "Engineering")}, Grant{AppID: 1, EntitlementID: 11}),
		rule(2, "Sales", 10, []Condition{eq("department", "Sales")}, Grant{AppID: 1, EntitlementID: 12}),
		rule(3, "Everyone", 0, nil, Grant{AppID: 2, EntitlementID: 21}),
	}
	before := Person{Attributes: map[string]string{"department": "Engineering"}}
	after := Person{Attributes: map[string]string{"department": "Sales"}}
	accounts := []ActualAccount{{AppID: 1, Status: AccountActive}, {AppID: 2, Status: AccountActive}}
	var held []ActualGrant
	for _, g := range Resolve(rules, before, Env{}).Grants {
		held = append(held, ActualGrant{AppID: g.AppID, EntitlementID: g.EntitlementID, Params: g.Params})
	}
	if got := Plan(KindMove, Resolve(rules, before, Env{}), accounts, held, nil); len(got) != 0 {
		t.Errorf("a mover whose access does not change got a plan: %s", formatSteps(got))
	}
	got := Plan(KindMove, Resolve(rules, after, Env{}), accounts, held, nil)
	want := []Step{
		{Op: OpGrant, AppID: 1, EntitlementID: 12, Rules: []int64{2}},
		{Op: OpRevoke, AppID: 1, EntitlementID: 11},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan =\n%s\nwant\n%s", formatSteps(got), formatSteps(want))
	}
}

func formatSteps(steps []Step) string {
	var b strings.Builder
	for _, st := range steps {
		fmt.Fprintf(&b, "  %s %d/%d params=%v previous=%v rules=%v\n", st.Op, st.AppID, st.EntitlementID, st.Params, st.Previous, st.Rules)
	}
	return b.String()
}
