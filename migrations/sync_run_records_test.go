package migrations_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models/modelstest"
)

// 00017 moves the payload of runs still waiting into sync_run_records,
// one row per record in order, empties every payload, and its Down puts
// the records back.
func TestSyncRunRecordsMigrationMovesPayload(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, d)
			p, err := migrations.NewProvider(db.SQL, string(d))
			require.NoError(t, err)
			_, err = p.UpTo(ctx, 16)
			require.NoError(t, err)
			_, err = db.SQL.ExecContext(ctx, "INSERT INTO sources (id, kind, name) VALUES (1, 'csv', 'hr')")
			require.NoError(t, err)
			_, err = db.SQL.ExecContext(ctx, "INSERT INTO sync_runs (id, source_id, status, payload) VALUES "+
				`(1, 1, 'held', '[{"ExternalID":"E1","FirstName":"Ada"},{"ExternalID":"E2","FirstName":"Bo"}]'), `+
				`(2, 1, 'preview', '[]'), (3, 1, 'succeeded', '[{"ExternalID":"E9"}]')`)
			require.NoError(t, err)
			_, err = p.UpTo(ctx, 17)
			require.NoError(t, err)

			type rec struct {
				run, pos int
				ext      string
			}
			rows, err := db.SQL.QueryContext(ctx, "SELECT sync_run_id, position, record FROM sync_run_records ORDER BY sync_run_id, position")
			require.NoError(t, err)
			var got []rec
			for rows.Next() {
				var r rec
				var record string
				require.NoError(t, rows.Scan(&r.run, &r.pos, &record))
				var f struct{ ExternalID string }
				require.NoError(t, json.Unmarshal([]byte(record), &f), record)
				r.ext = f.ExternalID
				got = append(got, r)
			}
			require.NoError(t, rows.Err())
			rows.Close()
			require.Equal(t, []rec{{1, 0, "E1"}, {1, 1, "E2"}}, got, "only waiting runs keep records, in order")
			var payloads int
			require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sync_runs WHERE payload <> ''").Scan(&payloads))
			require.Zero(t, payloads)

			_, err = db.SQL.ExecContext(ctx, "DELETE FROM sync_runs WHERE id = 1")
			require.NoError(t, err)
			var left int
			require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sync_run_records").Scan(&left))
			require.Zero(t, left, "records go with their run")
			_, err = db.SQL.ExecContext(ctx, "INSERT INTO sync_run_records (sync_run_id, position, record) VALUES (2, 0, '{\"ExternalID\":\"E5\"}')")
			require.NoError(t, err)

			_, err = p.DownTo(ctx, 16)
			require.NoError(t, err)
			var payload string
			require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT payload FROM sync_runs WHERE id = 2").Scan(&payload))
			require.Equal(t, `[{"ExternalID":"E5"}]`, payload)
		})
	}
}
