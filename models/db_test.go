package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestParseDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw         string
		wantDialect models.Dialect
		wantDSN     string
		wantErr     bool
	}{
		{raw: "sqlite:roster.db", wantDialect: models.SQLite, wantDSN: "roster.db"},
		{raw: "sqlite:data/roster.db", wantDialect: models.SQLite, wantDSN: "data/roster.db"},
		{raw: "sqlite:/var/lib/roster/roster.db", wantDialect: models.SQLite, wantDSN: "/var/lib/roster/roster.db"},
		{raw: "sqlite:///var/lib/roster/roster.db", wantDialect: models.SQLite, wantDSN: "/var/lib/roster/roster.db"},
		{raw: "sqlite://roster.db", wantDialect: models.SQLite, wantDSN: "roster.db"},
		{
			raw: "postgres://roster:secret@db.internal:5432/roster?sslmode=require", wantDialect: models.Postgres,
			wantDSN: "postgres://roster:secret@db.internal:5432/roster?sslmode=require",
		},
		{raw: "postgresql://localhost/roster", wantDialect: models.Postgres, wantDSN: "postgresql://localhost/roster"},
		{raw: "", wantErr: true},
		{raw: "roster.db", wantErr: true},
		{raw: "mysql://root@localhost/roster", wantErr: true},
		{raw: "SQLITE:roster.db", wantErr: true},
		{raw: "sqlite:", wantErr: true},
		{raw: "sqlite://", wantErr: true},
		{raw: "sqlite::memory:", wantErr: true},
		{raw: "sqlite://:memory:", wantErr: true},
		{raw: "sqlite:roster.db?_pragma=foreign_keys(0)", wantErr: true},
		{raw: "postgres://", wantErr: true},
		{raw: "postgres:///roster", wantErr: true},
		{raw: "postgres://localhost:bad-port/roster", wantErr: true},
	}
	for _, tt := range tests {
		dialect, dsn, err := models.ParseDatabaseURL(tt.raw)
		if tt.wantErr {
			require.Error(t, err, "ParseDatabaseURL(%q)", tt.raw)
			continue
		}
		require.NoError(t, err, "ParseDatabaseURL(%q)", tt.raw)
		require.Equal(t, tt.wantDialect, dialect, tt.raw)
		require.Equal(t, tt.wantDSN, dsn, tt.raw)
	}
}

func TestSQLitePath(t *testing.T) {
	t.Parallel()
	require.Equal(t, "roster.db", models.SQLitePath("sqlite:roster.db"))
	require.Equal(t, "/data/roster.db", models.SQLitePath("sqlite:///data/roster.db"))
	require.Empty(t, models.SQLitePath("postgres://localhost/roster"))
	require.Empty(t, models.SQLitePath("sqlite:"))
	require.Empty(t, models.SQLitePath(""))
}

func TestOpenSQLiteCreatesDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "roster.db")
	db, err := models.Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })

	require.Equal(t, models.SQLite, db.Dialect)
	require.Equal(t, "sqlite:"+path, db.URL)
	_, err = os.Stat(path)
	require.NoError(t, err)
	store := models.NewStore(db)
	require.Equal(t, models.SQLite, store.Dialect())
	require.NoError(t, store.Ping(ctx))

	var fk int
	require.NoError(t, db.SQL.QueryRow("PRAGMA foreign_keys").Scan(&fk))
	require.Equal(t, 1, fk, "foreign keys are enforced")
}

func TestOpenRejectsBadURL(t *testing.T) {
	t.Parallel()
	_, err := models.Open(context.Background(), "mysql://root@localhost/roster")
	require.Error(t, err)
}

func TestStoreDialect(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		require.Equal(t, db.Dialect, store.Dialect())
		require.NoError(t, store.Ping(context.Background()))
	})
}

func TestDeletingAnAdminDeletesItsLoginTokens(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		token := createLoginToken(t, store, a)
		require.NoError(t, db.Gorm.Exec("DELETE FROM admins WHERE id = ?", a.ID).Error)
		require.Zero(t, countRows(t, db, "login_tokens"))
		_, err := store.UseLoginToken(context.Background(), token)
		require.ErrorIs(t, err, models.ErrLinkInvalid)
	})
}
