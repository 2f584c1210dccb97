package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// pagesFixture is a queue of every kind, in three departments, with many
// changes sharing an effective time (so that the id breaks ties), some in
// a zone other than UTC, and some already decided.
type pagesFixture struct {
	ctx     context.Context
	store   *models.Store
	changes []*models.Change
}

func newPagesFixture(t *testing.T, db *models.DB, store *models.Store, n int) *pagesFixture {
	t.Helper()
	ctx := context.Background()
	src, err := store.EnsureCSVSource(ctx, tester, "HR")
	require.NoError(t, err)
	departments := []string{"Engineering", "Sales", "", "Finance"}
	kinds := []models.ChangeKind{models.ChangeJoin, models.ChangeMove, models.ChangeRehire, models.ChangeLeave, models.ChangeJoin}
	people := make([]*models.Person, n)
	for i := range people {
		people[i] = &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: fmt.Sprintf("P%04d", i),
			FirstName: "Page", LastName: fmt.Sprintf("Walker%04d", i), WorkEmail: fmt.Sprintf("walker%04d@example.com", i),
			Department: departments[i%len(departments)], Status: models.StatusActive, Groups: []string{}, Custom: map[string]string{}}}
	}
	require.NoError(t, db.Gorm.CreateInBatches(people, 500).Error)
	base := time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	now := time.Now().UTC()
	f := &pagesFixture{ctx: ctx, store: store}
	for i, p := range people {
		// Seven distinct times, given out in a shuffled order.
		at := base.Add(time.Duration((i*3)%7) * time.Hour)
		if i%9 == 0 {
			at = at.Add(1500 * time.Microsecond)
		}
		f.changes = append(f.changes, &models.Change{PersonID: p.ID, Kind: kinds[i%len(kinds)], Status: models.ChangePending,
			Why: "{}", Plan: []models.PlanStep{}, EffectiveAt: at.In(berlin).UTC(), CreatedAt: now, UpdatedAt: now})
	}
	require.NoError(t, db.Gorm.CreateInBatches(f.changes, 500).Error)
	var approve, reject []int64
	for i, c := range f.changes {
		switch i % 11 {
		case 3:
			approve = append(approve, c.ID)
		case 7:
			reject = append(reject, c.ID)
		}
	}
	_, _, err = store.ApproveChanges(ctx, tester, models.Decision{ChangeIDs: approve}, now,
		func(*models.Store, []*models.Action) error { return nil })
	require.NoError(t, err)
	_, _, err = store.RejectChanges(ctx, tester, models.Decision{ChangeIDs: reject}, now)
	require.NoError(t, err)
	return f
}

// pageFilters are the filters the tests walk: every queue, with and
// without people filters.
func pageFilters() []models.ChangeFilter {
	var out []models.ChangeFilter
	for _, q := range models.Queues {
		out = append(out,
			models.ChangeFilter{Queue: q},
			models.ChangeFilter{Queue: q, Department: "Engineering"},
			models.ChangeFilter{Queue: q, Search: "walker00"},
			models.ChangeFilter{Queue: q, Search: "nobody"})
	}
	return out
}

// TestPendingPageWalksEveryRow walks each queue from the first page by
// Next and from the last by Prev: both visit every pending row the queue
// holds exactly once, in ListChanges' order, and each page knows where it
// starts.
func TestPendingPageWalksEveryRow(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newPagesFixture(t, db, store, 130)
		const limit = 7
		for _, cf := range pageFilters() {
			t.Run(fmt.Sprintf("%s %q %q", cf.Queue, cf.Department, cf.Search), func(t *testing.T) {
				all := cf
				all.Limit = 500
				rows, total, err := store.ListChanges(f.ctx, all)
				require.NoError(t, err)
				want := changeIDs(rows)
				if len(want) == 0 {
					want = nil
				}

				var forward []int64
				page, err := store.PendingPage(f.ctx, cf, models.PageRequest{Limit: limit}, total)
				require.NoError(t, err)
				require.False(t, page.HasPrev)
				for pages := 0; ; pages++ {
					require.Less(t, pages, 100, "the walk ends")
					require.Equal(t, len(forward), page.Offset, "the page starts where the walk is")
					forward = append(forward, changeIDs(page.Rows)...)
					if !page.HasNext {
						break
					}
					require.Len(t, page.Rows, limit, "only the last page is short")
					page, err = store.PendingPage(f.ctx, cf, models.PageRequest{After: page.LastCursor(), Offset: len(forward), Limit: limit}, total)
					require.NoError(t, err)
					require.True(t, page.HasPrev)
				}
				require.Equal(t, want, forward, "Next visits every row once, in order")

				var backward []int64
				page, err = store.PendingPage(f.ctx, cf, models.PageRequest{Last: true, Limit: limit}, total)
				require.NoError(t, err)
				require.False(t, page.HasNext)
				if total > 0 {
					require.Equal(t, int((total-1)%limit)+1, len(page.Rows), "the last page holds what offset paging's would")
				}
				for pages := 0; ; pages++ {
					require.Less(t, pages, 100, "the walk ends")
					require.Equal(t, int(total)-len(backward)-len(page.Rows), page.Offset, "the page starts where the walk is")
					backward = append(changeIDs(page.Rows), backward...)
					if !page.HasPrev {
						break
					}
					page, err = store.PendingPage(f.ctx, cf, models.PageRequest{Before: page.FirstCursor(),
						Offset: int(total) - len(backward) - limit, Limit: limit}, total)
					require.NoError(t, err)
					require.True(t, page.HasNext)
				}
				if len(backward) == 0 {
					backward = nil
				}
				require.Equal(t, want, backward, "Last and Prev visit every row once, in order")

				// A cursor survives its query parameter.
				for _, r := range rows {
					c := models.PageCursor{At: r.EffectiveAt, ID: r.ID}
					back, ok := models.ParsePageCursor(c.String())
					require.True(t, ok)
					require.True(t, back.At.Equal(c.At))
					require.Equal(t, c.ID, back.ID)
				}
			})
		}
		_ = f
	})
}

// TestChangeCountsEqualEachTabsCount: the one grouped count gives every
// tab the count its own query gives, and each queue the selection that
// deciding all that match compares.
func TestChangeCountsEqualEachTabsCount(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newPagesFixture(t, db, store, 90)
		for _, cf := range pageFilters() {
			t.Run(fmt.Sprintf("%s %q %q", cf.Queue, cf.Department, cf.Search), func(t *testing.T) {
				counts, err := store.ChangeCounts(f.ctx, cf)
				require.NoError(t, err)
				queues, err := store.QueueCounts(f.ctx, cf)
				require.NoError(t, err)
				for _, q := range models.Queues {
					qf := cf
					qf.Queue = q
					_, total, err := store.ListChanges(f.ctx, qf)
					require.NoError(t, err)
					require.Equal(t, total, counts.Queue(q), q)
					require.Equal(t, queues[q], counts.Queue(q), q)
					sel, err := store.PendingSelection(f.ctx, qf)
					require.NoError(t, err)
					summary, err := store.PendingSummary(f.ctx, qf)
					require.NoError(t, err)
					require.Equal(t, sel, summary, q)
				}
				decided, err := store.DecidedCounts(f.ctx, models.DecidedFilter{Department: cf.Department, Search: cf.Search})
				require.NoError(t, err)
				require.Equal(t, decided, counts.Decided())

				read, err := store.ReadQueue(f.ctx, cf, models.PageRequest{Limit: 5})
				require.NoError(t, err)
				require.Equal(t, counts, read.Counts)
				first, total, err := store.ListChanges(f.ctx, models.ChangeFilter{Queue: cf.Queue, Department: cf.Department, Search: cf.Search, Limit: 5})
				require.NoError(t, err)
				require.Equal(t, total, read.Total(cf.Queue))
				sel, err := store.PendingSelection(f.ctx, cf)
				require.NoError(t, err)
				if total > 5 {
					require.Equal(t, sel, read.Selection, "the selection of all that match")
				} else {
					require.Zero(t, read.Selection, "the page holds them all")
				}
				require.Equal(t, changeIDs(first), changeIDs(read.Page.Rows), "the first page is the one ListChanges gives")
				for i, r := range read.Page.Rows {
					require.Equal(t, first[i].Person.ID, r.Person.ID, "with its person")
				}
			})
		}
	})
}

// TestDepartmentsIndexedEqualsDepartments: the loose index scan finds the
// departments the DISTINCT does, in the same order, including names that
// differ only in case and none for an empty table.
func TestDepartmentsIndexedEqualsDepartments(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		got, err := store.DepartmentsIndexed(ctx)
		require.NoError(t, err)
		require.Empty(t, got)

		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		names := []string{"Sales", "", "engineering", "Engineering", "Zoo", "Sales", "Ärzte", "A b", "A", " "}
		var people []*models.Person
		for i := range 60 {
			people = append(people, &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: fmt.Sprintf("X%03d", i),
				FirstName: "D", LastName: fmt.Sprint(i), Department: names[i%len(names)], Status: models.StatusActive,
				Groups: []string{}, Custom: map[string]string{}}})
		}
		require.NoError(t, db.Gorm.CreateInBatches(people, 100).Error)
		want, err := store.Departments(ctx)
		require.NoError(t, err)
		got, err = store.DepartmentsIndexed(ctx)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Len(t, got, 8)
		require.True(t, slices.Contains(got, " "))

		n, err := store.CountPeople(ctx)
		require.NoError(t, err)
		_, total, err := store.ListPeople(ctx, models.PeopleFilter{Limit: 1})
		require.NoError(t, err)
		require.Equal(t, total, n)
	})
}

// TestSearchMatchesAsTheJoinDid: the people filters written as a subquery
// (and on SQLite without lower(), which changes nothing there) select
// exactly the pending changes the old join with lower() selected, for
// searches in any case, with non-ASCII letters and LIKE's wildcards.
func TestSearchMatchesAsTheJoinDid(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		names := [][3]string{{"Ärzte", "Ölund", "aerzte@example.com"}, {"ärzte", "ölund", "AERZTE2@example.com"},
			{"Zoë", "O'Brien", "zoe@example.com"}, {"Ada", "Love_lace", "ada%1@example.com"}, {"ADA", "LOVELACE", "ada.l@EXAMPLE.com"},
			{"Straße", "Weiß", "strasse@example.com"}, {"İlkay", "Iğdır", "ilkay@example.com"}}
		var people []*models.Person
		for i, n := range names {
			people = append(people, &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: fmt.Sprintf("S%02d", i),
				FirstName: n[0], LastName: n[1], WorkEmail: n[2], Department: "D", Status: models.StatusActive,
				Groups: []string{}, Custom: map[string]string{}}})
		}
		require.NoError(t, db.Gorm.CreateInBatches(people, 100).Error)
		now := time.Now().UTC()
		for _, p := range people {
			require.NoError(t, db.Gorm.Create(&models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending,
				Why: "{}", Plan: []models.PlanStep{}, EffectiveAt: now, CreatedAt: now, UpdatedAt: now}).Error)
		}
		escaper := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		for _, search := range []string{"ärzte", "ÄRZTE", "Ärzte", "ölund", "zoë", "ZOË", "o'b", "love_", "LOVE", "ada%", "%", "_", "straße",
			"weiss", "ilkay", "İlkay", "EXAMPLE", "s0", "S05"} {
			like := "%" + escaper.Replace(strings.ToLower(search)) + "%"
			var want []int64
			require.NoError(t, db.Gorm.Raw(`SELECT changes.id FROM changes JOIN people ON people.id = changes.person_id
				WHERE changes.status = 'pending' AND (lower(people.first_name || ' ' || people.last_name) LIKE ? ESCAPE '\'
				OR lower(people.work_email) LIKE ? ESCAPE '\' OR lower(people.external_id) LIKE ? ESCAPE '\') ORDER BY changes.id`,
				like, like, like).Scan(&want).Error)
			got, err := store.PendingChangeIDs(ctx, models.ChangeFilter{Queue: models.QueueInvite, Search: search}, 100)
			require.NoError(t, err)
			if len(want) == 0 {
				want = nil
			}
			if len(got) == 0 {
				got = nil
			}
			require.Equal(t, want, got, search)
			read, err := store.ReadQueue(ctx, models.ChangeFilter{Queue: models.QueueInvite, Search: search}, models.PageRequest{Limit: 2})
			require.NoError(t, err)
			require.EqualValues(t, len(want), read.Total(models.QueueInvite), search)
		}
	})
}

// walkPages follows Next from the first page and Last then Prev back,
// requiring both walks to visit want, in order, each page placed where it
// starts.
func walkPages(t *testing.T, read func(models.PageRequest) models.PendingPage, want []int64, total int64, limit int) {
	t.Helper()
	var forward []int64
	page := read(models.PageRequest{Limit: limit})
	require.False(t, page.HasPrev)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "the walk ends")
		require.Equal(t, len(forward), page.Offset)
		forward = append(forward, changeIDs(page.Rows)...)
		if !page.HasNext {
			break
		}
		page = read(models.PageRequest{After: page.LastCursor(), Offset: len(forward), Limit: limit})
	}
	require.Equal(t, want, nilIfEmpty(forward), "Next visits every row once, in order")
	var backward []int64
	page = read(models.PageRequest{Last: true, Limit: limit})
	require.False(t, page.HasNext)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "the walk ends")
		require.Equal(t, int(total)-len(backward)-len(page.Rows), page.Offset)
		backward = append(changeIDs(page.Rows), backward...)
		if !page.HasPrev {
			break
		}
		page = read(models.PageRequest{Before: page.FirstCursor(), Offset: int(total) - len(backward) - limit, Limit: limit})
	}
	require.Equal(t, want, nilIfEmpty(backward), "Last and Prev visit every row once, in order")
}

// TestDecidedPageWalksEveryRow: the decided tabs page by keyset too, in
// their own orders (Scheduled soonest first, History and Failed latest
// first, where a whole decision shares one time and the id breaks ties).
func TestDecidedPageWalksEveryRow(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		f := newPagesFixture(t, db, store, 150)
		tabs := []models.DecidedFilter{
			{Statuses: []models.ChangeStatus{models.ChangeApproved, models.ChangeScheduled, models.ChangeRunning}},
			{Statuses: []models.ChangeStatus{models.ChangeDone, models.ChangeRejected, models.ChangeSuperseded}, Latest: true},
			{Statuses: []models.ChangeStatus{models.ChangeDone, models.ChangeRejected, models.ChangeSuperseded}, Latest: true, Department: "Sales"},
			{Statuses: []models.ChangeStatus{models.ChangeFailed}, Latest: true},
		}
		for _, tab := range tabs {
			t.Run(fmt.Sprint(tab.Statuses, tab.Department), func(t *testing.T) {
				all := tab
				all.Limit = 500
				rows, total, err := store.ListDecided(f.ctx, all)
				require.NoError(t, err)
				if tab.Department == "" && tab.Statuses[0] != models.ChangeFailed {
					require.Greater(t, total, int64(10), "the fixture decided some")
				}
				walkPages(t, func(p models.PageRequest) models.PendingPage {
					page, n, err := store.DecidedPage(f.ctx, tab, p)
					require.NoError(t, err)
					require.Equal(t, total, n)
					return page
				}, nilIfEmpty(changeIDs(rows)), total, 4)
			})
		}
	})
}
