package web

import (
	"fmt"
	"net/url"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/teamupdates"
)

// teamUpdatesKeysetPager links a tab's pages by keyset: Next is the
// rows after this page's last, Previous those before its first, Last the
// final rows read in reverse, so no page costs more than the first. The
// page number in the links only places "Showing 51–100"; Previous to the
// first page links the first page itself.
func teamUpdatesKeysetPager(q teamUpdatesQuery, page models.PendingPage, total int64) teamupdates.Pager {
	from := int64(page.Offset) + 1
	to := int64(page.Offset + len(page.Rows))
	pg := teamupdates.Pager{Info: fmt.Sprintf("Showing %s–%s of %s", thousands(min(from, to)), thousands(to), thousands(total))}
	number := page.Offset/teamUpdatesPageSize + 1
	if page.HasPrev {
		pg.FirstURL = q.url(q.tab, 1)
		pg.PrevURL = pg.FirstURL
		if number > 2 {
			v := q.values(q.tab, number-1)
			v.Set("before", page.FirstCursor().String())
			pg.PrevURL = "/team-updates?" + v.Encode()
		}
	}
	if page.HasNext {
		v := q.values(q.tab, number+1)
		v.Set("after", page.LastCursor().String())
		pg.NextURL = "/team-updates?" + v.Encode()
		pg.LastURL = q.lastURL()
	}
	return pg
}

// here is the list as it is, cursor included: deciding and retrying carry
// it so they come back to the same rows.
func (q teamUpdatesQuery) here() url.Values {
	v := q.values(q.tab, q.page)
	switch {
	case q.last:
		v.Set("last", "1")
	case !q.after.IsZero():
		v.Set("after", q.after.String())
	case !q.before.IsZero():
		v.Set("before", q.before.String())
	}
	return v
}

// hereURL is the list as it is (here).
func (q teamUpdatesQuery) hereURL() string { return "/team-updates?" + q.here().Encode() }

// keyset reports whether the page is read by cursor rather than number.
func (q teamUpdatesQuery) keyset() bool { return q.last || !q.after.IsZero() || !q.before.IsZero() }

// pageRequest is the page the store reads.
func (q teamUpdatesQuery) pageRequest() models.PageRequest {
	return models.PageRequest{After: q.after, Before: q.before, Last: q.last,
		Offset: (q.page - 1) * teamUpdatesPageSize, Limit: teamUpdatesPageSize}
}

// lastURL is the tab's last page under the filters.
func (q teamUpdatesQuery) lastURL() string {
	v := q.values(q.tab, 1)
	v.Set("last", "1")
	return "/team-updates?" + v.Encode()
}
