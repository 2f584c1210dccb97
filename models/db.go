package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: the gorm handle, the pool under it and its dialect.
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Dialect Dialect
	// URL is the database URL it was opened with (for PostgreSQL, the
	// same URL opens River's listener connection).
	URL string
}

// ParseDatabaseURL splits a ROSTER_DATABASE_URL into its dialect and the
// driver's data source name. "sqlite:PATH" opens a file (created if
// missing); "postgres://" and "postgresql://" URLs open PostgreSQL.
func ParseDatabaseURL(raw string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return "", "", fmt.Errorf("sqlite URL needs a file path, like sqlite:roster.db")
		}
		if strings.Contains(path, "?") || path == ":memory:" {
			return "", "", fmt.Errorf("sqlite URL takes a plain file path, without options")
		}
		return SQLite, path, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", "", fmt.Errorf("not a valid postgres:// URL")
		}
		return Postgres, raw, nil
	default:
		return "", "", fmt.Errorf("must start with sqlite: or postgres://")
	}
}

// SQLitePath returns the file path of a sqlite: URL, or "" for other URLs.
func SQLitePath(raw string) string {
	if d, path, err := ParseDatabaseURL(raw); err == nil && d == SQLite {
		return path
	}
	return ""
}

// Open connects to the database named by a ROSTER_DATABASE_URL and checks
// that it answers.
//
// SQLite runs in WAL mode with a busy timeout, foreign keys on, and
// BEGIN IMMEDIATE for every transaction: without the last one, two
// concurrent read-then-write transactions fail with "database is locked"
// instead of waiting their turn.
func Open(ctx context.Context, raw string) (*DB, error) {
	dialect, dsn, err := ParseDatabaseURL(raw)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		SkipDefaultTransaction: true,
		TranslateError:         true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var dialector gorm.Dialector
	switch dialect {
	case SQLite:
		if err := createPrivateFile(dsn); err != nil {
			return nil, err
		}
		conn, err := openSQLite("file:" + dsn +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		dialector = &sqlite.Dialector{Conn: conn}
	case Postgres:
		dialector = postgres.Open(dsn)
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	// Connections are kept rather than opened per burst: database/sql
	// keeps two idle by default, so job workers opened and closed
	// connections all the time, and a new SQLite connection parses the
	// whole schema before its first statement (a third of the job
	// runner's CPU went there). PostgreSQL's are bounded per replica.
	//
	// SQLite has one writer, and a writer that finds the database locked
	// sleeps in the busy handler (1, 2, 5 ... 100 ms, no queue, no
	// fairness), so the more connections contend, the longer each waits
	// and the likelier one passes the 5 s busy timeout: with 64, 32 action
	// workers under load made a web request fail with SQLITE_BUSY. Eight
	// connections queue the rest in database/sql, in order, without
	// sleeping: 380-405 actions/s against 290-297 with 64 (4 performed as 8;
	// BenchmarkExecuteWebhookActions, docs/benchmarks.md). No code path
	// holds one connection while waiting for another (the models, jobs,
	// web and cmd tests pass with a pool of one).
	switch dialect {
	case Postgres:
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	case SQLite:
		sqlDB.SetMaxOpenConns(sqliteConns)
		sqlDB.SetMaxIdleConns(sqliteConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &DB{Gorm: g, SQL: sqlDB, Dialect: dialect, URL: raw}, nil
}

// createPrivateFile creates a missing SQLite file readable by its owner
// only: it holds sessions and encrypted secrets.
func createPrivateFile(path string) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// Close closes the pool.
func (db *DB) Close() error { return db.SQL.Close() }

// sqliteConns is the SQLite pool's size (see Open).
const sqliteConns = 8

// openSQLite opens the embedded database with this process's writers
// queued in order (writerConnector) rather than left to SQLite's busy
// handler.
func openSQLite(dsn string) (*sql.DB, error) {
	probe, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	return sql.OpenDB(newWriterConnector(drv, dsn)), nil
}
