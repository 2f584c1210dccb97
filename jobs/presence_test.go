package jobs

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// TestReclaimRequeuesJobsOfStoppedProcesses leaves jobs running under
// clients that are gone, alive and this one, and checks that only the gone
// client's jobs (and its leadership) are taken back.
func TestReclaimRequeuesJobsOfStoppedProcesses(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		logger := slog.New(slog.DiscardHandler)
		// Advisory locks are database-wide: names unique to this run keep
		// parallel tests (and packages) apart.
		self, gone, live := clientID(), clientID(), clientID()
		client, closeClient, err := NewClient(ctx, db, store, Options{Logger: logger})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		ids := make([]int64, 3)
		for i := range ids {
			res, err := client.Insert(ctx, ExecuteActionArgs{ActionID: int64(i + 1)}, nil)
			require.NoError(t, err)
			ids[i] = res.Job.ID
		}

		me, err := claimPresence(ctx, db, self)
		require.NoError(t, err)
		t.Cleanup(me.close)
		other := gone
		if db.Dialect == models.Postgres {
			// Another live process: its lock is held on a connection of its own.
			other = live
			alive, err := claimPresence(ctx, db, other)
			require.NoError(t, err)
			defer alive.close()
		} else {
			// One process per SQLite file: a second claim is refused.
			_, err := claimPresence(ctx, db, clientID())
			require.ErrorIs(t, err, errDatabaseInUse)
		}
		markRunning(t, db, ids[0], gone)
		markRunning(t, db, ids[1], self)
		markRunning(t, db, ids[2], other)
		setLeader(t, db, gone)

		n, err := me.reclaim(ctx, logger)
		require.NoError(t, err)
		if db.Dialect == models.Postgres {
			require.Equal(t, 1, n)
			require.Equal(t, "running", jobState(t, db, ids[2]), "a live client's job is left alone")
		} else {
			require.Equal(t, 2, n)
		}
		require.Equal(t, "available", jobState(t, db, ids[0]))
		require.Equal(t, "running", jobState(t, db, ids[1]), "this process's own job is left alone")
		var leaders int
		require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
		require.Zero(t, leaders, "the gone leader's lease is freed")

		if db.Dialect == models.Postgres {
			ok, err := me.alive(ctx, live)
			require.NoError(t, err)
			require.True(t, ok)
			setLeader(t, db, self)
			n, err = me.reclaim(ctx, logger)
			require.NoError(t, err)
			require.Zero(t, n, "nothing left behind")
			require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_leader").Scan(&leaders))
			require.Equal(t, 1, leaders, "a live leader keeps its lease")
		}
	})
}

// TestReclaimNoticesAProcessThatStops checks on PostgreSQL that a client's
// jobs are taken back once its lock is released, as when its process dies.
func TestReclaimNoticesAProcessThatStops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := modelstest.Open(t, models.Postgres)
	store := models.NewStore(db)
	logger := slog.New(slog.DiscardHandler)
	client, closeClient, err := NewClient(ctx, db, store, Options{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	res, err := client.Insert(ctx, ExecuteActionArgs{ActionID: 1}, nil)
	require.NoError(t, err)

	self, otherID := clientID(), clientID() // database-wide locks: unique to this run
	me, err := claimPresence(ctx, db, self)
	require.NoError(t, err)
	t.Cleanup(me.close)
	other, err := claimPresence(ctx, db, otherID)
	require.NoError(t, err)
	_, err = claimPresence(ctx, db, otherID)
	require.ErrorContains(t, err, "in use by another process")
	markRunning(t, db, res.Job.ID, otherID)

	n, err := me.reclaim(ctx, logger)
	require.NoError(t, err)
	require.Zero(t, n)
	other.close() // what PostgreSQL does when the process dies
	n, err = me.reclaim(ctx, logger)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, "available", jobState(t, db, res.Job.ID))
}

func markRunning(t *testing.T, db *models.DB, id int64, client string) {
	t.Helper()
	q := "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY['earlier', $1] WHERE id = $2"
	if db.Dialect == models.SQLite {
		q = "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'), " +
			"attempted_by = jsonb(json_array('earlier', ?)) WHERE id = ?"
	}
	_, err := db.SQL.Exec(q, client, id)
	require.NoError(t, err)
}

func setLeader(t *testing.T, db *models.DB, client string) {
	t.Helper()
	_, err := db.SQL.Exec("DELETE FROM river_leader")
	require.NoError(t, err)
	q := "INSERT INTO river_leader (elected_at, expires_at, leader_id, name) VALUES (now(), now() + interval '1 minute', $1, 'default')"
	if db.Dialect == models.SQLite {
		q = "INSERT INTO river_leader (elected_at, expires_at, leader_id, name) VALUES " +
			"(datetime('now', 'subsec'), datetime('now', '+1 minute'), ?, 'default')"
	}
	_, err = db.SQL.Exec(q, client)
	require.NoError(t, err)
}

func jobState(t *testing.T, db *models.DB, id int64) string {
	t.Helper()
	var state string
	require.NoError(t, db.SQL.QueryRow("SELECT state FROM river_job WHERE id = "+placeholder(db.Dialect, 1), id).Scan(&state))
	return state
}
