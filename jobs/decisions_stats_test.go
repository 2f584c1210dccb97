package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// Approving BulkRows changes or more refreshes the statistics of the
// actions they wrote, which every job's waiting look-up is planned from.
func TestBulkApprovalRefreshesStatistics(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		// The app answers 503, so the actions stay in flight and nothing
		// but the approval writes many rows meanwhile.
		down := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		src, app := startWebhookRunner(t, db, store, down, 1, jobs.Options{}, nil)
		ids := seedExecute(t, db, src.ID, app.ID, 0, models.BulkRows)
		_, _, err := (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: ids})
		require.NoError(t, err)
		var rows float64
		switch db.Dialect {
		case models.Postgres:
			require.NoError(t, db.Gorm.Raw(`SELECT reltuples FROM pg_class WHERE oid = 'actions'::regclass`).Scan(&rows).Error)
		default:
			var stat string
			require.NoError(t, db.Gorm.Raw(`SELECT COALESCE(MAX(stat), '') FROM sqlite_stat1 WHERE tbl = 'actions'`).Scan(&stat).Error)
			_, _ = fmt.Sscan(stat, &rows)
		}
		require.GreaterOrEqual(t, rows, float64(models.BulkRows), "the actions' statistics were not refreshed by the approval")
	})
}
