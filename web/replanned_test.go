package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// An approved change that a rule edit re-planned before it ran: History
// lists it as superseded with its actions cancelled, its why page says
// what became of it, and Activity says why.
func TestReplannedApprovedChange(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		ctx := context.Background()
		ada, first := f.joiner(personSpec{first: "Ada", last: "Lovelace"})
		_, _, err := srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{first.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		raw, err := models.WhyJSON(rules.Why{Trigger: "rules changed"})
		require.NoError(t, err)
		open, err := srv.Store.ReplanChanges(ctx, map[int64]*models.Change{ada.ID: {Kind: models.ChangeJoin, Why: raw,
			EffectiveAt: first.EffectiveAt, Plan: []models.PlanStep{{Op: "create_account", AppID: f.laptop.ID}}}}, models.ReplanRulesChanged)
		require.NoError(t, err)
		next := open[ada.ID]

		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get("/team-updates?tab=history")
		p.requireStatus(http.StatusOK)
		row := p.TestID("decided-row")
		require.Equal(t, 1, row.Length())
		require.Equal(t, fmt.Sprint(first.ID), row.AttrOr("data-change-id", ""))
		require.Equal(t, "superseded", row.AttrOr("data-status", ""))
		require.Equal(t, "cancelled", row.Find(`[data-testid="action"]`).AttrOr("data-status", ""))
		require.Equal(t, fmt.Sprintf("Approved by %s, then replaced by newer HR data or rules before all of it ran (change %d)",
			models.CLIActor.Email, next.ID), squash(row.Find(`[data-testid="decided-by"]`).Text()))
		p = b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.Equal(t, fmt.Sprint(next.ID), p.TestID("change-row").AttrOr("data-change-id", ""), "the new plan waits for review")

		p = b.get(fmt.Sprintf("/team-updates/%d/why", first.ID))
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Text("change-status"), "Approved, then replaced by newer HR data or rules before all of it ran")

		p = b.get("/activity?action=" + models.ActionChangeReplanned)
		p.requireStatus(http.StatusOK)
		events := p.TestID("activity-row")
		require.Equal(t, 1, events.Length())
		require.Contains(t, squash(events.Text()), "Approved change re-planned")
		require.Contains(t, squash(events.Text()), `"reason": "rules or settings changed"`)
		require.Contains(t, squash(events.Text()), fmt.Sprintf(`"superseded_by": %d`, next.ID))
	})
}
