package migrations_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// searchIndexes counts people_search_idx in the database's current schema.
func searchIndexes(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(
		"SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'people_search_idx'").Scan(&n))
	return n
}

// TestSearchIndexNeedsPgTrgm: migration 00015 builds the trigram search
// index where pg_trgm can be had, and where Roster's role may not create
// the extension it still succeeds, without the index.
func TestSearchIndexNeedsPgTrgm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	db := modelstest.Open(t, models.Postgres)
	require.Equal(t, 1, searchIndexes(t, db.SQL), "the test database may create pg_trgm")

	// A database of its own, without pg_trgm, and a role that owns only a
	// schema in it: it may not create extensions.
	base, err := url.Parse(modelstest.PostgresURL())
	require.NoError(t, err)
	admin, err := sql.Open("pgx", base.String())
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_trgm_" + hex.EncodeToString(b)
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		_, _ = admin.Exec("DROP ROLE IF EXISTS " + name)
	})
	_, err = admin.Exec("CREATE ROLE " + name + " LOGIN")
	require.NoError(t, err)
	owner := *base
	owner.Path = "/" + name
	setup, err := sql.Open("pgx", owner.String())
	require.NoError(t, err)
	t.Cleanup(func() { setup.Close() })
	for _, stmt := range []string{
		"REVOKE CREATE ON DATABASE " + name + " FROM PUBLIC",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"CREATE SCHEMA roster AUTHORIZATION " + name,
	} {
		_, err = setup.Exec(stmt)
		require.NoError(t, err, stmt)
	}

	limited := owner
	limited.User = url.User(name)
	q := limited.Query()
	q.Set("search_path", "roster")
	limited.RawQuery = q.Encode()
	ldb, err := models.Open(ctx, limited.String())
	require.NoError(t, err)
	t.Cleanup(func() { ldb.Close() })
	require.NoError(t, migrations.Up(ctx, ldb.SQL, migrations.Postgres, quiet))
	require.NoError(t, migrations.Check(ctx, ldb.SQL, migrations.Postgres))
	require.Zero(t, searchIndexes(t, ldb.SQL), "no pg_trgm, no trigram index")
	var ext int
	require.NoError(t, ldb.SQL.QueryRow("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&ext))
	require.Zero(t, ext)
}
