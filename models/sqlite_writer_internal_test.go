package models

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/stretchr/testify/require"
)

// A write that meets another connection's transaction waits its turn
// instead of failing with SQLITE_BUSY once the busy timeout (here 20 ms)
// has passed, whether it is a plain statement, an UPDATE ... RETURNING or
// a transaction; reads go on meanwhile. Without the writer queue the same
// write fails, which the first half shows.
func TestSQLiteWritersQueueInsteadOfFailing(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "w.db") +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(20)&_txlock=immediate"
	ctx := context.Background()

	plain, err := sql.Open(sqlite.DriverName, dsn)
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Exec("CREATE TABLE t (n INTEGER)")
	require.NoError(t, err)
	tx, err := plain.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = plain.Exec("INSERT INTO t VALUES (0)")
	require.ErrorContains(t, err, "SQLITE_BUSY", "the busy handler gives up after its timeout")
	require.NoError(t, tx.Rollback())
	require.NoError(t, plain.Close())

	db, err := openSQLite(dsn)
	require.NoError(t, err)
	defer db.Close()
	held, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = held.Exec("INSERT INTO t VALUES (1)")
	require.NoError(t, err)

	errs := make(chan error, 3)
	go func() { _, err := db.Exec("INSERT INTO t VALUES (2)"); errs <- err }()
	go func() {
		var n int
		errs <- db.QueryRow("UPDATE t SET n = n + 10 WHERE n = 1 RETURNING n").Scan(&n)
	}()
	go func() {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil {
			_, err = tx.Exec("INSERT INTO t VALUES (3)")
		}
		if err == nil {
			err = tx.Commit()
		}
		errs <- err
	}()

	readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var before int
	require.NoError(t, db.QueryRowContext(readCtx, "SELECT count(*) FROM t").Scan(&before), "a read does not queue behind writers")
	require.Zero(t, before)

	// Hold the lock well past the busy timeout while the three wait.
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, errs, "no writer gave up while the transaction held the lock")
	require.NoError(t, held.Commit())
	for range 3 {
		require.NoError(t, <-errs)
	}
	var sum int
	require.NoError(t, db.QueryRow("SELECT sum(n) FROM t").Scan(&sum))
	require.Equal(t, 11+2+3, sum)
}
