package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

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
			require.Equal(t, "joiners=2 movers=0 leavers=0 rehires=0 unchanged=0 held=false", lastLine(res.stdout))

			res = runCommand(t, ctx, env, "import", "--source", "Workday", first)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=0 movers=0 leavers=0 rehires=0 unchanged=2 held=false", lastLine(res.stdout), "the same file again changes nothing")

			moved := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2026-01-05,Research,Europe/London\n")
			res = runCommand(t, ctx, env, "import", "--source", "Workday", moved)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "joiners=0 movers=1 leavers=1 rehires=0 unchanged=0 held=false", lastLine(res.stdout), "Grace is missing: she left")
		})
	}
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
	require.Equal(t, "joiners=0 movers=0 leavers=0 rehires=0 unchanged=1 held=false", lastLine(res.stdout), "the bad file changed nothing")
}

func TestImportCommandUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := sqliteEnv(t, nil)
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "people.csv").code, "--source is required")
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "--source", "HR").code, "a file is required")
	require.Equal(t, exitUsage, runCommand(t, ctx, env, "import", "--source", "HR", filepath.Join(t.TempDir(), "missing.csv")).code)
}
