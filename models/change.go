package models

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ChangeKind is what a change does for a person.
type ChangeKind string

// Change kinds.
const (
	ChangeJoin   ChangeKind = "join"
	ChangeMove   ChangeKind = "move"
	ChangeLeave  ChangeKind = "leave"
	ChangeRehire ChangeKind = "rehire"
)

// Reasons of a change (Change.Reason), as Team Updates labels them.
const (
	ReasonMissingAccess = "missing access"
	ReasonOutsideChange = "changed outside Roster"
)

// ChangeStatus is where a change is in its life.
type ChangeStatus string

// Change statuses. Pending changes are the Team Updates queue; there is at
// most one per person.
const (
	ChangePending    ChangeStatus = "pending"
	ChangeApproved   ChangeStatus = "approved"
	ChangeRejected   ChangeStatus = "rejected"
	ChangeScheduled  ChangeStatus = "scheduled"
	ChangeRunning    ChangeStatus = "running"
	ChangeDone       ChangeStatus = "done"
	ChangeFailed     ChangeStatus = "failed"
	ChangeSuperseded ChangeStatus = "superseded"
)

// PlanStep is one step of a change's plan, as stored (see rules.Step).
type PlanStep struct {
	Op            string            `json:"op"`
	AppID         int64             `json:"app_id"`
	EntitlementID int64             `json:"entitlement_id,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
	Previous      map[string]string `json:"previous,omitempty"`
	Rules         []int64           `json:"rules,omitempty"`
	At            time.Time         `json:"at,omitzero"`    // when it runs, UTC; zero: on approval
	When          string            `json:"when,omitempty"` // why then, in words; "" in plans made before steps had their own time
	Auto          bool              `json:"auto,omitempty"` // may run without review
}

// sameEffect reports whether two steps do the same thing at the same
// time, as seen at now: the rules behind them and the words for their
// timing may differ, and every step already due (on approval, or at a
// moment that has passed) runs at once, so all such times are the same.
func (p PlanStep) sameEffect(o PlanStep, now time.Time) bool {
	return p.Op == o.Op && p.AppID == o.AppID && p.EntitlementID == o.EntitlementID && sameDue(p.At, o.At, now) &&
		maps.Equal(p.Params, o.Params) && maps.Equal(p.Previous, o.Previous)
}

func sameDue(a, b, now time.Time) bool {
	aDue, bDue := !a.After(now), !b.After(now)
	return (aDue && bDue) || a.Equal(b)
}

// sameEffects compares plans step by step with sameEffect.
func sameEffects(a, b []PlanStep, now time.Time) bool {
	return slices.EqualFunc(a, b, func(x, y PlanStep) bool { return x.sameEffect(y, now) })
}

// Due is when the step is planned to run, UTC: its own time (zero: on
// approval), or for plans stored before steps had their own time, its
// change's effective time. Unlike RunAt it may be in the past.
func (p PlanStep) Due(effective time.Time) time.Time {
	if p.When == "" && p.At.IsZero() {
		return effective.UTC()
	}
	return p.At.UTC()
}

// RunAt is when the step's action is due, given its change's effective
// time (for plans stored before steps had their own time) and now: never
// before now.
func (p PlanStep) RunAt(effective, now time.Time) time.Time {
	at := p.Due(effective)
	if at.Before(now) {
		return now.UTC()
	}
	return at.UTC()
}

// Change is one row of Team Updates: what should happen to a person's
// access, when, and why.
type Change struct {
	ID           int64
	PersonID     int64
	Kind         ChangeKind
	Status       ChangeStatus
	Plan         []PlanStep `gorm:"serializer:json"`
	Why          string     // JSON of rules.Why
	Summary      string     // one line of the why, for lists
	RuleNames    string     // the matched rules, comma-separated, for lists
	EffectiveAt  time.Time
	AutoApproved bool
	// Reason says why a change exists where its kind does not: a
	// baseline person's access they lack under the rules
	// (ReasonMissingAccess), or putting back what was changed outside
	// Roster (ReasonOutsideChange). Empty for ordinary changes.
	Reason         string
	PersonEventID  *int64    // the HR event it was planned from, if any
	PlannedAt      time.Time `gorm:"-"` // when the planner made it (not stored); zero: now
	DecidedBy      string
	DecidedAt      *time.Time
	Comment        string
	SupersededByID *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName implements gorm's Tabler.
func (Change) TableName() string { return "changes" }

// sameOutcome reports whether two changes do the same thing at the same
// times from the same HR data: the same kind, step effects (sameEffect)
// and HR event. Rule names, priorities and the words of the explanation
// may differ, and a step due on approval has no time, so re-planning a
// person whose outcome did not change never churns the queue or brings a
// rejected change back.
//
// o is the new plan: its PlannedAt (or else the current time) is the now
// that steps are judged due at.
func (c *Change) sameOutcome(o *Change) bool {
	if c.Kind != o.Kind || !sameEffects(c.Plan, o.Plan, o.planned()) || !sameEvent(c.PersonEventID, o.PersonEventID) {
		return false
	}
	return timedBySteps(c.Plan) || c.EffectiveAt.Equal(o.EffectiveAt)
}

// timedBySteps reports whether every step of a plan carries its own time;
// plans without steps, or stored before steps had times, are compared by
// the change's effective time as well.
func timedBySteps(plan []PlanStep) bool {
	for _, st := range plan {
		if st.When == "" {
			return false
		}
	}
	return len(plan) > 0
}

// planned is the moment a new plan was made.
func (c *Change) planned() time.Time {
	if c.PlannedAt.IsZero() {
		return time.Now()
	}
	return c.PlannedAt
}

func sameEvent(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// refreshed reports whether a kept change's stored explanation differs
// from a new plan with the same outcome, which then replaces it in place.
func (c *Change) refreshed(n *Change) bool {
	return c.Why != n.Why || c.Summary != n.Summary || c.RuleNames != n.RuleNames || c.Reason != n.Reason ||
		c.AutoApproved != n.AutoApproved || !reflect.DeepEqual(c.Plan, n.Plan)
}

// ReplaceOpenChange makes next the person's open change: an undecided
// change of theirs is superseded by it. A nil next (nothing to do any
// more) supersedes the open change without a successor. An identical open
// change is kept as it is. It returns the open change, or nil.
func (s *Store) ReplaceOpenChange(ctx context.Context, personID int64, next *Change) (*Change, error) {
	open, err := s.ReplaceOpenChanges(ctx, map[int64]*Change{personID: next})
	if err != nil {
		return nil, err
	}
	return open[personID], nil
}

// ErrReplanRace is returned when a change a re-plan was about to replace
// was decided meanwhile (another replica approved or rejected it between
// the re-plan's read and its write). Nothing is written; the caller plans
// the batch again, which then sees the decision.
var ErrReplanRace = fmt.Errorf("%w: a change was decided while it was being re-planned", ErrConflict)

// ReplaceOpenChanges does ReplaceOpenChange for many people in one
// transaction and a handful of statements: the planner's batch path. An
// open change with the same outcome as next (sameOutcome) stays, its
// explanation brought up to date in place; only a different outcome
// supersedes it. Superseding is guarded by status, so a change approved or
// rejected meanwhile is never superseded behind the decider's back: the
// call fails with ErrReplanRace and writes nothing.
func (s *Store) ReplaceOpenChanges(ctx context.Context, next map[int64]*Change) (map[int64]*Change, error) {
	result := make(map[int64]*Change, len(next))
	ids := make([]int64, 0, len(next))
	for id := range next {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		open := map[int64]Change{}
		for _, chunk := range chunks(ids, 1000) {
			var rows []Change
			if err := db.Where("person_id IN ? AND status = ?", chunk, ChangePending).Find(&rows).Error; err != nil {
				return fmt.Errorf("store: open changes: %w", translate(err))
			}
			for _, c := range rows {
				open[c.PersonID] = c
			}
		}
		now := time.Now().UTC()
		var supersede []int64
		var inserts []*Change
		for _, id := range ids {
			o, hasOpen := open[id]
			n := next[id]
			if hasOpen && n != nil && o.sameOutcome(n) {
				kept, err := tx.refresh(ctx, o, n, now)
				if err != nil {
					return err
				}
				result[id] = kept
				continue
			}
			if hasOpen {
				supersede = append(supersede, o.ID)
			}
			if n != nil {
				n.ID, n.PersonID, n.Status, n.CreatedAt, n.UpdatedAt = 0, id, ChangePending, now, now
				if n.Plan == nil {
					n.Plan = []PlanStep{}
				}
				inserts = append(inserts, n)
				result[id] = n
			}
		}
		for _, chunk := range chunks(supersede, 1000) {
			res := db.Model(&Change{}).Where("id IN ? AND status = ?", chunk, ChangePending).
				Updates(map[string]any{"status": ChangeSuperseded, "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("store: supersede changes: %w", translate(res.Error))
			}
			if res.RowsAffected != int64(len(chunk)) {
				return ErrReplanRace
			}
		}
		if len(inserts) > 0 {
			if err := db.CreateInBatches(inserts, tx.insertBatch()).Error; err != nil {
				return fmt.Errorf("store: create changes: %w", translate(err))
			}
		}
		for _, n := range inserts {
			if o, ok := open[n.PersonID]; ok {
				if err := db.Model(&Change{}).Where("id = ?", o.ID).Update("superseded_by_id", n.ID).Error; err != nil {
					return fmt.Errorf("store: link superseded change %d: %w", o.ID, translate(err))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// refresh keeps an open change whose outcome a re-plan repeats, writing
// the new plan's explanation, rule names and approval mode over it (a
// rule renamed, a priority changed, a rule switched to auto-approve) so
// the queue shows today's reasons without a new row.
func (s *Store) refresh(ctx context.Context, o Change, n *Change, now time.Time) (*Change, error) {
	if !o.refreshed(n) {
		return &o, nil
	}
	plan := n.Plan
	if plan == nil {
		plan = []PlanStep{}
	}
	res := s.db.WithContext(ctx).Model(&Change{}).Where("id = ? AND status = ?", o.ID, ChangePending).Updates(map[string]any{
		"plan": PlanJSON(plan), "why": n.Why, "summary": n.Summary, "rule_names": n.RuleNames,
		"auto_approved": n.AutoApproved, "reason": n.Reason, "updated_at": now})
	if res.Error != nil {
		return nil, fmt.Errorf("store: refresh change %d: %w", o.ID, translate(res.Error))
	}
	if res.RowsAffected != 1 {
		return nil, ErrReplanRace
	}
	o.Plan, o.Why, o.Summary, o.RuleNames, o.AutoApproved, o.Reason, o.UpdatedAt = plan, n.Why, n.Summary, n.RuleNames, n.AutoApproved, n.Reason, now
	return &o, nil
}

// PlanJSON is a plan as its column stores it.
func PlanJSON(plan []PlanStep) string {
	b, err := json.Marshal(plan)
	if err != nil {
		panic(err) // plain structs of strings, numbers and times
	}
	return string(b)
}

// ChangeByID returns one change.
func (s *Store) ChangeByID(ctx context.Context, id int64) (*Change, error) {
	var c Change
	if err := s.db.WithContext(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("store: change %d: %w", id, translate(err))
	}
	return &c, nil
}

// OpenChangeOf returns a person's open change, or ErrNotFound.
func (s *Store) OpenChangeOf(ctx context.Context, personID int64) (*Change, error) {
	var c Change
	err := s.db.WithContext(ctx).Where("person_id = ? AND status = ?", personID, ChangePending).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("store: open change of person %d: %w", personID, translate(err))
	}
	return &c, nil
}

// Queue is a Team Updates tab.
type Queue string

// Team Updates tabs.
const (
	QueueInvite    Queue = "invite"    // joiners and rehires
	QueueUpdate    Queue = "update"    // movers
	QueueTerminate Queue = "terminate" // leavers
)

// Queues lists the tabs in order.
var Queues = []Queue{QueueInvite, QueueUpdate, QueueTerminate}

func (q Queue) kinds() []ChangeKind {
	switch q {
	case QueueInvite:
		return []ChangeKind{ChangeJoin, ChangeRehire}
	case QueueUpdate:
		return []ChangeKind{ChangeMove}
	case QueueTerminate:
		return []ChangeKind{ChangeLeave}
	}
	return nil
}

// ChangeFilter selects Team Updates rows. Zero fields match all.
type ChangeFilter struct {
	Queue      Queue
	SourceID   int64
	Department string
	Search     string
	Offset     int
	Limit      int
}

// ChangeRow is a change with the person it is about.
type ChangeRow struct {
	Change
	Person Person `gorm:"-"`
}

// ListChanges returns one page of pending changes of a queue, soonest
// first, with their people, and the total.
func (s *Store) ListChanges(ctx context.Context, f ChangeFilter) ([]ChangeRow, int64, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := s.pendingChanges(ctx, f).Where("changes.kind IN ?", f.Queue.kinds())
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count changes: %w", translate(err))
	}
	var changes []Change
	if err := q.Select("changes.*").Order("changes.effective_at, changes.id").Offset(f.Offset).Limit(f.Limit).Find(&changes).Error; err != nil {
		return nil, 0, fmt.Errorf("store: list changes: %w", translate(err))
	}
	rows, err := s.withPeople(ctx, changes)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// withPeople pairs a page of changes with their people, in one query.
func (s *Store) withPeople(ctx context.Context, changes []Change) ([]ChangeRow, error) {
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.PersonID
	}
	people, err := s.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	rows := make([]ChangeRow, len(changes))
	for i, c := range changes {
		rows[i] = ChangeRow{Change: c, Person: byID[c.PersonID]}
	}
	return rows, nil
}

// QueueCounts returns how many pending changes each tab holds under the
// filter's source, department and search.
func (s *Store) QueueCounts(ctx context.Context, f ChangeFilter) (map[Queue]int64, error) {
	type row struct {
		Kind ChangeKind
		N    int64
	}
	var rows []row
	if err := s.pendingChanges(ctx, f).Select("changes.kind AS kind, count(*) AS n").Group("changes.kind").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: queue counts: %w", translate(err))
	}
	out := map[Queue]int64{}
	for _, r := range rows {
		for _, q := range Queues {
			for _, k := range q.kinds() {
				if k == r.Kind {
					out[q] += r.N
				}
			}
		}
	}
	return out, nil
}

func (s *Store) pendingChanges(ctx context.Context, f ChangeFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Change{}).Where("changes.status = ?", ChangePending)
	return s.whereChangePeople(q, peopleOf(f))
}

// changePeople are Team Updates' people filters: a source, a department,
// a search on name, email or employee ID. Zero fields match all.
type changePeople struct {
	sourceID   int64
	department string
	search     string
	// matched is, once resolved (see resolvedPeople), the people the
	// filters match as a JSON array of ids.
	matched *string
}

func (p changePeople) none() bool { return p.sourceID == 0 && p.department == "" && p.search == "" }

// peopleOf is a ChangeFilter's people filters.
func peopleOf(f ChangeFilter) changePeople {
	return changePeople{sourceID: f.SourceID, department: f.Department, search: f.Search}
}

// whereChangePeople narrows a query on changes to the people p matches.
// The people are a subquery (changes.person_id IN (SELECT id FROM people
// ...)) rather than a join: people.id is unique, so the rows are the same,
// and the database reads the people once through their own indexes
// (people_department_idx, people_search_idx) and walks the changes in an
// index's order instead of sorting a join.
//
// On SQLite, person_id is written +changes.person_id so that the planner
// walks changes_queue_idx or changes_invite_idx (which hold person_id) in
// their order and tests each against the people, instead of looking up
// each person's changes and sorting them; and LIKE drops lower(), since
// SQLite's LIKE already ignores case where its lower() changes anything
// (ASCII), so the rows are the same and the scan half as costly.
func (s *Store) whereChangePeople(q *gorm.DB, p changePeople) *gorm.DB {
	if p.none() {
		return q
	}
	column := "changes.person_id"
	if s.dialect == SQLite {
		column = "+changes.person_id"
	}
	if p.matched != nil {
		return q.Where(column+" IN (SELECT value FROM json_each(?))", *p.matched)
	}
	conds, args := s.peopleConds(p)
	return q.Where(column+" IN (SELECT people.id FROM people WHERE "+strings.Join(conds, " AND ")+")", args...)
}

// peopleConds are the conditions on people of p.
func (s *Store) peopleConds(p changePeople) ([]string, []any) {
	var conds []string
	var args []any
	if p.sourceID != 0 {
		conds, args = append(conds, "people.source_id = ?"), append(args, p.sourceID)
	}
	if p.department != "" {
		conds, args = append(conds, "people.department = ?"), append(args, p.department)
	}
	if p.search != "" {
		cond, condArgs := s.searchCond("people", p.search)
		conds, args = append(conds, cond), append(args, condArgs...)
	}
	return conds, args
}

// resolvedPeople returns p with the people it matches read once, when
// that saves reading them for every statement of a page: a search on
// SQLite, which has no index for it and would scan people each time.
func (s *Store) resolvedPeople(ctx context.Context, p changePeople) (changePeople, error) {
	if s.dialect != SQLite || p.search == "" {
		return p, nil
	}
	conds, args := s.peopleConds(p)
	var ids string
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(json_group_array(people.id), '[]') FROM people WHERE "+
		strings.Join(conds, " AND "), args...).Row().Scan(&ids)
	if err != nil {
		return p, fmt.Errorf("store: people matching %q: %w", p.search, translate(err))
	}
	p.matched = &ids
	return p, nil
}

// WhyJSON marshals an explanation for storing on a change.
func WhyJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
