package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// runCommandInput is runCommand with stdin.
func runCommandInput(t *testing.T, ctx context.Context, env map[string]string, stdin io.Reader, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, env, stdin, &stdout, &stderr)
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

var appLineRE = regexp.MustCompile(`^app=(\S+) id=(\d+) kind=scim$`)

// TestAppAddSCIMAndReconcile: `roster app add --kind scim` stores the
// connection sealed, its token from the environment or standard input and
// never from a flag; `roster reconcile` then reads the app's users over
// SCIM and matches them to the people imported.
func TestAppAddSCIMAndReconcile(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			const token = "scim-cli-token-77e1a0c3"
			srv := scimtest.New(t, scimtest.Options{Token: token})
			srv.AddUser(scimtest.User{UserName: "ada@example.com", Email: "ada@example.com"})
			srv.AddUser(scimtest.User{UserName: "grace@example.com", ExternalID: "E2"})
			srv.AddUser(scimtest.User{UserName: "bot@example.com"})
			env := dialectEnv(t, d, map[string]string{"ROSTER_ALLOW_PRIVATE_TARGETS": "127.0.0.0/8", "ROSTER_SECRET_KEY": testSecretKey})

			people := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2021-01-05,Engineering,Europe/London\n"+
				"E2,Grace,Hopper,grace@example.com,active,2021-01-05,Engineering,America/New_York\n")
			require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "Workday", people).code)
			left := writeCSV(t, "E1,Ada,Lovelace,ada@example.com,active,2021-01-05,Engineering,Europe/London\n"+
				"E2,Grace,Hopper,grace@example.com,terminated,2021-01-05,Engineering,America/New_York\n")
			require.Equal(t, 0, runCommand(t, ctx, env, "import", "--source", "Workday", left).code)

			res := runCommandInput(t, ctx, env, strings.NewReader("ignored\n"), "app", "add", "--kind", "scim", "--name", "Slack", "--token", token)
			require.Equal(t, exitUsage, res.code)
			require.Contains(t, res.stderr, "secrets are never flags")
			require.NotContains(t, res.stderr, token)

			withToken := map[string]string{"ROSTER_SCIM_TOKEN": token}
			for k, v := range env {
				withToken[k] = v
			}
			res = runCommandInput(t, ctx, withToken, nil, "app", "add", "--kind", "scim", "--name", "Slack", "--base-url", srv.URL())
			require.Equal(t, exitOK, res.code, res.stderr)
			m := appLineRE.FindStringSubmatch(lastLine(res.stdout))
			require.NotNil(t, m, res.stdout)
			require.Equal(t, "Slack", m[1])
			require.NotContains(t, res.stdout+res.stderr, token)

			res = runCommandInput(t, ctx, env, strings.NewReader(token+"\n"), "app", "add", "--kind", "scim", "--name", "Zoom",
				"--base-url", srv.URL(), "--deprovision", "delete")
			require.Equal(t, exitOK, res.code, res.stderr)
			require.Regexp(t, appLineRE, lastLine(res.stdout))

			res = runCommandInput(t, ctx, env, strings.NewReader("\n"), "app", "add", "--kind", "scim", "--name", "Empty", "--base-url", srv.URL())
			require.Equal(t, exitUsage, res.code)
			require.Contains(t, res.stderr, "no secret: set ROSTER_SCIM_TOKEN")

			db := openDB(t, env["ROSTER_DATABASE_URL"])
			store := models.NewStore(db)
			key, err := models.ParseSecretKey(testSecretKey)
			require.NoError(t, err)
			sealer, err := models.NewSealer(key)
			require.NoError(t, err)
			for _, name := range []string{"Slack", "Zoom"} {
				app, err := store.AppByName(ctx, name)
				require.NoError(t, err)
				require.Equal(t, models.AppSCIM, app.Kind)
				require.NotContains(t, app.Config, token, "sealed")
				in, err := store.SCIMSettings(ctx, app.ID, sealer)
				require.NoError(t, err)
				require.Equal(t, token, in.Token, name)
				require.Equal(t, srv.URL(), in.BaseURL)
			}

			res = runCommand(t, ctx, env, "reconcile", "--app", "slack")
			require.Equal(t, exitOK, res.code, res.stderr)
			require.Equal(t, "matched=2 ambiguous=0 not_in_hr=1 terminated_active=1", lastLine(res.stdout))
			require.Positive(t, srv.Count("GET", "/Users"))

			_, err = store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "Hook", DeprovisionMode: models.DeprovisionDisable})
			require.NoError(t, err)
			res = runCommand(t, ctx, env, "reconcile", "--app", "Hook")
			require.Equal(t, exitUsage, res.code)
			require.Contains(t, res.stderr, "Hook is a webhook app, which cannot list its accounts")
		})
	}
}
