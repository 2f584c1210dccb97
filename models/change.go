package models

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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
}

// Change is one row of Team Updates: what should happen to a person's
// access, when, and why.
type Change struct {
	ID             int64
	PersonID       int64
	Kind           ChangeKind
	Status         ChangeStatus
	Plan           []PlanStep `gorm:"serializer:json"`
	Why            string     // JSON of rules.Why
	Summary        string     // one line of the why, for lists
	RuleNames      string     // the matched rules, comma-separated, for lists
	EffectiveAt    time.Time
	AutoApproved   bool
	DecidedBy      string
	DecidedAt      *time.Time
	Comment        string
	SupersededByID *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName implements gorm's Tabler.
func (Change) TableName() string { return "changes" }

// sameAs reports whether two changes would do the same thing at the same
// time for the same reasons, so re-planning need not churn the queue.
func (c *Change) sameAs(o *Change) bool {
	return c.Kind == o.Kind && c.EffectiveAt.Equal(o.EffectiveAt) && c.Why == o.Why && reflect.DeepEqual(c.Plan, o.Plan)
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

// ReplaceOpenChanges does ReplaceOpenChange for many people in one
// transaction and a handful of statements: the planner's batch path.
func (s *Store) ReplaceOpenChanges(ctx context.Context, next map[int64]*Change) (map[int64]*Change, error) {
	result := make(map[int64]*Change, len(next))
	ids := make([]int64, 0, len(next))
	for id := range next {
		ids = append(ids, id)
	}
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
			if hasOpen && n != nil && o.sameAs(n) {
				kept := o
				result[id] = &kept
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
			if err := db.Model(&Change{}).Where("id IN ?", chunk).
				Updates(map[string]any{"status": ChangeSuperseded, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("store: supersede changes: %w", translate(err))
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
	return whereChangePeople(q, f.SourceID, f.Department, f.Search)
}

// whereChangePeople narrows a query on changes to people of a source, a
// department, or matching a search on name, email or employee ID. It
// joins people only when a filter needs them.
func whereChangePeople(q *gorm.DB, sourceID int64, department, search string) *gorm.DB {
	if sourceID == 0 && department == "" && search == "" {
		return q
	}
	q = q.Joins("JOIN people ON people.id = changes.person_id")
	if sourceID != 0 {
		q = q.Where("people.source_id = ?", sourceID)
	}
	if department != "" {
		q = q.Where("people.department = ?", department)
	}
	if search != "" {
		like := "%" + strings.ToLower(strings.TrimSpace(search)) + "%"
		q = q.Where("lower(people.first_name || ' ' || people.last_name) LIKE ? OR lower(people.work_email) LIKE ? OR lower(people.external_id) LIKE ?", like, like, like)
	}
	return q
}

// WhyJSON marshals an explanation for storing on a change.
func WhyJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
