package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestMetricsCountJobsByKindAndState(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, store.Enqueue(ctx, jobs.PurgeLoginTokensArgs{}, nil))

		collector := jobs.NewMetricsCollector(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		want := `
# HELP roster_river_jobs River jobs in the database by kind and state.
# TYPE roster_river_jobs gauge
roster_river_jobs{kind="purge_login_tokens",state="available"} 1
`
		require.NoError(t, testutil.CollectAndCompare(collector, strings.NewReader(want), "roster_river_jobs"))
	})
}
