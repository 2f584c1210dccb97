package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/source/csvsource"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

const importHeader = "employee_id,first_name,last_name,work_email,status,start_date,department,timezone\n"

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "people.csv")
	require.NoError(t, os.WriteFile(path, []byte(importHeader+body), 0o600))
	return path
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := dialectEnv(t, d, nil)
			first := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n"+
				"E2,Grace,Hopper,grace@example.com,pending,2026-12-01,Engineering,America/New_York\n")

			res := runCommand(t, ctx, env, "import", "--source", "Workday", first)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=1 existing=1 movers=0 leavers=0 rehires=0 unchanged=0 held=false planned=2", lastLine(res.stdout),
				"a new source's first file is a baseline: Ada is on staff, Grace (pending) joins")

			res = runCommand(t, ctx, env, "import", "--source", "Workday", first)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=2 held=false planned=0", lastLine(res.stdout), "the same file again changes nothing")

			moved := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Research,Europe/London\n")
			res = runCommand(t, ctx, env, "import", "--source", "Workday", moved)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=0 existing=0 movers=1 leavers=1 rehires=0 unchanged=0 held=false planned=2", lastLine(res.stdout), "Grace is missing: she left")
		})
	}
}

// --baseline off reads a new source's first file as joiners; on makes a
// later file's newcomers current staff; anything else is a usage error.
func TestImportCommandBaselineFlag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	ada := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n")
	res := runCommand(t, ctx, env, "import", "--source", "HR", "--baseline", "off", ada)
	require.Equal(t, 0, res.code, res.stderr)
	require.Equal(t, "joiners=1 existing=0 movers=0 leavers=0 rehires=0 unchanged=0 held=false planned=1", lastLine(res.stdout))
	both := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n"+
		"E3,Alan,Turing,alan@example.com,active,2025-06-01,Engineering,Europe/London\n")
	res = runCommand(t, ctx, env, "import", "--source", "HR", "--baseline", "on", both)
	require.Equal(t, 0, res.code, res.stderr)
	require.Equal(t, "joiners=0 existing=1 movers=0 leavers=0 rehires=0 unchanged=1 held=false planned=1", lastLine(res.stdout))
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "--source", "HR", "--baseline", "maybe", ada).code)
}

func TestImportCommandRejectsBadRowsAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	good := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n")
	require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "HR", good).code)

	bad := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,retired,2026-01-05,Engineering,Europe/London\n"+
		"E2,Grace,Hopper,not-an-email,active,2026-13-01,Engineering,Mars/Olympus\n")
	res := runCommand(t, ctx, env, "import", "--source", "HR", bad)
	require.Equal(t, 1, res.code)
	require.Contains(t, res.stderr, "line 2")
	require.Contains(t, res.stderr, "line 3")
	require.Contains(t, res.stderr, "nothing was imported")

	res = runCommand(t, ctx, env, "import", "--source", "HR", good)
	require.Equal(t, "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=1 held=false planned=0", lastLine(res.stdout), "the bad file changed nothing")
}

// The command line reads files as an upload does: a name with a line
// break and a row past the row limit are refused by line. It has no size
// limit of its own.
func TestImportCommandRefusesValuesPastTheLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	good := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Engineering,Europe/London\n")
	require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "HR", good).code)

	bad := writeCSV(t, "E1,Ada,\"Lovelace\r\nBcc: x@example.com\",ada@example.com,active,2026-01-05,Engineering,Europe/London\n"+
		"E2,Grace,Hopper,grace@example.com,active,2026-01-05,"+strings.Repeat("x", csvsource.MaxRowBytes)+",Europe/London\n")
	res := runCommand(t, ctx, env, "import", "--source", "HR", bad)
	require.Equal(t, 1, res.code)
	require.Contains(t, res.stderr, "line 4: the row is longer than 64 KiB")
	require.Contains(t, res.stderr, "nothing was imported")

	bad = writeCSV(t, "E1,Ada,\"Lovelace\r\nBcc: x@example.com\",ada@example.com,active,2026-01-05,Engineering,Europe/London\n")
	res = runCommand(t, ctx, env, "import", "--source", "HR", bad)
	require.Equal(t, 1, res.code)
	require.Contains(t, res.stderr, "line 2: last_name: contains a line break: a value must be on one line")

	res = runCommand(t, ctx, env, "import", "--source", "HR", good)
	require.Equal(t, "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=1 held=false planned=0", lastLine(res.stdout), "the bad files changed nothing")
}

func TestImportCommandUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "people.csv").code, "--source is required")
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "--source", "HR").code, "a file is required")
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "--source", "HR", filepath.Join(t.TempDir(), "missing.csv")).code)
}

// `roster import` plans what it imported through the planning jobs, past
// the planner's 500-person batch, and changes an auto-approve rule decides
// are approved with their actions queued for roster serve (issue 8.7:
// it used to stop after 500 people with "no job client configured").
func TestImportCommandPlansWithAutoApproveRules(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := dialectEnv(t, d, nil)
			seed := writeCSV(t, "E0,Seed,Person,seed@example.com,active,2026-01-05,Engineering,Europe/London\n")
			require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "Workday", seed).code)

			db, err := models.Open(ctx, env["ROSTER_DATABASE_URL"])
			require.NoError(t, err)
			defer db.Close()
			store := models.NewStore(db)
			app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppManual, Name: "Laptops", DeprovisionMode: models.DeprovisionDisable})
			require.NoError(t, err)
			ent, err := store.CreateEntitlement(ctx, models.CLIActor, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "laptop", Name: "Laptop"})
			require.NoError(t, err)
			require.NoError(t, store.SaveRule(ctx, models.CLIActor, &models.Rule{Name: "Everyone gets a laptop", Enabled: true, Priority: 10,
				Match: "all", Approval: "auto", Grants: []models.RuleGrant{{AppID: app.ID, EntitlementID: ent.ID}}}))

			var b strings.Builder
			b.WriteString("E0,Seed,Person,seed@example.com,active,2026-01-05,Engineering,Europe/London\n")
			for i := 1; i <= 620; i++ {
				fmt.Fprintf(&b, "E%d,Person,Number%d,p%d@example.com,active,2026-01-05,Engineering,Europe/London\n", i, i, i)
			}
			res := runCommand(t, ctx, env, "import", "--source", "Workday", writeCSV(t, b.String()))
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=620 existing=0 movers=0 leavers=0 rehires=0 unchanged=1 held=false planned=620", lastLine(res.stdout))

			var approved, jobs int64
			require.NoError(t, db.Gorm.Table("changes").Where("status IN ?", []models.ChangeStatus{models.ChangeApproved, models.ChangeScheduled}).Where("auto_approved").Count(&approved).Error)
			require.NoError(t, db.Gorm.Table("river_job").Where("kind = ?", "execute_action").Count(&jobs).Error)
			require.EqualValues(t, 620, approved, "every joiner's auto-approved change is approved")
			require.GreaterOrEqual(t, jobs, int64(620), "their actions are queued for roster serve")
		})
	}
}
