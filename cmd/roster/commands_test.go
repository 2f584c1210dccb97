package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// dialectEnv is the environment for a fresh, empty database of the
// dialect; PostgreSQL also needs a secret key.
func dialectEnv(t *testing.T, d models.Dialect, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{"ROSTER_DATABASE_URL": modelstest.URL(t, d)}
	if d == models.Postgres {
		env["ROSTER_SECRET_KEY"] = testSecretKey
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// migrationVersions are the versions of Roster's own migrations for the
// dialect, read from the files the binary embeds.
func migrationVersions(t *testing.T, d models.Dialect) []int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "migrations", string(d), "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var versions []int64
	for _, f := range files {
		prefix, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		require.NoError(t, err, "migration file %s", f)
		versions = append(versions, v)
	}
	return versions
}

func openDB(t *testing.T, databaseURL string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), databaseURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			env := dialectEnv(t, d, nil)

			first := runCommand(t, context.Background(), env, "migrate")
			require.Equal(t, exitOK, first.code, "stderr: %s", first.stderr)
			assert.Empty(t, first.stdout)
			assert.Equal(t, len(migrationVersions(t, d)), strings.Count(first.stderr, `msg="migration applied"`))
			assert.Contains(t, first.stderr, `msg="river migration applied"`)
			assert.Contains(t, first.stderr, `msg="database is up to date" dialect=`+string(d))

			second := runCommand(t, context.Background(), env, "migrate")
			require.Equal(t, exitOK, second.code, "stderr: %s", second.stderr)
			assert.NotContains(t, second.stderr, "migration applied", "the second run has nothing to do")
			assert.Contains(t, second.stderr, `msg="database is up to date"`)
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	env := dialectEnv(t, models.Postgres, nil)

	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results [2]runResult
	)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = runCommand(t, context.Background(), env, "migrate")
		}()
	}
	close(start)
	wg.Wait()

	applied := 0
	for i, res := range results {
		require.Equal(t, exitOK, res.code, "run %d: %s", i, res.stderr)
		applied += strings.Count(res.stderr, `msg="migration applied"`)
	}
	want := migrationVersions(t, models.Postgres)
	assert.Equal(t, len(want), applied, "each migration is applied by one of the two runs")

	db := openDB(t, env["ROSTER_DATABASE_URL"])
	rows, err := db.SQL.Query(`SELECT version_id, COUNT(*) FROM goose_db_version GROUP BY version_id ORDER BY version_id`)
	require.NoError(t, err)
	defer rows.Close()
	var got []int64
	for rows.Next() {
		var version, n int64
		require.NoError(t, rows.Scan(&version, &n))
		assert.Equal(t, int64(1), n, "goose_db_version has %d rows for version %d", n, version)
		got = append(got, version)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, append([]int64{0}, want...), got, "goose's initial row, then one per migration")

	var riverDupes int
	require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM (SELECT line, version FROM river_migration
		GROUP BY line, version HAVING COUNT(*) > 1) d`).Scan(&riverDupes))
	assert.Zero(t, riverDupes, "River's migrations are recorded once each")
}

func TestMigrateUnreachableDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ROSTER_DATABASE_URL": "postgres://postgres@127.0.0.1:1/roster?sslmode=disable&connect_timeout=2",
		"ROSTER_SECRET_KEY":   testSecretKey,
	}
	res := runCommand(t, context.Background(), env, "migrate")
	assert.Equal(t, exitFailed, res.code)
	assert.Contains(t, res.stderr, `level=ERROR msg="roster stopped"`)
	assert.Contains(t, res.stderr, "connection refused")
}

// loginLinkLineRE is the last line of `roster login-link` for a base URL.
func loginLinkLineRE(baseURL string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(baseURL) + `/login/link/([A-Za-z0-9_-]{40,})$`)
}

// lastLine is the last line of a command's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestLoginLink(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			baseURL := "http://" + freeAddr(t)
			env := dialectEnv(t, d, map[string]string{"ROSTER_BASE_URL": baseURL})
			linkRE := loginLinkLineRE(baseURL)

			res := runCommand(t, context.Background(), env, "login-link", "--email", "a@example.com", "--role", "admin")
			require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
			assert.Contains(t, res.stdout, "Created a@example.com as admin.\n")
			m := linkRE.FindStringSubmatch(lastLine(res.stdout))
			require.NotNil(t, m, "last line of stdout %q is no sign-in link on %s", lastLine(res.stdout), baseURL)
			head := strings.TrimSuffix(res.stdout, lastLine(res.stdout)+"\n")
			assert.NotContains(t, head, "/login/link/", "only the last line carries the link")

			store := models.NewStore(openDB(t, env["ROSTER_DATABASE_URL"]))
			a, err := store.PeekLoginToken(context.Background(), m[1])
			require.NoError(t, err, "the printed link is valid")
			assert.Equal(t, "a@example.com", a.Email)
			assert.Equal(t, models.RoleAdmin, a.Role)

			// Again for the same person: no new admin, the role stays, a
			// new link.
			again := runCommand(t, context.Background(), env, "login-link", "--email", "A@Example.com", "--role", "owner")
			require.Equal(t, exitOK, again.code, "stderr: %s", again.stderr)
			assert.NotContains(t, again.stdout, "Created")
			assert.Contains(t, again.stdout, "a@example.com (admin)")
			m2 := linkRE.FindStringSubmatch(lastLine(again.stdout))
			require.NotNil(t, m2, "last line: %q", lastLine(again.stdout))
			assert.NotEqual(t, m[1], m2[1])
			n, err := store.CountAdmins(context.Background())
			require.NoError(t, err)
			assert.Equal(t, int64(1), n)
		})
	}
}

func TestLoginLinkDefaultRoleIsOwner(t *testing.T) {
	t.Parallel()
	env := sqliteEnv(t, nil)
	res := runCommand(t, context.Background(), env, "login-link", "--email", "first@example.com")
	require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
	assert.Contains(t, res.stdout, "Created first@example.com as owner.\n")
	assert.Regexp(t, loginLinkLineRE("http://127.0.0.1:8080"), lastLine(res.stdout), "the default base URL")
}

func TestLoginLinkUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantText string
	}{
		{name: "no email", args: []string{"--role", "admin"}, wantText: "--email is required"},
		{name: "empty email", args: []string{"--email", ""}, wantText: "--email is required"},
		{name: "bad role", args: []string{"--email", "a@example.com", "--role", "superuser"}, wantText: "superuser"},
		{name: "bad email", args: []string{"--email", "not an address"}, wantText: "not a valid email address"},
		{name: "unknown flag", args: []string{"--email", "a@example.com", "--admin"}, wantText: "-admin"},
		{name: "flag without value", args: []string{"--email"}, wantText: "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t, nil)
			res := runCommand(t, context.Background(), env, append([]string{"login-link"}, tt.args...)...)
			assert.Equal(t, exitUsage, res.code)
			assert.Empty(t, res.stdout)
			assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "stderr: %q", res.stderr)
			assert.True(t, strings.HasPrefix(res.stderr, "roster: login-link: "), "stderr: %q", res.stderr)
			assert.Contains(t, res.stderr, tt.wantText)
			_, err := os.Stat(models.SQLitePath(env["ROSTER_DATABASE_URL"]))
			assert.ErrorIs(t, err, os.ErrNotExist, "a bad command line touches no database")
		})
	}
}

func TestSQLiteSecretKeyFile(t *testing.T) {
	t.Parallel()
	env := sqliteEnv(t, nil)
	dbPath := models.SQLitePath(env["ROSTER_DATABASE_URL"])
	keyPath := dbPath + ".key"

	first := runCommand(t, context.Background(), env, "migrate")
	require.Equal(t, exitOK, first.code, "stderr: %s", first.stderr)
	assert.Contains(t, first.stderr, `msg="generated a secret key for encrypting secrets at rest; back it up with the database" file=`+keyPath)
	info, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "key file mode")
	key, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(key)))
	require.NoError(t, err)
	assert.Len(t, raw, models.SecretKeySize)
	info, err = os.Stat(dbPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "database file mode")

	second := runCommand(t, context.Background(), env, "migrate")
	require.Equal(t, exitOK, second.code, "stderr: %s", second.stderr)
	assert.NotContains(t, second.stderr, "generated a secret key")
	reused, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	assert.Equal(t, string(key), string(reused), "the key is reused, not replaced")

	t.Run("given key writes no file", func(t *testing.T) {
		t.Parallel()
		env := sqliteEnv(t, map[string]string{"ROSTER_SECRET_KEY": testSecretKey})
		res := runCommand(t, context.Background(), env, "migrate")
		require.Equal(t, exitOK, res.code, "stderr: %s", res.stderr)
		_, err := os.Stat(models.SQLitePath(env["ROSTER_DATABASE_URL"]) + ".key")
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("damaged key file", func(t *testing.T) {
		t.Parallel()
		env := sqliteEnv(t, nil)
		path := models.SQLitePath(env["ROSTER_DATABASE_URL"]) + ".key"
		require.NoError(t, os.WriteFile(path, []byte("not a key\n"), 0o600))
		res := runCommand(t, context.Background(), env, "migrate")
		assert.Equal(t, exitFailed, res.code)
		assert.Contains(t, res.stderr, "secret key file "+path)
		damaged, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "not a key\n", string(damaged), "a damaged key is never overwritten")
	})
}
