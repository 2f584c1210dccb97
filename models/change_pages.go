package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Team Updates at 50,000 pending changes (issue 10): a queue tab is read
// with ReadQueue, one grouped count (ChangeCounts), one page by keyset
// (PendingPage) and the queue's selection (PendingSummary), instead of a
// count, an OFFSET page, the queue counts and the selection, each joining
// people.

// queueWhere is a queue's pending changes, with the status and kinds
// written out: a partial index (changes_invite_idx) serves a query only
// when its WHERE repeats the index's terms, which bound parameters do not
// (SQLite decides when it prepares, PostgreSQL's cached plans are generic).
// The values are constants of this package, never input.
func queueWhere(q Queue) string {
	kinds := q.kinds()
	if len(kinds) == 0 {
		return "1 = 0"
	}
	quoted := make([]string, len(kinds))
	for i, k := range kinds {
		quoted[i] = "'" + string(k) + "'"
	}
	if len(kinds) == 1 {
		return "changes.status = 'pending' AND changes.kind = " + quoted[0]
	}
	return "changes.status = 'pending' AND changes.kind IN (" + strings.Join(quoted, ", ") + ")"
}

// PageCursor is a row's place in a queue's order: its effective time and
// id. The zero cursor is no cursor.
type PageCursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether the cursor is unset.
func (c PageCursor) IsZero() bool { return c.ID == 0 }

// String is the cursor as a query parameter: "2030-04-01T07:00:00Z~123".
// The time keeps its zone and every digit, so that it compares equal to
// the stored value on SQLite, where times are text.
func (c PageCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return c.At.Format(time.RFC3339Nano) + "~" + strconv.FormatInt(c.ID, 10)
}

// ParsePageCursor reads String's form; anything else is no cursor.
func ParsePageCursor(s string) (PageCursor, bool) {
	at, id, ok := strings.Cut(s, "~")
	if !ok {
		return PageCursor{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return PageCursor{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return PageCursor{}, false
	}
	return PageCursor{At: t, ID: n}, true
}

// PageRequest says which page of a queue to read: the one after a cursor,
// the one before a cursor, the last, or (without either, for old links)
// the one at an offset. Offset is also where an After or Before page is
// believed to start, for "Showing 51–100".
type PageRequest struct {
	After  PageCursor
	Before PageCursor
	Last   bool
	Offset int
	Limit  int
}

// PendingPage is one page of a Team Updates tab, in the tab's order, with
// its people.
type PendingPage struct {
	Rows []ChangeRow
	// Offset is how many rows come before the first, as far as is known:
	// exact from the start and the end, carried by the links in between.
	Offset  int
	HasPrev bool
	HasNext bool
	first   PageCursor
	last    PageCursor
}

// FirstCursor is the first row's cursor, for the previous page.
func (p PendingPage) FirstCursor() PageCursor { return p.first }

// LastCursor is the last row's cursor, for the next page.
func (p PendingPage) LastCursor() PageCursor { return p.last }

// keysetOrder is a tab's order: a time column and id, ascending or not.
type keysetOrder struct {
	column string // "changes.effective_at" or "changes.updated_at"
	desc   bool
}

// soonestFirst is the queues' and Scheduled's order; latestFirst is
// History's and Failed's.
var (
	soonestFirst = keysetOrder{column: "changes.effective_at"}
	latestFirst  = keysetOrder{column: "changes.updated_at", desc: true}
)

// cursor is c's place in the order.
func (o keysetOrder) cursor(c *Change) PageCursor {
	if o.column == latestFirst.column {
		return PageCursor{At: c.UpdatedAt, ID: c.ID}
	}
	return PageCursor{At: c.EffectiveAt, ID: c.ID}
}

// forward and backward are the ORDER BY clauses along the order and
// against it; after and before compare a row with a cursor.
func (o keysetOrder) forward() string  { return o.orderBy(o.desc) }
func (o keysetOrder) backward() string { return o.orderBy(!o.desc) }
func (o keysetOrder) after() string    { return o.compare(o.desc) }
func (o keysetOrder) before() string   { return o.compare(!o.desc) }

func (o keysetOrder) orderBy(desc bool) string {
	if desc {
		return o.column + " DESC, changes.id DESC"
	}
	return o.column + ", changes.id"
}

func (o keysetOrder) compare(less bool) string {
	if less {
		return "(" + o.column + ", changes.id) < (?, ?)"
	}
	return "(" + o.column + ", changes.id) > (?, ?)"
}

// statusKind is a group of ChangeCounts.
type statusKind struct {
	status ChangeStatus
	kind   ChangeKind
}

// ChangeCounts are the changes under a filter's people filters by status
// and kind: every Team Updates tab's count, from one grouped count over
// changes_queue_idx.
type ChangeCounts struct {
	groups  map[statusKind]int64
	failing int64 // superseded changes with a failed action (supersededFailing)
}

// Queue is how many pending changes a queue holds.
func (c ChangeCounts) Queue(q Queue) int64 {
	var n int64
	for _, k := range q.kinds() {
		n += c.groups[statusKind{ChangePending, k}]
	}
	return n
}

// Decided is how many changes are in each status other than pending, as
// DecidedCounts returns them.
func (c ChangeCounts) Decided() map[ChangeStatus]int64 {
	out := map[ChangeStatus]int64{}
	for g, n := range c.groups {
		if g.status != ChangePending {
			out[g.status] += n
		}
	}
	out[ChangeFailed] += c.failing
	return out
}

// ChangeCounts counts the changes under f's people filters (its Queue,
// Offset and Limit are ignored): one count grouped by status and kind,
// read from changes_queue_idx alone, and one of the few superseded
// changes with a failed action.
func (s *Store) ChangeCounts(ctx context.Context, f ChangeFilter) (ChangeCounts, error) {
	return s.changeCounts(ctx, peopleOf(f))
}

func (s *Store) changeCounts(ctx context.Context, people changePeople) (ChangeCounts, error) {
	var rows []struct {
		Status ChangeStatus
		Kind   ChangeKind
		N      int64
	}
	q := s.whereChangePeople(s.db.WithContext(ctx).Model(&Change{}), people)
	err := q.Select("changes.status AS status, changes.kind AS kind, count(*) AS n").
		Group("changes.status, changes.kind").Scan(&rows).Error
	if err != nil {
		return ChangeCounts{}, fmt.Errorf("store: change counts: %w", translate(err))
	}
	out := ChangeCounts{groups: make(map[statusKind]int64, len(rows))}
	for _, r := range rows {
		out.groups[statusKind{r.Status, r.Kind}] = r.N
	}
	q = s.whereChangePeople(s.db.WithContext(ctx).Model(&Change{}), people)
	if err := q.Where(supersededFailing, ChangeSuperseded, ActionFailed).Count(&out.failing).Error; err != nil {
		return ChangeCounts{}, fmt.Errorf("store: change counts: %w", translate(err))
	}
	return out, nil
}

// PendingSummary sums up f's queue under its people filters as
// PendingSelection does, over the queue's index range alone (count,
// newest id, sum of ids need nothing else).
func (s *Store) PendingSummary(ctx context.Context, f ChangeFilter) (Selection, error) {
	return s.pendingSummary(ctx, f.Queue, peopleOf(f))
}

func (s *Store) pendingSummary(ctx context.Context, queue Queue, people changePeople) (Selection, error) {
	var sel Selection
	q := s.whereChangePeople(s.db.WithContext(ctx).Model(&Change{}).Where(queueWhere(queue)), people)
	err := q.Select("count(*) AS count, COALESCE(max(changes.id), 0) AS max_id, CAST(COALESCE(sum(changes.id), 0) AS BIGINT) AS id_sum").
		Scan(&sel).Error
	if err != nil {
		return Selection{}, fmt.Errorf("store: pending summary: %w", translate(err))
	}
	return sel, nil
}

// QueueRead is what a queue tab shows: every tab's count, one page, and
// when the queue holds more than the page, its selection.
type QueueRead struct {
	Counts ChangeCounts
	Page   PendingPage
	// Selection sums up the whole queue under the filters (PendingSummary)
	// for deciding all that match; zero when the page holds it all.
	Selection Selection
}

// Total is how many pending changes the read queue holds.
func (r QueueRead) Total(q Queue) int64 { return r.Counts.Queue(q) }

// ReadQueue reads a queue tab under f's filters: the counts of every tab,
// the page p asks for and, when the queue holds more than the page, its
// selection; four short queries and one for the page's people (and on
// SQLite, one more that reads a search's people once for all of them).
func (s *Store) ReadQueue(ctx context.Context, f ChangeFilter, p PageRequest) (QueueRead, error) {
	people, err := s.resolvedPeople(ctx, peopleOf(f))
	if err != nil {
		return QueueRead{}, err
	}
	counts, err := s.changeCounts(ctx, people)
	if err != nil {
		return QueueRead{}, err
	}
	total := counts.Queue(f.Queue)
	page, err := s.pendingPage(ctx, f.Queue, people, p, total)
	if err != nil {
		return QueueRead{}, err
	}
	read := QueueRead{Counts: counts, Page: page}
	if total > int64(len(page.Rows)) {
		if read.Selection, err = s.pendingSummary(ctx, f.Queue, people); err != nil {
			return QueueRead{}, err
		}
	}
	return read, nil
}

// PendingPage reads one page of f's queue under its people filters by
// keyset: the rows after p.After, before p.Before, or the last ones (the
// order reversed, as many as the last page of offset paging holds), each
// from changes_queue_idx or changes_invite_idx without a sort. total is
// the queue's count under the filters, which places the last page.
func (s *Store) PendingPage(ctx context.Context, f ChangeFilter, p PageRequest, total int64) (PendingPage, error) {
	return s.pendingPage(ctx, f.Queue, peopleOf(f), p, total)
}

func (s *Store) pendingPage(ctx context.Context, queue Queue, people changePeople, p PageRequest, total int64) (PendingPage, error) {
	q := s.whereChangePeople(s.db.WithContext(ctx).Model(&Change{}).Where(queueWhere(queue)), people)
	return s.keysetPage(ctx, q, soonestFirst, p, total)
}

// keysetPage reads the page p asks for of the changes q selects, in order
// o, of total rows: after p.After, before p.Before, the last ones, or (for
// old links) at p.Offset.
func (s *Store) keysetPage(ctx context.Context, q *gorm.DB, o keysetOrder, p PageRequest, total int64) (PendingPage, error) {
	limit := p.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var changes []Change
	var err error
	page := PendingPage{Offset: max(p.Offset, 0)}
	switch {
	case !p.After.IsZero():
		err = q.Where(o.after(), p.After.At, p.After.ID).Order(o.forward()).Limit(limit + 1).Find(&changes).Error
		page.HasPrev = true
		page.HasNext = len(changes) > limit
		changes = changes[:min(len(changes), limit)]
	case !p.Before.IsZero():
		err = q.Where(o.before(), p.Before.At, p.Before.ID).Order(o.backward()).Limit(limit + 1).Find(&changes).Error
		page.HasNext = true
		page.HasPrev = len(changes) > limit
		changes = changes[:min(len(changes), limit)]
		slices.Reverse(changes)
		if !page.HasPrev {
			page.Offset = 0
		}
	case p.Last:
		n := int(total % int64(limit))
		if n == 0 {
			n = limit
		}
		err = q.Order(o.backward()).Limit(n).Find(&changes).Error
		slices.Reverse(changes)
		page.Offset = int(max(total-int64(len(changes)), 0))
		page.HasPrev = page.Offset > 0
	default:
		err = q.Order(o.forward()).Offset(page.Offset).Limit(limit + 1).Find(&changes).Error
		page.HasPrev = page.Offset > 0
		page.HasNext = len(changes) > limit
		changes = changes[:min(len(changes), limit)]
	}
	if err != nil {
		return PendingPage{}, fmt.Errorf("store: page of changes: %w", translate(err))
	}
	if page.HasPrev && page.Offset == 0 {
		page.Offset = 1 // rows before it exist; how many is not known
	}
	page.Offset = int(min(int64(page.Offset), max(total-int64(len(changes)), 0)))
	if len(changes) > 0 {
		page.first, page.last = o.cursor(&changes[0]), o.cursor(&changes[len(changes)-1])
	}
	if page.Rows, err = s.withPeople(ctx, changes); err != nil {
		return PendingPage{}, err
	}
	return page, nil
}

// DepartmentsIndexed returns what Departments does, reading
// people_department_idx once per department (a loose index scan written
// as a recursive query) instead of every person.
func (s *Store) DepartmentsIndexed(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Raw(`WITH RECURSIVE d(department) AS (
    SELECT (SELECT min(department) FROM people WHERE department > '')
    UNION ALL
    SELECT (SELECT min(p.department) FROM people p WHERE p.department > d.department) FROM d WHERE d.department IS NOT NULL
)
SELECT department FROM d WHERE department IS NOT NULL ORDER BY department`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: departments: %w", translate(err))
	}
	return out, nil
}

// CountPeople is how many people there are, duplicates included, as
// ListPeople counts them without filters, without reading a page.
func (s *Store) CountPeople(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Person{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count people: %w", translate(err))
	}
	return n, nil
}
