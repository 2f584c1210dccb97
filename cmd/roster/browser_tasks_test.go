package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserReassignTask is IT's side of a manual app: the sample
// Laptop app's tasks land on the Tasks page assigned to the admin who
// loaded the sample, and an admin hands one to the IT desk's address,
// which gets its mail in the outbox; in real Chromium against the real
// server and job runner.
func TestBrowserReassignTask(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips or fails before anything starts
	shots := t.TempDir()
	addr := freeAddr(t)
	env := sqliteEnv(t, map[string]string{"ROSTER_ADDR": addr, "ROSTER_BASE_URL": "http://" + addr})
	res := runCommand(t, context.Background(), env, "login-link", "--email", "ada@example.com")
	require.Equal(t, 0, res.code, res.stderr)
	srv := startServer(t, env)

	ctx := browsertest.New(t, 120*time.Second, browsertest.WindowSize(1280, 800))
	console := browsertest.WatchConsole(ctx)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(lastLine(res.stdout)),
		chromedp.Click(chromedp.CSS(`[data-testid=link-continue]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=sample-data-load]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=select-all]`)),
		// Without the load's flash: otherwise the wait below can see it
		// while the approval's own page is still loading, and the next
		// navigation aborts that one (net::ERR_ABORTED, now and then).
		chromedp.Navigate(srv.URL+"/team-updates?tab=update"),
		chromedp.Click(chromedp.CSS(`[data-testid=select-all]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=approve-selected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))

	// Approved laptops for people already working (the sample is a
	// baseline: their missing access is in To Update) are due now: the job
	// runner opens their tasks, while this test looks at the first.
	deadline := time.Now().Add(60 * time.Second)
	for {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/tasks?mine=1"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=task-tabs]`))))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=task-row]").length`))
		require.NoError(t, err)
		if n > 0 {
			break
		}
		require.False(t, time.Now().After(deadline), "no task opened; log:\n%s", srv.Log)
		time.Sleep(time.Second)
	}
	taskID, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=task-row]").dataset.taskId`))
	require.NoError(t, err)
	row := `[data-testid=task-row][data-task-id="` + taskID + `"]`
	assignee, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+` [data-testid=task-assignee]`)))
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", strings.TrimSpace(assignee), "the sample's Laptop tasks go to whoever loaded it")
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+` [data-testid=task-title] strong`)))
	require.NoError(t, err)
	browsertest.Screenshot(t, ctx, shots, "tasks-1-mine.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/tasks"),
		chromedp.Click(chromedp.CSS(row+` [data-testid=task-assign] summary`)),
		chromedp.WaitVisible(chromedp.CSS(row+` [data-testid=assignee-to]`)),
		chromedp.SetValue(chromedp.CSS(row+` [data-testid=assignee-to]`), "email"),
		chromedp.SendKeys(chromedp.CSS(row+` [data-testid=assignee-email]`), "it-desk@example.com"),
	))
	browsertest.Screenshot(t, ctx, shots, "tasks-2-reassign.png")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+` [data-testid=task-assign-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=flash-success]`)))
	require.NoError(t, err)
	assert.Contains(t, flash, "Task assigned to it-desk@example.com")
	assignee, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+` [data-testid=task-assignee]`)))
	require.NoError(t, err)
	assert.Equal(t, "it-desk@example.com", strings.TrimSpace(assignee))
	browsertest.Screenshot(t, ctx, shots, "tasks-3-reassigned.png")

	// Without SMTP the mail waits in the outbox, as it would be sent.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/outbox"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=outbox-table]`))))
	mails, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[data-testid=outbox-row]")).
		map(r => r.querySelector("[data-testid=email-to]").textContent.trim() + " | " + r.querySelector("[data-testid=email-subject]").textContent.trim())`))
	require.NoError(t, err)
	assert.Contains(t, mails, "it-desk@example.com | Task for you: "+strings.TrimSpace(title))
	assert.Contains(t, mails, "ada@example.com | Task for you: "+strings.TrimSpace(title))
	// The Laptop app's page says who its tasks go to.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/apps"),
		chromedp.Click(chromedp.CSS(`[data-testid="app-row-Laptop"] [data-testid=app-link]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=task-assignee-form]`))))
	current, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=task-assignee-current]`)))
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", strings.TrimSpace(current))
	browsertest.Screenshot(t, ctx, shots, "tasks-4-app-setting.png")

	assert.Empty(t, console.Problems())
	// No request failed. (River's own components may log a transient
	// error, such as SQLITE_BUSY, when a loaded test run slows SQLite
	// down; they retry it.)
	for _, line := range strings.Split(srv.Log.String(), "\n") {
		if strings.Contains(line, "level=ERROR msg=request") || strings.Contains(line, `msg="request failed"`) {
			t.Errorf("failed request in the server log: %s", line)
		}
	}
}
