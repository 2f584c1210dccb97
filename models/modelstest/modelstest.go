// Package modelstest opens migrated, isolated databases for tests: a
// temporary SQLite file, or a fresh schema in the PostgreSQL database named
// by TEST_DATABASE_URL, dropped when the test ends.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for schema set-up
	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
)

// DefaultPostgresURL is used when TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects are the databases every store test runs on.
var Dialects = []models.Dialect{models.SQLite, models.Postgres}

// PostgresURL returns TEST_DATABASE_URL or its default.
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// URL returns a database URL for a fresh, empty database of the given
// dialect, removed when the test ends. Nothing is migrated yet.
func URL(t testing.TB, dialect models.Dialect) string {
	t.Helper()
	if dialect == models.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	}
	base := PostgresURL()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("modelstest: open %s: %v", base, err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "t_" + randomHex(8)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("modelstest: PostgreSQL at %s is needed for store tests (set TEST_DATABASE_URL): %v", base, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("modelstest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("modelstest: parse %s: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database of the given dialect, isolated from
// every other test and closed when the test ends.
func Open(t testing.TB, dialect models.Dialect) *models.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, URL(t, dialect))
	if err != nil {
		t.Fatalf("modelstest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migrations.Up(ctx, db.SQL, string(db.Dialect), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("modelstest: migrate: %v", err)
	}
	return db
}

// Each runs fn as a subtest on every dialect with its own migrated
// database and Store.
func Each(t *testing.T, fn func(t *testing.T, db *models.DB, store *models.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := Open(t, d)
			fn(t, db, models.NewStore(db))
		})
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("modelstest: random: %v", err))
	}
	return hex.EncodeToString(b)
}
