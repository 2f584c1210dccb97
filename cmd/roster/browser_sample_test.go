package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserSampleData is a new user's first minute: load sample data
// from the empty dashboard, approve the missing access it proposes for the
// staff (the sample loads as a baseline), and see
// the Sample app's signed calls land on the built-in sample receiver, in
// real Chromium against the real server and job runner.
func TestBrowserSampleData(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips or fails before anything starts
	shots := t.TempDir()
	addr := freeAddr(t)
	env := sqliteEnv(t, map[string]string{"ROSTER_ADDR": addr, "ROSTER_BASE_URL": "http://" + addr})
	res := runCommand(t, context.Background(), env, "login-link", "--email", "ada@example.com")
	require.Equal(t, 0, res.code, res.stderr)
	link := lastLine(res.stdout)
	srv := startServer(t, env)
	require.True(t, strings.HasPrefix(link, srv.URL), link)

	ctx := browsertest.New(t, 90*time.Second, browsertest.WindowSize(1280, 800))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`[data-testid=link-continue]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sample-data-load]`)),
	))
	browsertest.Screenshot(t, ctx, shots, "sample-1-empty-dashboard.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=sample-data-load]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=select-all]`)),
	))
	require.Equal(t, "/team-updates", browsertest.CurrentPath(t, ctx))
	browsertest.Screenshot(t, ctx, shots, "sample-2-team-updates.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/team-updates?tab=update"), // without the load's flash
		chromedp.Click(chromedp.CSS(`[data-testid=select-all]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=approve-selected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))
	deadline := time.Now().Add(30 * time.Second)
	for {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/sample-receiver"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=receiver-about]`))))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=receiver-row]").length`))
		require.NoError(t, err)
		if n > 0 {
			break
		}
		require.False(t, time.Now().After(deadline), "no call reached the sample receiver; log:\n%s", srv.Log)
		time.Sleep(time.Second)
	}
	browsertest.Screenshot(t, ctx, shots, "sample-3-receiver.png")
}
