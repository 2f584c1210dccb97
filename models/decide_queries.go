package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// DecidedFilter selects decided changes for the Scheduled, Failed and
// History tabs of Team Updates: their statuses, and the same people
// filters as the queues. Zero fields match all.
type DecidedFilter struct {
	Statuses   []ChangeStatus
	SourceID   int64
	Department string
	Search     string
	// Latest lists the most recently changed first (History, Failed)
	// instead of the soonest effective first (Scheduled).
	Latest bool
	Offset int
	Limit  int
}

// ListDecided returns one page of changes in the filter's statuses (see
// inStatuses for ChangeFailed), with their people, and the total. It makes
// three queries whatever the page holds; ActionsOfChanges loads the page's
// actions in one more.
func (s *Store) ListDecided(ctx context.Context, f DecidedFilter) ([]ChangeRow, int64, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := s.decidedQuery(ctx, f)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count decided changes: %w", translate(err))
	}
	order := "changes.effective_at, changes.id"
	if f.Latest {
		order = "changes.updated_at DESC, changes.id DESC"
	}
	var changes []Change
	if err := q.Select("changes.*").Order(order).Offset(f.Offset).Limit(f.Limit).Find(&changes).Error; err != nil {
		return nil, 0, fmt.Errorf("store: list decided changes: %w", translate(err))
	}
	rows, err := s.withPeople(ctx, changes)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// DecidedPage returns the page p asks for of the changes in the filter's
// statuses (its Offset and Limit are ignored), by keyset in the tab's
// order as PendingPage reads a queue, and the total: two queries and one
// for the page's people.
func (s *Store) DecidedPage(ctx context.Context, f DecidedFilter, p PageRequest) (PendingPage, int64, error) {
	q := s.decidedQuery(ctx, f)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return PendingPage{}, 0, fmt.Errorf("store: count decided changes: %w", translate(err))
	}
	order := soonestFirst
	if f.Latest {
		order = latestFirst
	}
	page, err := s.keysetPage(ctx, s.decidedQuery(ctx, f), order, p, total)
	if err != nil {
		return PendingPage{}, 0, err
	}
	return page, total, nil
}

// decidedQuery selects the filter's decided changes, naming the index
// that serves them on SQLite (decidedIndex).
func (s *Store) decidedQuery(ctx context.Context, f DecidedFilter) *gorm.DB {
	q := inStatuses(s.decidedChanges(ctx, f), f.Statuses)
	if idx := s.decidedIndex(f); idx != "" {
		q = q.Table("changes INDEXED BY " + idx)
	}
	return q
}

// decidedIndex names, on SQLite, the partial index that holds a decided
// tab's rows in its order (migration 00015), or "". SQLite's planner
// prefers changes_queue_idx's status range and a sort, 100 times slower
// here (26 ms against 0.2 ms for History's first page at 10,000 decided
// changes), so the page names the index; INDEXED BY fails loudly, not
// slowly, if the query stops matching it.
func (s *Store) decidedIndex(f DecidedFilter) string {
	if s.dialect != SQLite {
		return ""
	}
	switch {
	case !f.Latest && slices.Equal(f.Statuses, []ChangeStatus{ChangeApproved, ChangeScheduled, ChangeRunning}):
		return "changes_scheduled_idx"
	case f.Latest && slices.Equal(f.Statuses, []ChangeStatus{ChangeDone, ChangeRejected, ChangeSuperseded}):
		return "changes_history_idx"
	}
	return ""
}

// DecidedCounts returns how many changes are in each status other than
// pending, under the filter's people filters (its Statuses are ignored).
// ChangeFailed also counts the superseded changes with a failed action,
// as ListDecided lists them.
func (s *Store) DecidedCounts(ctx context.Context, f DecidedFilter) (map[ChangeStatus]int64, error) {
	type row struct {
		Status ChangeStatus
		N      int64
	}
	var rows []row
	err := s.decidedChanges(ctx, f).Where("changes.status <> ?", ChangePending).
		Select("changes.status AS status, count(*) AS n").Group("changes.status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: decided counts: %w", translate(err))
	}
	out := make(map[ChangeStatus]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	var failing int64
	if err := s.decidedChanges(ctx, f).Where(supersededFailing, ChangeSuperseded, ActionFailed).Count(&failing).Error; err != nil {
		return nil, fmt.Errorf("store: decided counts: %w", translate(err))
	}
	out[ChangeFailed] += failing // and in ChangeSuperseded, as History lists them too
	return out, nil
}

// supersededFailing matches the superseded changes with a failed action:
// one a re-plan left running that failed since (FailAction leaves the
// change superseded). The Failed tab lists them with the failed changes,
// so the action's Retry is at hand. Failed actions are few, so the
// subquery is cheap.
const supersededFailing = "changes.status = ? AND changes.id IN (SELECT actions.change_id FROM actions WHERE actions.status = ?)"

// inStatuses keeps the changes in statuses; ChangeFailed includes the
// superseded changes with a failed action (supersededFailing).
func inStatuses(q *gorm.DB, statuses []ChangeStatus) *gorm.DB {
	if !slices.Contains(statuses, ChangeFailed) {
		return q.Where(statusesWhere(statuses))
	}
	return q.Where("("+statusesWhere(statuses)+" OR ("+supersededFailing+"))", ChangeSuperseded, ActionFailed)
}

// statusesWhere is "changes.status IN ('done', 'rejected', 'superseded')"
// with the statuses written out, in the order given, as queueWhere writes
// the queues' and for the same reason: the decided tabs' partial indexes
// (changes_scheduled_idx, changes_history_idx) serve only a query that
// repeats their terms. A status this package does not define matches
// nothing rather than reaching the SQL.
func statusesWhere(statuses []ChangeStatus) string {
	quoted := make([]string, 0, len(statuses))
	for _, st := range statuses {
		if !slices.Contains(allChangeStatuses, st) {
			continue
		}
		quoted = append(quoted, "'"+string(st)+"'")
	}
	if len(quoted) == 0 {
		return "1 = 0"
	}
	return "changes.status IN (" + strings.Join(quoted, ", ") + ")"
}

// allChangeStatuses are the statuses a change can be in.
var allChangeStatuses = []ChangeStatus{ChangePending, ChangeApproved, ChangeRejected, ChangeScheduled, ChangeRunning,
	ChangeDone, ChangeFailed, ChangeSuperseded}

// decidedChanges applies the people filters, as the queues do.
func (s *Store) decidedChanges(ctx context.Context, f DecidedFilter) *gorm.DB {
	return s.whereChangePeople(s.db.WithContext(ctx).Model(&Change{}), changePeople{sourceID: f.SourceID, department: f.Department, search: f.Search})
}

// ScheduledChangeOf returns a person's latest approved change still to
// run (approved, scheduled or running), such as a leaver's waiting for
// their last day, or ErrNotFound.
func (s *Store) ScheduledChangeOf(ctx context.Context, personID int64) (*Change, error) {
	var c Change
	err := s.db.WithContext(ctx).Where("person_id = ? AND status IN ?", personID,
		[]ChangeStatus{ChangeApproved, ChangeScheduled, ChangeRunning}).Order("id DESC").First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("store: scheduled change of person %d: %w", personID, translate(err))
	}
	return &c, nil
}

// ActionsOfChanges returns the actions of many changes in one query, by
// change, each in plan order.
func (s *Store) ActionsOfChanges(ctx context.Context, changeIDs []int64) (map[int64][]Action, error) {
	out := make(map[int64][]Action, len(changeIDs))
	for _, chunk := range chunks(changeIDs, 1000) {
		var actions []Action
		if err := s.db.WithContext(ctx).Where("change_id IN ?", chunk).Order("change_id, seq, id").Find(&actions).Error; err != nil {
			return nil, fmt.Errorf("store: actions of changes: %w", translate(err))
		}
		for _, a := range actions {
			out[a.ChangeID] = append(out[a.ChangeID], a)
		}
	}
	return out, nil
}

// Selection sums up a set of pending changes: how many, the newest id and
// the sum of the ids. Deciding "all that match" compares the selection the
// admin saw with the one at decision time, so a queue that changed in
// between (a change added, decided or replaced, even one for another) is
// noticed and nothing is decided.
type Selection struct {
	Count int64
	MaxID int64
	IDSum int64
}

// SelectionOf sums up ids, as PendingSelection does in the database.
func SelectionOf(ids []int64) Selection {
	var sel Selection
	for _, id := range ids {
		sel.Count++
		sel.MaxID = max(sel.MaxID, id)
		sel.IDSum += id
	}
	return sel
}

// PendingSelection sums up the pending changes of the filter's queue under
// its people filters, in one query (Offset and Limit are ignored).
func (s *Store) PendingSelection(ctx context.Context, f ChangeFilter) (Selection, error) {
	var sel Selection
	err := s.pendingChanges(ctx, f).Where("changes.kind IN ?", f.Queue.kinds()).
		Select("count(*) AS count, COALESCE(max(changes.id), 0) AS max_id, CAST(COALESCE(sum(changes.id), 0) AS BIGINT) AS id_sum").
		Scan(&sel).Error
	if err != nil {
		return Selection{}, fmt.Errorf("store: pending selection: %w", translate(err))
	}
	return sel, nil
}

// PendingChangeIDs returns the ids of the pending changes of the filter's
// queue under its people filters, in id order, at most limit of them (the
// filter's Offset and Limit are ignored). One query, with no list of ids
// bound, so it holds for any number of changes on either database.
func (s *Store) PendingChangeIDs(ctx context.Context, f ChangeFilter, limit int) ([]int64, error) {
	var ids []int64
	err := s.pendingChanges(ctx, f).Where("changes.kind IN ?", f.Queue.kinds()).
		Order("changes.id").Limit(limit).Pluck("changes.id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: pending change ids: %w", translate(err))
	}
	return ids, nil
}
