// Package planner turns HR data and provisioning rules into Team Updates:
// for each person it computes desired access with the rules engine, diffs
// it against what the person actually has, times it, explains it, and
// keeps one open change per person.
package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// batchSize is how many people are planned per transaction.
const batchSize = 500

// Planner plans changes. It holds no state between calls.
type Planner struct {
	Store *models.Store
	Now   func() time.Time
	// Approve, when set, approves the changes rules auto-approve, through
	// the same path as a person (jobs.Decisions.AutoApprove), so their
	// actions and jobs are written in one transaction. Nil leaves them
	// pending.
	Approve func(ctx context.Context, changeIDs []int64) error

	previews previewCache // PreviewMatches' snapshot of the people
}

// New returns a Planner over a store.
func New(store *models.Store) *Planner { return &Planner{Store: store, Now: time.Now} }

// world is what planning needs besides the people: loaded once per call.
type world struct {
	rules    []rules.Rule
	compiled *rules.Compiled // rules, compiled once for every person planned
	byID     map[int64]rules.Rule
	apps     map[int64]rules.App
	orgTZ    string
	env      rules.Env
	now      time.Time
	appNames map[int64]string
}

func (p *Planner) load(ctx context.Context) (*world, error) { return loadWorld(ctx, p.Store, p.Now()) }

// loadWorld reads rules, apps and the org time zone through store (which
// may be a transaction's).
func loadWorld(ctx context.Context, store *models.Store, now time.Time) (*world, error) {
	stored, err := store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	apps, err := store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	orgTZ, err := store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return nil, err
	}
	w := &world{byID: map[int64]rules.Rule{}, apps: map[int64]rules.App{}, orgTZ: orgTZ, now: now.UTC(), appNames: map[int64]string{}}
	for _, r := range stored {
		rr := EngineRule(&r)
		w.rules = append(w.rules, rr)
		w.byID[r.ID] = rr
	}
	for _, a := range apps {
		w.apps[a.ID] = rules.App{ID: a.ID, Name: a.Name, DeprovisionMode: a.DeprovisionMode}
		w.appNames[a.ID] = a.Name
	}
	w.compiled = rules.Compile(w.rules)
	w.env = rules.Env{Today: Today(w.now, orgTZ)}
	return w, nil
}

// Today is the calendar date at now in the organisation's time zone.
func Today(now time.Time, orgTZ string) string {
	loc, err := time.LoadLocation(orgTZ)
	if err != nil || orgTZ == "" {
		loc = time.UTC
	}
	return now.In(loc).Format("2006-01-02")
}

// PlanPeople re-plans people whose HR data changed (Decisions.Retry
// calls it; a sync run's planning jobs call Plan): each ends up with at most one pending change that reflects
// their current HR data and the current rules. A decided change of theirs
// whose actions have not all run is kept if the new plan repeats it, and
// otherwise superseded (models.Store.ReplanChanges).
func (p *Planner) PlanPeople(ctx context.Context, ids []int64) error {
	return p.plan(ctx, ids, models.ReplanHRChanged)
}

// PlanEveryone re-plans everyone rules can affect, after a rule edit or a
// new organisation time zone, the same way as PlanPeople: approved work
// the new plan no longer repeats is superseded and its scheduled actions
// cancelled, so an edited rule does not leave behind work it no longer
// asks for next to a duplicate in review.
func (p *Planner) PlanEveryone(ctx context.Context) error {
	ids, err := p.Store.PlannableIDs(ctx)
	if err != nil {
		return err
	}
	return p.plan(ctx, ids, models.ReplanRulesChanged)
}

// Plan re-plans the given people; reason is why, for the audit trail
// (models.ReplanHRChanged, models.ReplanRulesChanged, models.ReplanSweep).
// The planning jobs call it for each batch.
func (p *Planner) Plan(ctx context.Context, ids []int64, reason string) error {
	return p.plan(ctx, ids, reason)
}

// plan re-plans people in batches; reason is why, for the audit trail.
func (p *Planner) plan(ctx context.Context, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	for start := 0; start < len(ids); start += batchSize {
		end := min(start+batchSize, len(ids))
		if err := p.planBatch(ctx, ids[start:end], reason); err != nil {
			return err
		}
		// Later batches read what earlier ones wrote: keep the query
		// planner's statistics within a factor of two of the changes
		// (and the actions auto-approval creates); people are not written
		// here. Best-effort, as the plan jobs do: the plans are written.
		if models.StatsDue(start, end) {
			_ = p.Store.RefreshStats(ctx, "changes", "actions")
		}
	}
	return nil
}

// replanAttempts bounds how often a batch is planned again after another
// process decided or re-planned one of its people meanwhile.
const replanAttempts = 5

// planBatch plans a batch in one transaction, reading the rules and
// settings inside it (models.Store.ReplanPeople orders it with rule edits),
// so a batch never writes a plan made from rules an edit replaced
// meanwhile.
func (p *Planner) planBatch(ctx context.Context, ids []int64, reason string) error {
	var open map[int64]*models.Change
	var err error
	for attempt := 1; ; attempt++ {
		open, err = p.Store.ReplanPeople(ctx, ids, reason, func(tx *models.Store) (map[int64]*models.Change, error) {
			w, err := loadWorld(ctx, tx, p.Now())
			if err != nil {
				return nil, err
			}
			return planPeople(ctx, tx, w, ids)
		})
		if !errors.Is(err, models.ErrConflict) || attempt == replanAttempts {
			break
		}
	}
	if err != nil {
		return err
	}
	return p.autoApprove(ctx, open)
}

// planPeople computes the next change of each person from what tx reads:
// inside the re-plan's transaction, so a worker starting an action
// meanwhile cannot have its step asked for again.
func planPeople(ctx context.Context, tx *models.Store, w *world, ids []int64) (map[int64]*models.Change, error) {
	people, err := tx.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	access, err := tx.AccessOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	running, err := tx.RunningActions(ctx, ids)
	if err != nil {
		return nil, err
	}
	events, err := tx.LatestEvents(ctx, ids)
	if err != nil {
		return nil, err
	}
	next := make(map[int64]*models.Change, len(people))
	for i := range people {
		person := &people[i]
		ev, hasEvent := events[person.ID]
		next[person.ID] = planOne(w, person, access[person.ID], running[person.ID], ev, hasEvent)
	}
	return next, nil
}

// autoApprove approves the open changes rules auto-approve. A change kept
// from an earlier identical plan is approved only if it is still pending;
// approving a decided change is skipped anyway.
func (p *Planner) autoApprove(ctx context.Context, open map[int64]*models.Change) error {
	if p.Approve == nil {
		return nil
	}
	var ids []int64
	for _, c := range open {
		if c != nil && c.AutoApproved && c.Status == models.ChangePending {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return p.Approve(ctx, ids)
}

// planOne computes one person's change, or nil when nothing is to be done.
// The plan is the diff against their recorded access with the effect of
// their running actions added (see actual), so a step already under way
// (an open task, a webhook call being retried) is not asked for again.
// The kind goes by recorded access alone: someone whose first account is
// still being created is still joining.
func planOne(w *world, person *models.Person, acc *models.Access, running []models.Action, ev models.PersonEvent, hasEvent bool) *models.Change {
	rp := EnginePerson(&person.PersonFields)
	accounts, grants := actual(acc, running)
	kind := changeKind(person, acc, ev, hasEvent, w.env.Today)
	desired := w.compiled.Resolve(rp, w.env)
	steps := rules.Plan(kind, desired, accounts, grants, w.apps)
	if len(steps) == 0 {
		return nil
	}
	steps, timing := rules.Schedule(kind, steps, w.byID, rp, person.Timezone, w.orgTZ, w.now)
	rules.MarkAuto(steps, w.byID)
	reason := reasonOf(person, kind, ev, hasEvent)
	why := rules.Why{Trigger: trigger(kind, ev, hasEvent), Matched: desired.Matched, Conflicts: desired.Conflicts, Timing: timing}
	if reason != "" {
		why.Trigger = reason
	}
	if hasEvent && reason != models.ReasonMissingAccess { // a baseline's diff is every field: not news
		for _, d := range ev.Diff {
			why.Diff = append(why.Diff, rules.FieldChange{Field: d.Field, Old: d.Old, New: d.New})
		}
	}
	whyJSON, _ := models.WhyJSON(why)
	effective := timing.At
	if effective.IsZero() { // some step runs on approval
		effective = w.now
	}
	c := &models.Change{
		Kind: models.ChangeKind(kind), Plan: planSteps(steps), Why: whyJSON, Summary: why.Summary(),
		RuleNames: ruleNames(desired.Matched), EffectiveAt: effective.UTC().Truncate(time.Second), PlannedAt: w.now,
		// Leavers always wait for a person; anything else runs unreviewed
		// only when every step's rules allow it (rules.MarkAuto), so a
		// revocation follows the rule that granted the access. What a
		// baseline person lacks is proposed, never done unreviewed: their
		// accounts may exist in apps Roster has not reconciled yet.
		AutoApproved: kind != rules.KindLeave && reason != models.ReasonMissingAccess && rules.AllAuto(steps),
		Reason:       reason,
	}
	if hasEvent {
		id := ev.ID
		c.PersonEventID = &id
	}
	return c
}

// changeKind classifies the change: a terminated or leaving person is a
// leaver; a rehire without live access is a rehire; someone with no live
// account yet, or whose start date has not passed (today, in the
// organisation's zone, YYYY-MM-DD), is a joiner, so the joiner timing of
// every step holds until they start even once the first accounts exist;
// everyone else is a mover.
func changeKind(person *models.Person, acc *models.Access, ev models.PersonEvent, hasEvent bool, today string) rules.ChangeKind {
	if leaving(&person.PersonFields) {
		return rules.KindLeave
	}
	live := false
	for _, a := range acc.Accounts {
		if a.Status == models.AccountActive {
			live = true
		}
	}
	switch {
	case hasEvent && ev.Kind == models.EventRehired && !live:
		return rules.KindRehire
	case person.BaselineAt != nil:
		return rules.KindMove // current staff since the baseline: never a joiner
	case hasEvent && ev.Kind == models.EventOutsideChange && person.StartDate < today:
		return rules.KindMove // their account was changed outside Roster: putting it back is not joining
	case !live, person.StartDate >= today:
		return rules.KindJoin
	}
	return rules.KindMove
}

// reasonOf says why a change exists where its kind does not: what a
// baseline person lacks under the rules, planned from the baseline
// itself (their latest event) or from their accounts coming in since, is
// "missing access"; putting back what reconciliation found changed
// outside Roster is "changed outside Roster".
func reasonOf(person *models.Person, kind rules.ChangeKind, ev models.PersonEvent, hasEvent bool) string {
	switch {
	case kind != rules.KindMove || !hasEvent:
		return ""
	case person.BaselineAt != nil && ev.Kind == models.EventBaseline:
		return models.ReasonMissingAccess
	case ev.Kind == models.EventOutsideChange:
		// Reconciliation found an account changed outside Roster: the
		// change puts it back as the rules say.
		return models.ReasonOutsideChange
	}
	return ""
}

// leaving reports whether an HR record makes its person a leaver: all
// their access goes.
func leaving(f *models.PersonFields) bool {
	return f.Status == models.StatusTerminated || f.TerminationDate != ""
}

func trigger(kind rules.ChangeKind, ev models.PersonEvent, hasEvent bool) string {
	if hasEvent {
		return string(ev.Kind)
	}
	return "rules changed"
}

// actual is what the person will have once their running actions
// complete: their recorded accounts and grants with each running action's
// effect applied, as models.Store.CompleteAction will record it. A running
// action cannot be cancelled (models.Store.ReplanChanges leaves it to
// finish), so planning counts it as done, and the new change's later steps
// of its app wait for it (models.Store.WaitingOn).
func actual(acc *models.Access, running []models.Action) ([]rules.ActualAccount, []rules.ActualGrant) {
	var accounts []rules.ActualAccount
	var grants []rules.ActualGrant
	if acc != nil {
		for _, a := range acc.Accounts {
			accounts = append(accounts, rules.ActualAccount{AppID: a.AppID, Status: a.Status})
		}
		for _, g := range acc.Grants {
			ag := rules.ActualGrant{AppID: g.AppID, EntitlementID: g.EntitlementID, Params: g.Params, FromApp: g.Origin == models.GrantByApp}
			if g.RuleID != nil {
				ag.RuleID = *g.RuleID
			}
			grants = append(grants, ag)
		}
	}
	for _, a := range running {
		accounts, grants = withEffect(accounts, grants, &a)
	}
	return accounts, grants
}

// accountOps are the account statuses the account operations leave.
var accountOps = map[string]string{
	string(rules.OpCreateAccount): rules.AccountActive,
	string(rules.OpDisable):       rules.AccountDisabled,
	string(rules.OpDelete):        rules.AccountDeleted, // its grants count as gone
}

// withEffect applies one action's effect to accounts and grants.
func withEffect(accounts []rules.ActualAccount, grants []rules.ActualGrant, a *models.Action) ([]rules.ActualAccount, []rules.ActualGrant) {
	if st, ok := accountOps[a.Op]; ok {
		accounts = slices.DeleteFunc(accounts, func(x rules.ActualAccount) bool { return x.AppID == a.AppID })
		return append(accounts, rules.ActualAccount{AppID: a.AppID, Status: st}), grants
	}
	if a.EntitlementID == nil {
		return accounts, grants
	}
	grants = slices.DeleteFunc(grants, func(g rules.ActualGrant) bool {
		return g.AppID == a.AppID && g.EntitlementID == *a.EntitlementID
	})
	if a.Op == string(rules.OpGrant) || a.Op == string(rules.OpUpdate) {
		grants = append(grants, rules.ActualGrant{AppID: a.AppID, EntitlementID: *a.EntitlementID, Params: a.Params})
	}
	return accounts, grants
}

func ruleNames(matched []rules.RuleMatch) string {
	names := make([]string, len(matched))
	for i, m := range matched {
		names[i] = m.RuleName
	}
	return strings.Join(names, ", ")
}

func planSteps(steps []rules.Step) []models.PlanStep {
	out := make([]models.PlanStep, len(steps))
	for i, s := range steps {
		out[i] = models.PlanStep{Op: string(s.Op), AppID: s.AppID, EntitlementID: s.EntitlementID,
			Params: s.Params, Previous: s.Previous, Rules: s.Rules, At: s.At, When: s.When, Auto: s.Auto}
	}
	return out
}

// EngineRule converts a stored rule for the engine.
func EngineRule(r *models.Rule) rules.Rule {
	out := rules.Rule{
		ID: r.ID, Name: r.Name, Enabled: r.Enabled, Priority: r.Priority, Match: rules.Match(r.Match),
		Joiner:   rules.JoinerTiming{OffsetDays: r.JoinerOffsetDays, LocalTime: r.JoinerTime},
		Leaver:   rules.LeaverTiming{Mode: rules.LeaverMode(r.LeaverMode), Days: r.LeaverDays, LocalTime: r.LeaverTime},
		Approval: rules.Approval(r.Approval),
	}
	for _, c := range r.Conditions {
		out.Conditions = append(out.Conditions, rules.Condition{Attribute: c.Attribute, Operator: rules.Operator(c.Operator), Value: c.Value})
	}
	for _, g := range r.Grants {
		out.Grants = append(out.Grants, rules.Grant{AppID: g.AppID, EntitlementID: g.EntitlementID, Params: g.Params})
	}
	return out
}

// EnginePerson converts a person's fields for the engine.
func EnginePerson(f *models.PersonFields) rules.Person {
	attrs := f.Attributes()
	delete(attrs, "groups")
	return rules.Person{Attributes: attrs, Groups: f.Groups}
}
