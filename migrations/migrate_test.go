package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t *testing.T, d models.Dialect) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), modelstest.URL(t, d))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUpIsIdempotentAndCheckFollowsIt(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, d)
			require.Error(t, migrations.Check(ctx, db.SQL, string(d)), "an empty database is not ready")

			require.NoError(t, migrations.Up(ctx, db.SQL, string(d), quiet))
			require.NoError(t, migrations.Check(ctx, db.SQL, string(d)))
			require.NoError(t, migrations.Up(ctx, db.SQL, string(d), quiet), "a second run is a no-op")

			var versions int
			require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&versions))
			files, err := filepath.Glob(filepath.Join(string(d), "*.sql"))
			require.NoError(t, err)
			require.Equal(t, len(files), versions, "one applied version per migration file")
			for _, table := range []string{"admins", "login_tokens", "audit_events", "sessions", "river_job"} {
				_, err := db.SQL.Exec("SELECT count(*) FROM " + table)
				require.NoError(t, err, table)
			}
		})
	}
}

func TestConcurrentUpOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := modelstest.URL(t, models.Postgres)
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := models.Open(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = migrations.Up(ctx, db.SQL, migrations.Postgres, quiet)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "instance %d", i)
	}
	db, err := models.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	var dupes int
	require.NoError(t, db.SQL.QueryRow(
		"SELECT count(*) FROM (SELECT version_id FROM goose_db_version GROUP BY version_id HAVING count(*) > 1) d").Scan(&dupes))
	require.Zero(t, dupes, "every migration applied exactly once")
	require.NoError(t, migrations.Check(ctx, db.SQL, migrations.Postgres))
}

func TestUnknownDialect(t *testing.T) {
	t.Parallel()
	db := open(t, models.SQLite)
	require.ErrorContains(t, migrations.Up(context.Background(), db.SQL, "oracle", quiet), "unknown dialect")
}
