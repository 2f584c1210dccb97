package rules

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// ChangeKind is what happened to the person, as the planner sees it.
type ChangeKind string

// Change kinds.
const (
	KindJoin   ChangeKind = "join"   // a new hire
	KindMove   ChangeKind = "move"   // some attribute changed
	KindLeave  ChangeKind = "leave"  // terminated: all access goes
	KindRehire ChangeKind = "rehire" // a leaver who came back
)

// ActualGrant is an entitlement the person holds now.
type ActualGrant struct {
	AppID         int64
	EntitlementID int64
	Params        map[string]string
	RuleID        int64 // the rule that granted it; 0 when unknown (its revoke then needs review)
	// FromApp marks a grant the app reported (an account that predates
	// Roster, or access given outside it) rather than one Roster made:
	// access beyond the rules that Plan revokes only from a leaver.
	FromApp bool
}

// Account statuses.
const (
	AccountActive   = "active"   // usable
	AccountDisabled = "disabled" // kept but locked; can be re-enabled
	AccountDeleted  = "deleted"  // gone from the app
)

// ActualAccount is the person's account in an app.
type ActualAccount struct {
	AppID  int64
	Status string // AccountActive, AccountDisabled or AccountDeleted
}

// Deprovisioning modes of an app.
const (
	DeprovisionDisable = "disable" // leavers' accounts are disabled
	DeprovisionDelete  = "delete"  // leavers' accounts are deleted
)

// App is what the planner needs to know about an app.
type App struct {
	ID              int64
	Name            string
	DeprovisionMode string // DeprovisionDisable or DeprovisionDelete; anything else disables
}

// Op is one thing a connector does.
type Op string

// Step operations, in the order Plan runs them within an app.
const (
	OpCreateAccount Op = "create_account" // also re-enables a disabled account: connectors look up before create
	OpGrant         Op = "grant"          // a missing entitlement
	OpUpdate        Op = "update"         // new parameters for a held entitlement
	OpRevoke        Op = "revoke"         // an entitlement no longer desired
	OpDisable       Op = "disable"        // a leaver's account, reversibly
	OpDelete        Op = "delete"         // a leaver's account, for good
)

// Step is one operation of a plan.
type Step struct {
	Op            Op                `json:"op"`
	AppID         int64             `json:"app_id"`
	EntitlementID int64             `json:"entitlement_id,omitempty"` // 0 for account operations
	Params        map[string]string `json:"params,omitempty"`
	Previous      map[string]string `json:"previous,omitempty"` // the parameters an update replaces
	// Rules are the rules behind the step: for an account or grant those
	// that give it, highest priority first; for a revoke the rule that
	// granted what it takes away; for a disable or delete the rules behind
	// the app's grants. Review and timing follow them.
	Rules []int64   `json:"rules,omitempty"`
	At    time.Time `json:"at,omitzero"`    // when it runs, UTC (Schedule); zero: on approval
	When  string    `json:"when,omitempty"` // why then, in words (Schedule)
	Auto  bool      `json:"auto,omitempty"` // it may run without review (MarkAuto)
}

// Plan returns the steps that turn the actual accounts and grants into the
// desired ones; an empty plan means no change. Steps are ordered by app,
// then create_account, grant, update, revoke, disable, delete, then by
// entitlement. Grants come before revokes so a mover keeps working access
// if a new grant fails.
//
// For KindLeave every grant is revoked and every account that is not
// deleted is disabled or deleted per its App.DeprovisionMode (unknown
// apps are disabled, the reversible choice), whatever desired says.
//
// For the other kinds: create_account for each app with desired grants and
// no active account (a rehire's disabled account included), grant for
// missing entitlements, update when parameters differ (a grant the app
// reported without its parameters is not updated), and revoke for
// entitlements no longer desired that Roster granted (FromApp grants are
// left for an admin); accounts stay. Grants recorded on a
// deleted account count as gone: they are granted again, never revoked.
func Plan(kind ChangeKind, desired Desired, accounts []ActualAccount, grants []ActualGrant, apps map[int64]App) []Step {
	status := accountStatus(accounts)
	var steps []Step
	if kind == KindLeave {
		steps = planLeave(status, grants, apps)
	} else {
		steps = planAccess(desired, status, grants)
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		return cmp.Or(cmp.Compare(a.AppID, b.AppID), cmp.Compare(opOrder(a.Op), opOrder(b.Op)), cmp.Compare(a.EntitlementID, b.EntitlementID))
	})
	return steps
}

func planLeave(status map[int64]string, grants []ActualGrant, apps map[int64]App) []Step {
	var steps []Step
	appRules := map[int64][]int64{}
	for k, g := range liveGrants(status, grants) {
		steps = append(steps, Step{Op: OpRevoke, AppID: k.app, EntitlementID: k.entitlement, Rules: grantedBy(g)})
		if g.RuleID != 0 && !slices.Contains(appRules[k.app], g.RuleID) {
			appRules[k.app] = append(appRules[k.app], g.RuleID)
		}
	}
	for app, st := range status {
		rules := appRules[app]
		slices.Sort(rules)
		switch {
		case st == AccountDeleted:
		case apps[app].DeprovisionMode == DeprovisionDelete:
			steps = append(steps, Step{Op: OpDelete, AppID: app, Rules: rules})
		case st != AccountDisabled:
			steps = append(steps, Step{Op: OpDisable, AppID: app, Rules: rules})
		}
	}
	return steps
}

// grantedBy is the rule behind an actual grant, as a step's Rules.
func grantedBy(g ActualGrant) []int64 {
	if g.RuleID == 0 {
		return nil
	}
	return []int64{g.RuleID}
}

func planAccess(desired Desired, status map[int64]string, grants []ActualGrant) []Step {
	rank := map[int64]int{}
	for i, m := range desired.Matched {
		rank[m.RuleID] = i
	}
	var steps []Step
	appRules := map[int64][]int64{}
	live := liveGrants(status, grants)
	wanted := map[grantKey]bool{}
	for _, g := range desired.Grants {
		k := grantKey{g.AppID, g.EntitlementID}
		wanted[k] = true
		for _, id := range g.Rules {
			if !slices.Contains(appRules[g.AppID], id) {
				appRules[g.AppID] = append(appRules[g.AppID], id)
			}
		}
		actual, held := live[k]
		switch {
		case !held:
			steps = append(steps, Step{Op: OpGrant, AppID: g.AppID, EntitlementID: g.EntitlementID, Params: cloneParams(g.Params), Rules: slices.Clone(g.Rules)})
		case actual.FromApp && len(actual.Params) == 0:
			// The app reported the entitlement but not its parameters:
			// unknown is not different, and nothing is lacking.
		case !sameParams(actual.Params, g.Params):
			steps = append(steps, Step{Op: OpUpdate, AppID: g.AppID, EntitlementID: g.EntitlementID, Params: cloneParams(g.Params), Previous: cloneParams(actual.Params), Rules: slices.Clone(g.Rules)})
		}
	}
	for app, ids := range appRules {
		if status[app] == AccountActive {
			continue
		}
		slices.SortStableFunc(ids, func(a, b int64) int { return cmp.Compare(rankOf(rank, a), rankOf(rank, b)) })
		steps = append(steps, Step{Op: OpCreateAccount, AppID: app, Rules: ids})
	}
	for k, g := range live {
		if !wanted[k] && !g.FromApp {
			steps = append(steps, Step{Op: OpRevoke, AppID: k.app, EntitlementID: k.entitlement, Rules: grantedBy(g)})
		}
	}
	return steps
}

// accountStatus is the best status per app when an app has several
// accounts: active over anything else over deleted.
func accountStatus(accounts []ActualAccount) map[int64]string {
	weight := func(s string) int {
		switch s {
		case AccountActive:
			return 2
		case AccountDeleted:
			return 0
		}
		return 1
	}
	out := map[int64]string{}
	for _, a := range accounts {
		if cur, ok := out[a.AppID]; !ok || weight(a.Status) > weight(cur) {
			out[a.AppID] = a.Status
		}
	}
	return out
}

// liveGrants are the actual grants, one per entitlement, leaving out those
// on deleted accounts.
func liveGrants(status map[int64]string, grants []ActualGrant) map[grantKey]ActualGrant {
	out := map[grantKey]ActualGrant{}
	for _, g := range grants {
		if status[g.AppID] != AccountDeleted {
			out[grantKey{g.AppID, g.EntitlementID}] = g
		}
	}
	return out
}

func opOrder(op Op) int {
	return slices.Index([]Op{OpCreateAccount, OpGrant, OpUpdate, OpRevoke, OpDisable, OpDelete}, op)
}

func rankOf(rank map[int64]int, id int64) int {
	if r, ok := rank[id]; ok {
		return r
	}
	return len(rank)
}

// sameParams compares parameters; nil and empty are the same.
func sameParams(a, b map[string]string) bool { return maps.Equal(a, b) }

// cloneParams copies parameters so a plan never aliases its inputs; nil
// when there are none.
func cloneParams(p map[string]string) map[string]string {
	if len(p) == 0 {
		return nil
	}
	return maps.Clone(p)
}
