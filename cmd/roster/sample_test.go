package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models/modelstest"
)

func TestSampleDataCommand(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := dialectEnv(t, d, nil)
			res := runCommand(t, ctx, env, "sample-data")
			require.Equal(t, 0, res.code, res.stderr)
			require.Regexp(t, `^Loaded sample data: 50 people \(\d+ starting soon\), 2 apps, 3 rules and \d+ Team Updates to review\.$`, lastLine(res.stdout))

			res = runCommand(t, ctx, env, "sample-data")
			require.Equal(t, exitFailed, res.code)
			require.Contains(t, res.stderr, "only be loaded into an empty Roster")

			require.Equal(t, exitUsage, runCommand(t, ctx, env, "sample-data", "extra").code)
		})
	}
}
