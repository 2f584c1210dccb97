package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// timedJoiner adds a joiner effective at at, as f.joiner does.
func (f *queueFixture) timedJoiner(s personSpec, at time.Time) (*models.Person, *models.Change) {
	f.t.Helper()
	p := f.person(s)
	c := f.change(p, models.Change{Kind: models.ChangeJoin, RuleNames: "Everyone", EffectiveAt: at,
		Plan: []models.PlanStep{{Op: "create_account", AppID: f.github.ID, Rules: []int64{1}}}},
		rules.Why{Trigger: "joined"})
	return p, c
}

// TestTeamUpdatesPagerWalksEveryRow follows the pager's links: Next from
// the first page to the last, then Last and Previous back, each visiting
// every row the tab lists exactly once, in the queue's order, with
// "Showing" counting along; First goes back to the start, and a decision
// on a page comes back to the same rows.
func TestTeamUpdatesPagerWalksEveryRow(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleApprover)
		base := time.Date(2030, 2, 1, 8, 0, 0, 0, time.UTC)
		// 130 in Engineering, many sharing a time, and some elsewhere.
		for i := range 130 {
			f.timedJoiner(personSpec{first: "Walk", last: fmt.Sprintf("Er%03d", i), department: "Engineering"},
				base.Add(time.Duration((i*7)%11)*time.Hour))
			if i%10 == 0 {
				f.timedJoiner(personSpec{first: "Other", last: fmt.Sprintf("Er%03d", i), department: "Sales"}, base)
			}
		}
		all, total, err := srv.Store.ListChanges(context.Background(), models.ChangeFilter{Queue: models.QueueInvite, Department: "Engineering", Limit: 500})
		require.NoError(t, err)
		require.EqualValues(t, 130, total)
		var want []string
		for _, r := range all {
			want = append(want, r.Person.WorkEmail)
		}

		first := "/team-updates?tab=invite&department=Engineering"
		p := b.get(first)
		p.requireStatus(http.StatusOK)
		require.Zero(t, p.TestID("page-first").Length())
		require.Zero(t, p.TestID("page-prev").Length())
		var forward []string
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			shown := rowEmails(p)
			require.Equal(t, fmt.Sprintf("Showing %d–%d of 130", len(forward)+1, len(forward)+len(shown)), p.Text("page-info"))
			forward = append(forward, shown...)
			next, ok := p.TestID("page-next").Attr("href")
			if !ok {
				require.Zero(t, p.TestID("page-last").Length(), "no Last on the last page")
				break
			}
			require.Contains(t, next, "department=Engineering", "the filter stays")
			require.Contains(t, next, "after=")
			require.Contains(t, next, "page="+strconv.Itoa(pages+2))
			require.Equal(t, "/team-updates?department=Engineering&last=1&tab=invite", p.TestID("page-last").AttrOr("href", ""))
			p = b.get(next)
			p.requireStatus(http.StatusOK)
			require.Equal(t, "/team-updates?department=Engineering&tab=invite", p.TestID("page-first").AttrOr("href", ""))
		}
		require.Equal(t, want, forward, "Next visits every row once, in order")

		p = b.get("/team-updates?department=Engineering&last=1&tab=invite")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Showing 101–130 of 130", p.Text("page-info"), "the last page holds what it did with page numbers")
		require.Zero(t, p.TestID("page-next").Length())
		var backward []string
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			shown := rowEmails(p)
			from := 130 - len(backward) - len(shown) + 1
			require.Equal(t, fmt.Sprintf("Showing %d–%d of 130", from, 130-len(backward)), p.Text("page-info"))
			backward = append(shown, backward...)
			prev, ok := p.TestID("page-prev").Attr("href")
			if !ok {
				break
			}
			p = b.get(prev)
			p.requireStatus(http.StatusOK)
		}
		require.Equal(t, want, backward, "Last and Previous visit every row once, in order")

		// Deciding one row on the second page comes back to that page,
		// which then starts where it did and shows the next row instead.
		p = b.get(first)
		second := p.TestID("page-next").AttrOr("href", "")
		p = b.get(second)
		ids := p.TestID("select-row").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") })
		require.Len(t, ids, 50)
		u, err := url.Parse(second)
		require.NoError(t, err)
		resp := b.post("/team-updates/approve?"+u.RawQuery, url.Values{"row": {ids[0]}})
		resp.requireRedirect(http.StatusSeeOther, second)
		p = b.get(second)
		require.Equal(t, want[51:101], rowEmails(p))

		// A cursor past the end goes to the last page.
		id, err := strconv.ParseInt(ids[0], 10, 64)
		require.NoError(t, err)
		last := all[len(all)-1]
		past := url.Values{"tab": {"invite"}, "department": {"Engineering"}, "page": {"3"},
			"after": {models.PageCursor{At: last.EffectiveAt, ID: last.ID}.String()}}
		b.get("/team-updates?"+past.Encode()).requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&last=1&tab=invite")
		require.Equal(t, models.ChangeScheduled, srv.changeStatus(t, id))
	})
}

// TestDecideAllMatchingASearch approves all that match a search: exactly
// the pending changes whose person's name, email or employee ID contains
// it, in this tab, whichever page offered them; nobody else's.
func TestDecideAllMatchingASearch(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleApprover)
		var match, other []int64
		for i := range 70 {
			_, c := f.joiner(personSpec{first: "Ada", last: fmt.Sprintf("Smith%02d", i), department: []string{"Engineering", "Sales"}[i%2]})
			match = append(match, c.ID)
			_, c = f.joiner(personSpec{first: "Bob", last: fmt.Sprintf("Jones%02d", i), department: "Engineering"})
			other = append(other, c.ID)
		}
		// A mover called Smith is in another tab; a Smiath is no Smith.
		mover := f.person(personSpec{first: "Sam", last: "Smith", department: "Engineering"})
		moved := f.change(mover, models.Change{Kind: models.ChangeMove, Plan: []models.PlanStep{{Op: "grant", AppID: f.github.ID, EntitlementID: f.eng.ID}}},
			rules.Why{Trigger: "changed"})
		_, wild := f.joiner(personSpec{first: "Wild", last: "Smiath", department: "Engineering"})

		list := "/team-updates?tab=invite&q=SMITH"
		p := b.get(list)
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Select all 70 in To Invite matching these filters", squash(p.Text("select-all-matching")))
		seen := matchingForm(p)
		require.Equal(t, models.SelectionOf(match), mustSelection(t, seen))
		next := p.TestID("page-next").AttrOr("href", "")
		require.Contains(t, next, "q=SMITH")
		require.Equal(t, seen.Get("expect_id_sum"), matchingForm(b.get(next)).Get("expect_id_sum"), "the second page offers the same changes")

		u, err := url.Parse(next)
		require.NoError(t, err)
		p = b.post("/team-updates/approve?"+u.RawQuery, seen)
		p.requireRedirect(http.StatusSeeOther, next)
		p = b.get(p.Location())
		require.Equal(t, "Approved 70 changes.", p.Flash("success"))
		for _, id := range match {
			require.NotEqual(t, models.ChangePending, srv.changeStatus(t, id))
		}
		for _, id := range append(other, moved.ID, wild.ID) {
			require.Equal(t, models.ChangePending, srv.changeStatus(t, id), "not matching, or not in the tab")
		}

		// Rejecting all that match a search and a department.
		p = b.get("/team-updates?tab=invite&q=jones1&department=Engineering")
		require.Equal(t, 10, len(rowEmails(p)))
		form := url.Values{"scope": {"all"}}
		for k, v := range matchingValues(other[10:20]) {
			form[k] = v
		}
		p = b.post("/team-updates/reject?tab=invite&q=jones1&department=Engineering", form)
		p.requireRedirect(http.StatusSeeOther, "/team-updates?department=Engineering&q=jones1&tab=invite")
		p = b.get(p.Location())
		require.Equal(t, "Rejected 10 changes.", p.Flash("success"))
		for i, id := range other {
			want := models.ChangePending
			if i >= 10 && i < 20 {
				want = models.ChangeRejected
			}
			require.Equal(t, want, srv.changeStatus(t, id))
		}
	})
}

// mustSelection reads the selection a matching form carries.
func mustSelection(t *testing.T, form url.Values) models.Selection {
	t.Helper()
	var sel models.Selection
	var err error
	sel.Count, err = strconv.ParseInt(form.Get("expect_count"), 10, 64)
	require.NoError(t, err)
	sel.MaxID, err = strconv.ParseInt(form.Get("expect_max_id"), 10, 64)
	require.NoError(t, err)
	sel.IDSum, err = strconv.ParseInt(form.Get("expect_id_sum"), 10, 64)
	require.NoError(t, err)
	return sel
}

// TestTeamUpdatesPagerDecidedTabs: History pages by keyset too, latest
// decision first, and a whole decision (one time) splits across pages by
// id without losing or repeating a row.
func TestTeamUpdatesPagerDecidedTabs(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		var ids []int64
		for i := range 60 {
			_, c := f.joiner(personSpec{first: "Hist", last: fmt.Sprintf("Ory%02d", i), department: "Engineering"})
			ids = append(ids, c.ID)
		}
		_, _, err := srv.Store.RejectChanges(context.Background(), models.CLIActor, models.Decision{ChangeIDs: ids}, time.Now())
		require.NoError(t, err)
		all, _, err := srv.Store.ListDecided(context.Background(), models.DecidedFilter{
			Statuses: []models.ChangeStatus{models.ChangeDone, models.ChangeRejected, models.ChangeSuperseded}, Latest: true, Limit: 500})
		require.NoError(t, err)
		var want []string
		for _, r := range all {
			want = append(want, r.Person.WorkEmail)
		}
		require.Len(t, want, 60)

		p := b.get("/team-updates?tab=history")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Showing 1–50 of 60", p.Text("page-info"))
		first := decidedEmails(p)
		next := p.TestID("page-next").AttrOr("href", "")
		require.Contains(t, next, "after=")
		p = b.get(next)
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Showing 51–60 of 60", p.Text("page-info"))
		require.Equal(t, want, append(first, decidedEmails(p)...))
		require.Equal(t, "/team-updates?tab=history", p.TestID("page-prev").AttrOr("href", ""))

		p = b.get("/team-updates?last=1&tab=history")
		require.Equal(t, "Showing 51–60 of 60", p.Text("page-info"))
		require.Equal(t, want[50:], decidedEmails(p))
	})
}
