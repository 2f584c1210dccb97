package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// tableRows is every row of a table as text, in primary-key order, so
// two databases can be compared row for row.
func tableRows(t *testing.T, db *models.DB, table string) []string {
	t.Helper()
	rows, err := db.SQL.Query("SELECT * FROM " + table + " ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		out = append(out, fmt.Sprint(vals...))
	}
	require.NoError(t, rows.Err())
	return out
}

// A backup restores: copied into place with its key file, it has the same
// people, changes and audit trail, and Roster works on it.
func TestBackupRestores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	dbPath := models.SQLitePath(env["ROSTER_DATABASE_URL"])
	people := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n"+
		"E2,Grace,Hopper,grace@example.com,pending,2026-12-01,Engineering,America/New_York\n")
	require.Equal(t, exitOK, runCommand(t, ctx, env, "import", "--source", "Workday", people).code)

	// A rule that grants an app gives the people changes to back up.
	orig := openDB(t, env["ROSTER_DATABASE_URL"])
	store := models.NewStore(orig)
	app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppManual, Name: "Laptops", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	ent, err := store.CreateEntitlement(ctx, models.CLIActor, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "laptop", Name: "Laptop"})
	require.NoError(t, err)
	require.NoError(t, store.SaveRule(ctx, models.CLIActor, &models.Rule{Name: "Everyone gets a laptop", Enabled: true, Priority: 10,
		Match: "all", Approval: "review", Grants: []models.RuleGrant{{AppID: app.ID, EntitlementID: ent.ID}}}))
	moved := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Research,Europe/London\n"+
		"E2,Grace,Hopper,grace@example.com,pending,2026-12-01,Engineering,America/New_York\n")
	res := runCommand(t, ctx, env, "import", "--source", "Workday", moved)
	require.Equal(t, exitOK, res.code, res.stderr)

	file := filepath.Join(t.TempDir(), "it's a backup.db") // a quote in the name is no problem
	res = runCommand(t, ctx, env, "backup", file)
	require.Equal(t, exitOK, res.code, res.stderr)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("backup=%s bytes=%d", file, fi.Size()), lastLine(res.stdout))
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the backup holds sessions and secrets")
	keyFile, err := filepath.Abs(dbPath + ".key")
	require.NoError(t, err)
	assert.Contains(t, res.stdout, "Back up the key file "+keyFile+" separately; without it encrypted app settings cannot be read")

	// Restore as the README says: the backup and the key file, side by side.
	restoredPath := filepath.Join(t.TempDir(), "roster.db")
	require.NoError(t, os.Rename(file, restoredPath))
	key, err := os.ReadFile(dbPath + ".key")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(restoredPath+".key", key, 0o600))
	restoredEnv := map[string]string{"ROSTER_DATABASE_URL": "sqlite:" + restoredPath}
	restored := openDB(t, restoredEnv["ROSTER_DATABASE_URL"])

	for _, table := range []string{"people", "changes", "audit_events"} {
		want := tableRows(t, orig, table)
		require.NotEmpty(t, want, table)
		assert.Equal(t, want, tableRows(t, restored, table), table)
	}

	res = runCommand(t, ctx, restoredEnv, "import", "--source", "Workday", moved)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=2 held=false planned=0", lastLine(res.stdout), "the restored database knows everyone")
	assert.NotContains(t, res.stderr, "generated a secret key", "the restored key file is used")
}

func TestBackupRefusesAnExistingFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	require.Equal(t, exitOK, runCommand(t, ctx, env, "migrate").code)

	file := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, os.WriteFile(file, []byte("precious"), 0o644))
	res := runCommand(t, ctx, env, "backup", file)
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, "already exists")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b), "the existing file is untouched")

	empty := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	assert.Equal(t, exitUsage, runCommand(t, ctx, env, "backup", empty).code, "even an empty file")
	assert.Equal(t, exitUsage, runCommand(t, ctx, env, "backup", models.SQLitePath(env["ROSTER_DATABASE_URL"])).code, "nor the database itself")
}

func TestBackupUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	file := filepath.Join(t.TempDir(), "backup.db")

	res := runCommand(t, ctx, env, "backup", file)
	assert.Equal(t, exitUsage, res.code, "there is no database to back up")
	assert.Contains(t, res.stderr, "no database at")
	_, err := os.Stat(models.SQLitePath(env["ROSTER_DATABASE_URL"]))
	assert.ErrorIs(t, err, os.ErrNotExist, "backup does not create an empty database")
	_, err = os.Stat(file)
	assert.ErrorIs(t, err, os.ErrNotExist)

	assert.Equal(t, exitUsage, runCommand(t, ctx, env, "backup").code, "FILE is required")
	assert.Equal(t, exitUsage, runCommand(t, ctx, env, "backup", "a.db", "b.db").code)
}

// PostgreSQL is backed up with pg_dump; the command says so without
// connecting.
func TestBackupPostgresPointsToPgDump(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ROSTER_DATABASE_URL": "postgres://roster@127.0.0.1:1/roster", "ROSTER_SECRET_KEY": testSecretKey}
	file := filepath.Join(t.TempDir(), "backup.db")
	res := runCommand(t, context.Background(), env, "backup", file)
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, "pg_dump --format=custom")
	_, err := os.Stat(file)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// A backup taken while another connection writes is a consistent
// snapshot: every row it has is whole, and the audit trail has no gaps.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	require.Equal(t, exitOK, runCommand(t, ctx, env, "migrate").code)
	db := openDB(t, env["ROSTER_DATABASE_URL"])
	store := models.NewStore(db)

	stop, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var writeErr error
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := store.EnsureCSVSource(ctx, models.CLIActor, fmt.Sprintf("Source %d", i)); err != nil {
				writeErr = err
				if i <= 10 {
					close(started)
				}
				return
			}
			if i == 10 {
				close(started) // some rows exist; the writes go on during the backup
			}
		}
	}()
	<-started
	file := filepath.Join(t.TempDir(), "backup.db")
	res := runCommand(t, ctx, env, "backup", file)
	close(stop)
	wg.Wait()
	require.NoError(t, writeErr)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.True(t, strings.HasPrefix(lastLine(res.stdout), "backup="+file+" bytes="))

	copyDB := openDB(t, "sqlite:"+file)
	var check string
	require.NoError(t, copyDB.SQL.QueryRow("PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check)
	var sources, audited int64
	require.NoError(t, copyDB.Gorm.Table("sources").Count(&sources).Error)
	require.NoError(t, copyDB.Gorm.Table("audit_events").Where("action = ?", models.ActionSourceCreated).Count(&audited).Error)
	assert.Positive(t, sources)
	assert.Equal(t, sources, audited, "each source in the backup comes with its audit event, and no more")
}
