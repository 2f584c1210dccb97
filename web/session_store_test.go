package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func sessionExpiries(t *testing.T, srv *testServer) []string {
	t.Helper()
	rows, err := srv.DB.SQL.Query("SELECT CAST(expiry AS TEXT) FROM sessions ORDER BY token")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		require.NoError(t, rows.Scan(&e))
		out = append(out, e)
	}
	require.NoError(t, rows.Err())
	return out
}

// Pages that only read do not write the session (issue 10): scs commits
// an unchanged session on every request to push its idle expiry forward,
// and on SQLite that write queued behind every bulk write. A page load
// now leaves the sessions table as it was; signing out still deletes it.
func TestReadingPagesDoNotWriteTheSession(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleOwner)
		b.get("/apps").requireStatus(200)
		// Mark the stored expiry: any write of the session moves it.
		mark := time.Now().Add(90 * time.Minute).UTC().Truncate(time.Second)
		_, err := srv.DB.SQL.Exec("UPDATE sessions SET expiry = "+placeholder(dialect), mark)
		require.NoError(t, err)
		before := sessionExpiries(t, srv)
		require.Len(t, before, 1)
		for _, path := range []string{"/", "/apps", "/team-updates", "/people"} {
			b.get(path).requireStatus(200)
		}
		require.Equal(t, before, sessionExpiries(t, srv), "reading pages rewrote the session")

		b.post("/logout", nil).requireRedirect(http.StatusSeeOther, "/login?signed_out=1")
		require.Empty(t, sessionExpiries(t, srv), "signing out deleted the session")
	})
}

func placeholder(d models.Dialect) string {
	if d == models.Postgres {
		return "$1"
	}
	return "?"
}
