// Package migrations holds Roster's schema, one goose SQL migration per file
// and per dialect, embedded into the binary, and applies it together with
// River's own tables.
//
// Roster's migrations and River's run under one PostgreSQL session advisory
// lock (goose's session locker, one lock per schema), so several replicas
// starting at once apply each migration exactly once; the others wait and
// then find nothing to do.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialects understood by Up and Check.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Up applies every pending migration, Roster's first and then River's.
// Running it on an up-to-date database changes nothing.
func Up(ctx context.Context, db *sql.DB, dialect string, logger *slog.Logger) error {
	provider, err := newProvider(db, dialect)
	if err != nil {
		return err
	}
	unlock, err := lockSession(ctx, db, dialect)
	if err != nil {
		return err
	}
	defer unlock()

	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: roster: %w", err)
	}
	for _, r := range results {
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}

	migrator, err := riverMigrator(db, dialect)
	if err != nil {
		return err
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrations: river: %w", err)
	}
	for _, v := range res.Versions {
		logger.Info("river migration applied", "version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}

// Check returns an error unless the database is reachable and every
// migration, Roster's and River's, has been applied.
func Check(ctx context.Context, db *sql.DB, dialect string) error {
	provider, err := newProvider(db, dialect)
	if err != nil {
		return err
	}
	pending, err := provider.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: check: %w", err)
	}
	if pending {
		return errors.New("migrations: roster migrations are pending")
	}
	migrator, err := riverMigrator(db, dialect)
	if err != nil {
		return err
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations: check river: %w", err)
	}
	if !res.OK {
		return fmt.Errorf("migrations: river: %v", res.Messages)
	}
	return nil
}

func newProvider(db *sql.DB, dialect string) (*goose.Provider, error) {
	var gd goose.Dialect
	switch dialect {
	case SQLite:
		gd = goose.DialectSQLite3
	case Postgres:
		gd = goose.DialectPostgres
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	fsys, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gd, db, fsys)
}

func riverMigrator(db *sql.DB, dialect string) (*rivermigrate.Migrator[*sql.Tx], error) {
	var (
		m   *rivermigrate.Migrator[*sql.Tx]
		err error
	)
	if dialect == SQLite {
		m, err = rivermigrate.New(riversqlite.New(db), nil)
	} else {
		m, err = rivermigrate.New(riverdatabasesql.New(db), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("migrations: river migrator: %w", err)
	}
	return m, nil
}

// lockSession takes goose's PostgreSQL advisory lock on a dedicated
// connection for the whole run. The lock id is derived from the current
// schema, so instances sharing a schema serialise while Roster
// installations (or tests) in other schemas of the same database do not
// wait for each other. SQLite needs no lock: its write transactions are
// serialised and only one instance may use a file.
func lockSession(ctx context.Context, db *sql.DB, dialect string) (func(), error) {
	if dialect != Postgres {
		return func() {}, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("roster-migrations:" + schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()>>1)),
		lock.WithLockTimeout(1, 600), // poll every second, for up to ten minutes
	)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := locker.SessionLock(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: lock: %w", err)
	}
	return func() {
		_ = locker.SessionUnlock(context.WithoutCancel(ctx), conn)
		conn.Close()
	}, nil
}
