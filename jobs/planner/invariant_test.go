package planner_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// The invariant test (issue 8) drives the planner and the runner's store
// calls together through seeded random sequences of HR snapshots (join,
// move, leave with past and future last days, rehire, leave of absence),
// rule edits (auto vs review, on and off), decisions (approve, reject,
// retry), executions (success, a 4xx, a 5xx or Retry-After that is tried
// again, a crash mid-call and its rescue) and the clock moving on, and
// checks after every step against a plain model of who should hold what:
//
//   - nothing is kept silently: a leaver past their last day holds access
//     only while something still removes it (a live or failed action, a
//     change in review) or an admin rejected its removal;
//   - no revocation starts for someone who still matches the rule that
//     granted the access;
//   - no destructive step starts without an admin's approval, or the
//     granting rule being auto-approve when the change was planned (and
//     leavers always need an admin);
//   - each idempotency key takes effect at most once, and no step is live
//     twice;
//   - no action is scheduled or running without a job;
//   - a rejection is honoured until the person's data or their plan
//     changes.
//
// Dropped columns are the sync's brake's to catch before planning
// (jobs/hrsync: TestBrakeHoldsDroppedColumn), so HR steps here are
// person records, as the sync applies them.
//
// ROSTER_INVARIANT_SEED and ROSTER_INVARIANT_STEPS replay one sequence; a
// failure prints its seed and every step that led to it.
func TestInvariantPlannerAndRunner(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2}
	steps := 500
	if s := os.Getenv("ROSTER_INVARIANT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seeds = []uint64{n}
	}
	if s := os.Getenv("ROSTER_INVARIANT_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		steps = n
	}
	for _, d := range modelstest.Dialects {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", d, seed), func(t *testing.T) {
				t.Parallel()
				db := modelstest.Open(t, d)
				newSim(t, db, models.NewStore(db), seed).run(steps)
			})
		}
	}
}

// sim is one sequence: the system under test and the plain model beside it.
type sim struct {
	t     *testing.T
	db    *models.DB
	f     *fixture
	rng   *rand.Rand
	seed  uint64
	now   time.Time
	log   []string
	dec   *jobs.Decisions
	rules map[string]*models.Rule
	// the model
	hr      map[int64]models.PersonFields // each person's current HR record
	byExt   map[string]int64
	auto    map[int64]bool           // rule id → auto-approve now
	modes   map[int64]map[int64]bool // change id → rule id → auto-approve when it was planned
	seenID  int64                    // the highest change id whose planning modes are recorded
	applied map[string]bool          // idempotency keys that took effect
	// rejected: person id → the outcome an admin rejected, while their
	// data has not changed since.
	rejected map[int64]string
	nextExt  int
	counts   map[string]int // what the sequence did, logged at the end
}

func newSim(t *testing.T, db *models.DB, store *models.Store, seed uint64) *sim {
	s := &sim{t: t, db: db, f: withJobs(t, db, store), rng: rand.New(rand.NewPCG(seed, seed*7919+1)), seed: seed,
		now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), rules: map[string]*models.Rule{}, hr: map[int64]models.PersonFields{},
		byExt: map[string]int64{}, auto: map[int64]bool{}, modes: map[int64]map[int64]bool{},
		applied: map[string]bool{}, rejected: map[int64]string{}, counts: map[string]int{}}
	s.f.plan.Now = func() time.Time { return s.now }
	s.dec = &jobs.Decisions{Store: store, Now: func() time.Time { return s.now }, Replan: s.f.plan.PlanPeople}
	s.f.plan.Approve = (&jobs.Decisions{Store: store, Now: func() time.Time { return s.now }}).AutoApprove
	dept := func(d string) []models.RuleCondition {
		return []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: d}}
	}
	s.rules["eng"] = s.f.rule(models.Rule{Name: "Engineers", Approval: "review", Conditions: dept("Engineering"),
		Grants: []models.RuleGrant{{AppID: s.f.github.ID, EntitlementID: s.f.eng.ID}}})
	s.rules["cards"] = s.f.rule(models.Rule{Name: "Sales cards", Approval: "auto", Conditions: dept("Sales"),
		LeaverMode: "immediately",
		Grants:     []models.RuleGrant{{AppID: s.f.card.ID, EntitlementID: s.f.limit.ID, Params: map[string]string{"spend_limit": "300"}}}})
	for _, r := range s.rules {
		s.auto[r.ID] = r.Approval == "auto"
	}
	return s
}

func (s *sim) run(steps int) {
	for range 4 {
		s.join()
	}
	for i := 0; i < steps; i++ {
		s.step()
		s.recordModes()
		s.check()
	}
	s.t.Logf("%d steps: %v", steps, s.counts)
}

// fail stops the sequence with everything needed to replay it.
func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("invariant broken: %s\nreplay: ROSTER_INVARIANT_SEED=%d ROSTER_INVARIANT_STEPS=%d go test ./jobs/planner/ -run TestInvariantPlannerAndRunner\nsteps:\n  %s",
		fmt.Sprintf(format, args...), s.seed, len(s.log), strings.Join(s.log, "\n  "))
}

func (s *sim) note(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf("[%s] ", s.now.Format("2006-01-02 15:04"))+fmt.Sprintf(format, args...))
}

func (s *sim) must(err error) {
	s.t.Helper()
	if err != nil {
		s.fail("unexpected error: %v", err)
	}
}

func (s *sim) today() string { return s.now.Format(time.DateOnly) }

func (s *sim) step() {
	switch n := s.rng.IntN(100); {
	case n < 8:
		s.join()
	case n < 18:
		s.move()
	case n < 26:
		s.leave()
	case n < 30:
		s.rehire()
	case n < 34:
		s.leaveOfAbsence()
	case n < 40:
		s.editRule()
	case n < 55:
		s.approve()
	case n < 61:
		s.reject()
	case n < 66:
		s.retry()
	case n < 90:
		s.runDue()
	default:
		s.tick()
	}
}

// --- HR ---------------------------------------------------------------

func (s *sim) apply(kind models.EventKind, id int64, p models.PersonFields) {
	run := &models.SyncRun{SourceID: s.f.src.ID, Status: models.SyncRunning}
	s.must(s.f.store.CreateSyncRun(s.f.ctx, run, nil))
	ids, err := s.f.store.ApplySyncRun(s.f.ctx, admin, run, models.SyncRunning, models.SyncCounts{},
		[]models.PersonChange{{Kind: kind, PersonID: id, Fields: p}})
	s.must(err)
	if id == 0 {
		id = ids[0]
		s.byExt[p.ExternalID] = id
	}
	s.hr[id] = p
	delete(s.rejected, id) // new HR data may ask again
	s.must(s.f.plan.PlanPeople(s.f.ctx, []int64{id}))
}

func (s *sim) join() {
	s.nextExt++
	p := person(fmt.Sprintf("E%d", s.nextExt), []string{"Engineering", "Sales", "Research"}[s.rng.IntN(3)], []string{"UTC", "Europe/Berlin", "America/New_York"}[s.rng.IntN(3)])
	p.StartDate = s.now.AddDate(0, 0, s.rng.IntN(20)-5).Format(time.DateOnly)
	if p.StartDate > s.today() {
		p.Status = models.StatusPending
	}
	s.note("join %s (%s, starts %s)", p.ExternalID, p.Department, p.StartDate)
	s.apply(models.EventJoined, 0, p)
}

// pick returns a person whose record satisfies ok, or 0.
func (s *sim) pick(ok func(models.PersonFields) bool) (int64, models.PersonFields) {
	var ids []int64
	for id, p := range s.hr {
		if ok(p) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0, models.PersonFields{}
	}
	slices.Sort(ids)
	id := ids[s.rng.IntN(len(ids))]
	return id, s.hr[id]
}

func staying(p models.PersonFields) bool {
	return p.Status != models.StatusTerminated && p.TerminationDate == ""
}

func (s *sim) move() {
	id, p := s.pick(staying)
	if id == 0 {
		return
	}
	p.Department = []string{"Engineering", "Sales", "Research"}[s.rng.IntN(3)]
	s.note("move %s to %s", p.ExternalID, p.Department)
	s.apply(models.EventChanged, id, p)
}

func (s *sim) leave() {
	id, p := s.pick(staying)
	if id == 0 {
		return
	}
	p.TerminationDate = s.now.AddDate(0, 0, s.rng.IntN(30)-10).Format(time.DateOnly)
	if p.TerminationDate < s.today() {
		p.Status = models.StatusTerminated
	}
	s.note("leave %s, last day %s", p.ExternalID, p.TerminationDate)
	s.apply(models.EventLeft, id, p)
}

func (s *sim) rehire() {
	id, p := s.pick(func(p models.PersonFields) bool { return !staying(p) })
	if id == 0 {
		return
	}
	p.Status, p.TerminationDate, p.StartDate = models.StatusActive, "", s.today()
	s.note("rehire %s", p.ExternalID)
	s.apply(models.EventRehired, id, p)
}

func (s *sim) leaveOfAbsence() {
	id, p := s.pick(staying)
	if id == 0 {
		return
	}
	if p.Status == models.StatusLeave {
		p.Status = models.StatusActive
		s.note("back from leave %s", p.ExternalID)
		s.apply(models.EventChanged, id, p)
		return
	}
	p.Status = models.StatusLeave
	s.note("leave of absence %s", p.ExternalID)
	s.apply(models.EventLeave, id, p)
}

// --- rules ------------------------------------------------------------

func (s *sim) editRule() {
	names := []string{"cards", "eng"}
	r := s.rules[names[s.rng.IntN(2)]]
	fresh, err := s.f.store.RuleByID(s.f.ctx, r.ID)
	s.must(err)
	switch s.rng.IntN(3) {
	case 0:
		fresh.Approval = map[bool]string{true: "review", false: "auto"}[fresh.Approval == "auto"]
	case 1:
		fresh.Enabled = !fresh.Enabled
	default:
		fresh.Priority++ // changes nothing for anyone
	}
	s.note("edit rule %q: approval %s, enabled %t, priority %d", fresh.Name, fresh.Approval, fresh.Enabled, fresh.Priority)
	s.must(s.f.store.SaveRule(s.f.ctx, admin, fresh))
	s.auto[fresh.ID] = fresh.Approval == "auto"
	s.must(s.f.plan.PlanEveryone(s.f.ctx))
}

// --- decisions --------------------------------------------------------

func (s *sim) changes(statuses ...models.ChangeStatus) []models.Change {
	var out []models.Change
	s.must(s.db.Gorm.Where("status IN ?", statuses).Order("id").Find(&out).Error)
	return out
}

func (s *sim) approve() {
	open := s.changes(models.ChangePending)
	if len(open) == 0 {
		return
	}
	c := open[s.rng.IntN(len(open))]
	s.note("approve change %d (%s of person %d)", c.ID, c.Kind, c.PersonID)
	approved, _, err := s.dec.Approve(s.f.ctx, admin, models.Decision{ChangeIDs: []int64{c.ID}})
	s.must(err)
	s.counts["approve"] += len(approved)
}

func (s *sim) reject() {
	open := s.changes(models.ChangePending)
	if len(open) == 0 {
		return
	}
	c := open[s.rng.IntN(len(open))]
	s.note("reject change %d (%s of person %d)", c.ID, c.Kind, c.PersonID)
	rejected, _, err := s.dec.Reject(s.f.ctx, admin, models.Decision{ChangeIDs: []int64{c.ID}})
	s.must(err)
	s.counts["reject"] += len(rejected)
	if len(rejected) == 1 {
		s.rejected[c.PersonID] = s.outcome(&c)
	}
}

func (s *sim) retry() {
	var failed []models.Action
	s.must(s.db.Gorm.Where("status = ?", models.ActionFailed).Order("id").Find(&failed).Error)
	if len(failed) == 0 {
		return
	}
	a := failed[s.rng.IntN(len(failed))]
	s.note("retry action %d (%s)", a.ID, a.Op)
	if err := s.dec.Retry(s.f.ctx, admin, a.ID); err != nil && !isExpectedRetryRefusal(err) {
		s.fail("retry action %d: %v", a.ID, err)
	}
}

func isExpectedRetryRefusal(err error) bool {
	return errors.Is(err, models.ErrReplanned) || errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrNotFound)
}

// --- the runner -------------------------------------------------------

// runDue does what ExecuteActionWorker does for each due action, in the
// store calls it makes: wait for the app's earlier steps, start the
// attempt, then an answer drawn at random.
func (s *sim) runDue() {
	var due []models.Action
	s.must(s.db.Gorm.Where("status IN ? AND run_at <= ?", []models.ActionStatus{models.ActionScheduled, models.ActionRunning}, s.now.UTC()).
		Order("run_at, seq, id").Find(&due).Error)
	s.note("run %d due actions", len(due))
	for _, a := range due {
		if n, err := s.f.store.WaitingOn(s.f.ctx, &a); err != nil {
			s.fail("waiting on: %v", err)
		} else if n > 0 {
			continue
		}
		firstStart := a.Status == models.ActionScheduled
		started, run, err := s.f.store.StartAttempt(s.f.ctx, a.ID, s.now)
		s.must(err)
		if !run {
			continue
		}
		if firstStart {
			s.checkStart(started)
		}
		s.counts["start "+a.Op]++
		switch n := s.rng.IntN(100); {
		case n < 70:
			if s.applied[started.IdempotencyKey] {
				s.fail("action %d: idempotency key %s takes effect twice", a.ID, started.IdempotencyKey)
			}
			s.must(s.f.store.CompleteAction(s.f.ctx, runnerActor, a.ID, models.AttemptResult{ResponseStatus: 200}, s.now))
			s.applied[started.IdempotencyKey] = true
			s.note("  %s %d done", a.Op, a.ID)
		case n < 80:
			s.must(s.f.store.FailAction(s.f.ctx, runnerActor, a.ID, models.AttemptResult{ResponseStatus: 422, Error: "HTTP 422"}, s.now))
			s.note("  %s %d failed (422)", a.Op, a.ID)
		case n < 92:
			s.must(s.f.store.RecordRetry(s.f.ctx, a.ID, models.AttemptResult{ResponseStatus: 503, Error: "HTTP 503"}, s.now))
			s.note("  %s %d answered 503 / Retry-After: tried again", a.Op, a.ID)
		default:
			s.note("  %s %d: the process died mid-call (rescued at the next run)", a.Op, a.ID)
		}
	}
}

var runnerActor = models.Actor{Email: "roster"}

func (s *sim) tick() {
	s.now = s.now.Add(time.Duration(1+s.rng.IntN(60)) * time.Hour)
	s.note("clock moves on")
}

// --- the model's checks ----------------------------------------------

// recordModes notes, for every change planned since the last step, whether
// each rule was auto-approve then.
func (s *sim) recordModes() {
	var fresh []models.Change
	s.must(s.db.Gorm.Where("id > ?", s.seenID).Order("id").Find(&fresh).Error)
	for _, c := range fresh {
		s.modes[c.ID] = maps.Clone(s.auto)
		s.seenID = c.ID
	}
}

// matches is the model's rule: enabled, the department, not leaving.
func (s *sim) matches(ruleID int64, p models.PersonFields) bool {
	r, err := s.f.store.RuleByID(s.f.ctx, ruleID)
	if err != nil {
		return false // deleted rules match nobody
	}
	if !r.Enabled || !staying(p) {
		return false
	}
	return len(r.Conditions) == 0 || r.Conditions[0].Value == p.Department
}

// checkStart runs as a destructive action's first attempt begins.
func (s *sim) checkStart(a *models.Action) {
	if a.Op != "revoke" && a.Op != "disable" && a.Op != "delete" {
		return
	}
	c, err := s.f.store.ChangeByID(s.f.ctx, a.ChangeID)
	s.must(err)
	p := s.hr[c.PersonID]
	granting := s.grantingRules(c.PersonID, a)
	for _, ruleID := range granting {
		if a.Op == "revoke" && s.matches(ruleID, p) {
			s.fail("revoke %d starts for person %d (%s), who still matches rule %d that granted it", a.ID, c.PersonID, p.ExternalID, ruleID)
		}
	}
	if c.DecidedBy == "auto-approve" {
		if c.Kind == models.ChangeLeave {
			s.fail("%s %d of a leaver runs without an admin's approval", a.Op, a.ID)
		}
		for _, ruleID := range granting {
			if !s.modes[c.ID][ruleID] {
				s.fail("%s %d runs unreviewed, but rule %d that granted the access was not auto-approve when change %d was planned", a.Op, a.ID, ruleID, c.ID)
			}
		}
	}
}

// grantingRules are the rules behind the access an action takes away:
// the grant's rule for a revoke, every grant's rule on the account for a
// disable or delete.
func (s *sim) grantingRules(personID int64, a *models.Action) []int64 {
	var rows []struct{ RuleID *int64 }
	q := s.db.Gorm.Table("grants").Select("grants.rule_id").Joins("JOIN accounts ON accounts.id = grants.account_id").
		Where("accounts.person_id = ? AND accounts.app_id = ?", personID, a.AppID)
	if a.Op == "revoke" && a.EntitlementID != nil {
		q = q.Where("grants.entitlement_id = ?", *a.EntitlementID)
	}
	s.must(q.Scan(&rows).Error)
	var out []int64
	for _, r := range rows {
		if r.RuleID != nil {
			out = append(out, *r.RuleID)
		}
	}
	return out
}

// outcome is what a change does, as a rejection is judged by: its kind,
// HR event and steps, a step due already counting as "now".
func (s *sim) outcome(c *models.Change) string {
	ev := int64(0)
	if c.PersonEventID != nil {
		ev = *c.PersonEventID
	}
	parts := []string{string(c.Kind), strconv.FormatInt(ev, 10)}
	for _, st := range c.Plan {
		at := "now"
		if st.At.After(s.now) {
			at = st.At.UTC().Format(time.RFC3339)
		}
		params, _ := json.Marshal(st.Params)
		parts = append(parts, fmt.Sprintf("%s/%d/%d/%s/%s", st.Op, st.AppID, st.EntitlementID, params, at))
	}
	return strings.Join(parts, " ")
}

func (s *sim) check() {
	s.t.Helper()
	var actions []models.Action
	s.must(s.db.Gorm.Order("id").Find(&actions).Error)
	var all []models.Change
	s.must(s.db.Gorm.Order("id").Find(&all).Error)
	byChange := map[int64]models.Change{}
	for _, c := range all {
		byChange[c.ID] = c
	}

	// No step is live twice, and each live action has its job.
	jobsFor := s.liveJobs()
	live := map[string]int64{}
	for _, a := range actions {
		if a.Status != models.ActionScheduled && a.Status != models.ActionRunning {
			continue
		}
		if !jobsFor[a.ID] {
			s.fail("action %d (%s) is %s without a job", a.ID, a.Op, a.Status)
		}
		ent := int64(0)
		if a.EntitlementID != nil {
			ent = *a.EntitlementID
		}
		key := fmt.Sprintf("person %d: %s app %d entitlement %d", byChange[a.ChangeID].PersonID, a.Op, a.AppID, ent)
		if other, dup := live[key]; dup {
			s.fail("%s is live twice: actions %d and %d", key, other, a.ID)
		}
		live[key] = a.ID
	}

	// A rejection is honoured until data or plan change.
	for personID, rejected := range s.rejected {
		for _, c := range all {
			if c.PersonID == personID && c.Status == models.ChangePending && s.outcome(&c) == rejected {
				s.fail("person %d's rejected change is back in review unchanged as change %d", personID, c.ID)
			}
		}
	}

	// Nothing is kept silently from a leaver past their last day.
	var grants []struct {
		PersonID      int64
		AppID         int64
		EntitlementID int64
	}
	s.must(s.db.Gorm.Table("grants").Select("accounts.person_id, accounts.app_id, grants.entitlement_id").
		Joins("JOIN accounts ON accounts.id = grants.account_id").Where("accounts.status = ?", models.AccountActive).Scan(&grants).Error)
	for _, g := range grants {
		p := s.hr[g.PersonID]
		if staying(p) || p.TerminationDate >= s.today() {
			continue
		}
		if !s.removalUnderWay(g.PersonID, g.AppID, g.EntitlementID, actions, all, byChange) {
			s.fail("person %d (%s) left on %s but keeps app %d entitlement %d with nothing to remove it", g.PersonID, p.ExternalID, p.TerminationDate, g.AppID, g.EntitlementID)
		}
	}
}

// removalUnderWay: an action that takes the grant away is live or failed
// (shown to admins), or a change in review or rejected by an admin asks
// for it.
func (s *sim) removalUnderWay(personID, appID, entID int64, actions []models.Action, all []models.Change, byChange map[int64]models.Change) bool {
	takes := func(op string, app, ent int64) bool {
		return app == appID && (op == "revoke" && ent == entID || op == "disable" || op == "delete")
	}
	for _, a := range actions {
		ent := int64(0)
		if a.EntitlementID != nil {
			ent = *a.EntitlementID
		}
		if byChange[a.ChangeID].PersonID == personID && takes(a.Op, a.AppID, ent) &&
			(a.Status == models.ActionScheduled || a.Status == models.ActionRunning || a.Status == models.ActionFailed) {
			return true
		}
	}
	for _, c := range all {
		if c.PersonID != personID || (c.Status != models.ChangePending && c.Status != models.ChangeRejected) {
			continue
		}
		for _, st := range c.Plan {
			if takes(st.Op, st.AppID, st.EntitlementID) {
				return true
			}
		}
	}
	return false
}

// liveJobs are the actions with an execute_action job not yet finished.
func (s *sim) liveJobs() map[int64]bool {
	args := "args"
	if s.db.Dialect == models.SQLite {
		args = "json(args)" // River keeps SQLite's binary JSON
	}
	rows, err := s.db.SQL.Query("SELECT " + args + " FROM river_job WHERE kind = 'execute_action' AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending')")
	s.must(err)
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var raw []byte
		s.must(rows.Scan(&raw))
		var args jobs.ExecuteActionArgs
		s.must(json.Unmarshal(raw, &args))
		out[args.ActionID] = true
	}
	s.must(rows.Err())
	return out
}
