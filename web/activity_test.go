package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// activityRows returns the action and subject of each listed event.
func activityRows(p *page) (actions, subjects []string) {
	p.TestID("activity-row").Each(func(_ int, row *goquery.Selection) {
		actions = append(actions, strings.TrimSpace(row.Find(`[data-testid="activity-action"]`).Text()))
		subjects = append(subjects, strings.TrimSpace(row.Find("td").Eq(3).Text()))
	})
	return actions, subjects
}

func TestActivity(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		viewer := b.signInAs(models.RoleViewer)
		ctx := context.Background()
		for i := range 60 {
			err := srv.Store.Audit(ctx, models.SystemActor, models.AuditEntry{
				Action: "test.event", SubjectType: "thing", SubjectLabel: fmt.Sprintf("event-%02d", i),
				After: map[string]any{"n": i},
			})
			require.NoError(t, err)
		}

		t.Run("newest first", func(t *testing.T) {
			p := b.get("/activity")
			p.requireStatus(http.StatusOK)
			actions, subjects := activityRows(p)
			require.Len(t, actions, 50)
			require.Equal(t, "event-59", subjects[0])
			require.Equal(t, "event-10", subjects[49])
			require.Equal(t, 1, p.TestID("page-next").Length(), "63 events need two pages")
			require.Empty(t, p.TestID("page-first").Nodes, "already on the newest page")
		})

		t.Run("filter and pages", func(t *testing.T) {
			p := b.get("/activity?action=test.event")
			p.requireStatus(http.StatusOK)
			actions, subjects := activityRows(p)
			require.Len(t, actions, 50)
			for _, a := range actions {
				require.Equal(t, "test.event", a)
			}
			for i, s := range subjects {
				require.Equal(t, fmt.Sprintf("event-%02d", 59-i), s)
			}
			require.Equal(t, "test.event", p.Doc().Find(`#f-action option[selected]`).AttrOr("value", ""))
			next, ok := p.TestID("page-next").Attr("href")
			require.True(t, ok, "an Older link")
			require.Contains(t, next, "action=test.event", "the filter stays on the next page")

			p = b.get(next)
			p.requireStatus(http.StatusOK)
			actions, subjects = activityRows(p)
			require.Len(t, actions, 10)
			require.Equal(t, "event-09", subjects[0])
			require.Equal(t, "event-00", subjects[9])
			require.Empty(t, p.TestID("page-next").Nodes, "the last page")
			require.Equal(t, "/activity?action=test.event", p.TestID("page-first").AttrOr("href", ""))
		})

		t.Run("filter by action", func(t *testing.T) {
			p := b.get("/activity?action=" + models.ActionSignIn)
			p.requireStatus(http.StatusOK)
			actions, subjects := activityRows(p)
			require.Equal(t, []string{models.ActionSignIn}, actions)
			require.Equal(t, []string{viewer.Email}, subjects)
			require.Empty(t, p.TestID("page-next").Nodes)
		})

		t.Run("filter by actor", func(t *testing.T) {
			p := b.get("/activity?actor=CLI")
			p.requireStatus(http.StatusOK)
			actions, _ := activityRows(p)
			require.Equal(t, []string{models.ActionLoginLinkIssued, models.ActionAdminInvited}, actions)
		})

		t.Run("no match", func(t *testing.T) {
			p := b.get("/activity?action=nothing.here")
			p.requireStatus(http.StatusOK)
			require.Equal(t, 1, p.TestID("activity-empty").Length())
			require.Empty(t, p.TestID("activity-row").Nodes)
		})

		t.Run("details", func(t *testing.T) {
			p := b.get("/activity?action=test.event")
			require.Contains(t, p.TestID("activity-row").First().Find("pre").Text(), `"n": 59`)
		})
	})
}

func TestDashboardRecentActivity(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	owner := b.signInAs(models.RoleOwner)
	srv.createAdmin(t, models.RoleViewer)

	p := b.get("/")
	p.requireStatus(http.StatusOK)
	require.Equal(t, "2", p.Text("metric-admins"))
	require.Equal(t, 1, p.TestID("dashboard-invite").Length(), "owners are offered to invite admins")
	require.Contains(t, p.Body, "by "+owner.Email, "the sign-in is among the recent actions")
}

// A count of repeated failures (failures.Recorder) is shown in words.
func TestActivityRepeats(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	ctx := context.Background()
	flood := models.Actor{Email: "unknown", IP: "203.0.113.9"}
	require.NoError(t, srv.Store.Audit(ctx, flood, models.AuditEntry{Action: models.ActionSignInFailed, SubjectType: "admin",
		After: map[string]any{"reason": "invalid sign-in link", "count": 214, "window": "2026-12-02T17:47:00Z"}}))
	require.NoError(t, srv.Store.Audit(ctx, models.Actor{Email: "unknown"}, models.AuditEntry{Action: models.ActionSignInFailed,
		After: map[string]any{"reason": "many kinds", "count": 3000, "window": "2026-12-02T17:48:00Z", "many_addresses": true}}))
	require.NoError(t, srv.Store.Audit(ctx, flood, models.AuditEntry{Action: models.ActionSignInFailed, SubjectType: "admin",
		After: map[string]any{"reason": "invalid sign-in link"}}))

	p := b.get("/activity?action=" + models.ActionSignInFailed)
	p.requireStatus(http.StatusOK)
	rows := p.TestID("activity-row")
	require.Equal(t, 3, rows.Length())
	repeats := func(i int) string {
		return strings.TrimSpace(rows.Eq(i).Find(`[data-testid="activity-repeats"]`).Text())
	}
	require.Empty(t, repeats(0), "a single failure has no count")
	require.Equal(t, "×3000 from many addresses in one minute (17:48 UTC)", repeats(1))
	require.Equal(t, "×214 from 203.0.113.9 in one minute (17:47 UTC)", repeats(2))
	require.Contains(t, rows.Eq(2).Text(), "Sign-in refused")
}
