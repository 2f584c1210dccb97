package migrations_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models/modelstest"
)

// 00011 turns the old minimum of leavers into the people threshold (one
// more, and no less than 500), keeps the percentage, adds the revocation
// threshold, and its Down restores the old column.
func TestBrakeMigrationKeepsThresholds(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, d)
			p, err := migrations.NewProvider(db.SQL, string(d))
			require.NoError(t, err)
			_, err = p.UpTo(ctx, 10)
			require.NoError(t, err)
			_, err = db.SQL.ExecContext(ctx, "INSERT INTO sources (kind, name, brake_min_leavers, brake_percent) VALUES "+
				"('csv', 'default', 5, 10), ('csv', 'raised', 2000, 20), ('csv', 'zero', 0, 0)")
			require.NoError(t, err)
			_, err = p.UpTo(ctx, 11)
			require.NoError(t, err)
			type brake struct{ people, percent, revocations int }
			read := func(query string) map[string]brake {
				rows, err := db.SQL.QueryContext(ctx, query)
				require.NoError(t, err)
				defer rows.Close()
				out := map[string]brake{}
				for rows.Next() {
					var name string
					var b brake
					require.NoError(t, rows.Scan(&name, &b.people, &b.percent, &b.revocations))
					out[name] = b
				}
				require.NoError(t, rows.Err())
				return out
			}
			require.Equal(t, map[string]brake{"default": {500, 10, 5000}, "raised": {2001, 20, 5000}, "zero": {500, 0, 5000}},
				read("SELECT name, brake_people, brake_percent, brake_revocations FROM sources"))

			_, err = p.DownTo(ctx, 10)
			require.NoError(t, err)
			require.Equal(t, map[string]brake{"default": {5, 10, 0}, "raised": {2000, 20, 0}, "zero": {5, 0, 0}},
				read("SELECT name, brake_min_leavers, brake_percent, 0 FROM sources"))
		})
	}
}
