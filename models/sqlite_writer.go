package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"time"
)

// SQLite has one writer at a time. A connection that finds the database
// locked sleeps in SQLite's busy handler (1, 2, 5 ... then 100 ms at a
// time) and tries again, in no order: while others keep writing, an
// unlucky one can sleep past the busy timeout and fail with SQLITE_BUSY
// however briefly each of them held the lock (a web request failed so
// while 32 action workers wrote, even with eight connections).
//
// writerConnector queues this process's writers instead: a transaction
// (every one begins IMMEDIATE, taking the write lock) and a statement
// outside one that is not a plain SELECT first take the writer token, a
// channel of one, whose waiters are served in order and wake as soon as
// it is free. Reads outside transactions run alongside, as WAL allows.
// Another process (the CLI beside a server) still meets the busy handler.
type writerConnector struct {
	driver driver.Driver
	dsn    string
	token  chan struct{}
}

func newWriterConnector(d driver.Driver, dsn string) *writerConnector {
	return &writerConnector{driver: d, dsn: dsn, token: make(chan struct{}, 1)}
}

func (c *writerConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks the context methods")
	}
	return &writerConn{sqliteConn: inner, token: c.token}, nil
}

func (c *writerConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is what the SQLite driver's connection implements.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
}

// writerConn holds the writer token from BeginTx to Commit or Rollback,
// and for each write outside a transaction. database/sql uses a
// connection from one goroutine at a time, so holding needs no lock.
type writerConn struct {
	sqliteConn
	token   chan struct{}
	holding bool
}

// writerWait bounds a wait for the token, as the busy timeout bounds a
// wait for the lock, so that a mistake (a transaction waiting on a write
// from another connection) is an error, not a hang.
const writerWait = 30 * time.Second

// ErrWriterBusy is returned when the writer token did not come free in
// writerWait.
var ErrWriterBusy = errors.New("store: the database was busy: no write could start for 30 s")

func (c *writerConn) acquire(ctx context.Context) error {
	select {
	case c.token <- struct{}{}:
		c.holding = true
		return nil
	default:
	}
	timer := time.NewTimer(writerWait)
	defer timer.Stop()
	select {
	case c.token <- struct{}{}:
		c.holding = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return ErrWriterBusy
	}
}

func (c *writerConn) release() {
	if c.holding {
		c.holding = false
		<-c.token
	}
}

func (c *writerConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.ReadOnly { // a deferred BEGIN: a reader, as WAL allows
		return c.sqliteConn.BeginTx(ctx, opts)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		c.release()
		return nil, err
	}
	return &writerTx{Tx: tx, conn: c}, nil
}

func (c *writerConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *writerConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.holding || !writes(query) {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	return c.sqliteConn.ExecContext(ctx, query, args)
}

// QueryContext holds the token for a writing query (UPDATE ... RETURNING)
// until its rows are closed: SQLite holds the lock until then.
func (c *writerConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.holding || !writes(query) {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	rows, err := c.sqliteConn.QueryContext(ctx, query, args)
	if err != nil {
		c.release()
		return nil, err
	}
	return c.holdUntilClosed(rows)
}

// holdUntilClosed keeps the token until rows are closed.
func (c *writerConn) holdUntilClosed(rows driver.Rows) (driver.Rows, error) {
	typed, ok := rows.(sqliteRows)
	if !ok {
		rows.Close()
		c.release()
		return nil, errors.New("store: the SQLite driver's rows lack column types")
	}
	return &writerRows{sqliteRows: typed, conn: c}, nil
}

// PrepareContext: a prepared writing statement takes the token when it
// runs (writerStmt).
func (c *writerConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil || !writes(query) {
		return st, err
	}
	return &writerStmt{Stmt: st, conn: c}, nil
}

func (c *writerConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *writerConn) Close() error {
	c.release()
	return c.sqliteConn.Close()
}

type writerTx struct {
	driver.Tx
	conn *writerConn
}

func (t *writerTx) Commit() error {
	defer t.conn.release()
	return t.Tx.Commit()
}

func (t *writerTx) Rollback() error {
	defer t.conn.release()
	return t.Tx.Rollback()
}

type writerStmt struct {
	driver.Stmt
	conn *writerConn
}

// Exec and Query: the SQLite driver's statements have no context forms.
func (s *writerStmt) Exec(args []driver.Value) (driver.Result, error) {
	if !s.conn.holding {
		if err := s.conn.acquire(context.Background()); err != nil {
			return nil, err
		}
		defer s.conn.release()
	}
	return s.Stmt.Exec(args)
}

func (s *writerStmt) Query(args []driver.Value) (driver.Rows, error) {
	if s.conn.holding {
		return s.Stmt.Query(args)
	}
	if err := s.conn.acquire(context.Background()); err != nil {
		return nil, err
	}
	rows, err := s.Stmt.Query(args)
	if err != nil {
		s.conn.release()
		return nil, err
	}
	return s.conn.holdUntilClosed(rows)
}

// sqliteRows is what the SQLite driver's rows implement; gorm reads the
// column types.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

type writerRows struct {
	sqliteRows
	conn *writerConn
}

func (r *writerRows) Close() error {
	defer r.conn.release()
	return r.sqliteRows.Close()
}

// writes reports whether a statement may write: anything but a SELECT
// (a WITH may wrap an UPDATE; EXPLAIN and PRAGMA reads are rare enough to
// queue with the writers).
func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) < 6 || !strings.EqualFold(q[:6], "select")
}
