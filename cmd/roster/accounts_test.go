package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func writeAccounts(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.csv")
	require.NoError(t, os.WriteFile(path, []byte("account_id,email,employee_number,status,entitlements\n"+body), 0o600))
	return path
}

// TestAccountsImportCommand: an app's accounts file is matched and
// recorded, the people whose access changed are planned, and the last
// line is the summary; a bad file is reported by line and changes
// nothing.
func TestAccountsImportCommand(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := dialectEnv(t, d, nil)
			people := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2021-01-05,Engineering,Europe/London\n"+
				"E2,Grace,Hopper,grace@example.com,active,2021-01-05,Engineering,America/New_York\n")
			require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "Workday", people).code)
			left := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2021-01-05,Engineering,Europe/London\n"+
				"E2,Grace,Hopper,grace@example.com,terminated,2021-01-05,Engineering,America/New_York\n")
			require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "Workday", left).code)

			db, err := models.Open(ctx, env["ROSTER_DATABASE_URL"])
			require.NoError(t, err)
			defer db.Close()
			store := models.NewStore(db)
			app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
			require.NoError(t, err)

			bad := writeAccounts(t, "u-1,ada@example.com,,active,\nu-1,grace,,gone,\n")
			res := runCommand(t, ctx, env, "accounts", "import", "--app", "github", bad)
			require.NotEqual(t, 0, res.code)
			require.Contains(t, res.stderr, "line 3: email: \"grace\" is not an email address")
			require.Contains(t, res.stderr, "line 3: account_id: u-1 appears twice (first on line 2)")
			n, err := store.CountAppAccounts(ctx, app.ID)
			require.NoError(t, err)
			require.Zero(t, n, "a bad file records nothing")

			good := writeAccounts(t, "u-1,ada@example.com,,active,\nu-2,,E2,active,\nu-3,bot@example.com,,active,\n")
			res = runCommand(t, ctx, env, "accounts", "import", "--app", "GitHub", good)
			require.Equal(t, 0, res.code, res.stderr)
			require.Equal(t, "matched=2 ambiguous=0 not_in_hr=1 terminated_active=1", lastLine(res.stdout))

			var leave models.Change
			require.NoError(t, db.Gorm.Where("kind = ? AND status = ?", models.ChangeLeave, models.ChangePending).First(&leave).Error,
				"Grace's account, which predates Roster, is proposed in To Terminate")

			res = runCommand(t, ctx, env, "accounts", "import", "--app", "Nope", good)
			require.Equal(t, exitUsage, res.code)
			require.Contains(t, res.stderr, `there is no app named "Nope"`)
		})
	}
}
