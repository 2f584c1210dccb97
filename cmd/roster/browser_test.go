package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath is Debian's Chromium. Without it the browser tests skip on
// a developer's machine and fail in CI, where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const path = "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("browser test: %s is missing (apt-get install chromium): %v", path, err)
		}
		t.Fatalf("browser test: CI is set but %s is missing: %v", path, err)
	}
	return path
}

// startMockIdP runs mockoidc on 127.0.0.1 until the test ends.
func startMockIdP(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// newBrowser starts headless Chromium with a profile of its own and
// returns a context for one tab. Everything, the browser included, is
// stopped after limit, so a hung page fails the test instead of the run.
func newBrowser(t *testing.T, execPath string, limit time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	// The limit is on the allocator's parent: cancelling it ends the
	// browser, which is what should happen when the test runs too long.
	limitCtx, cancelLimit := context.WithTimeout(context.Background(), limit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(limitCtx, opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelLimit()
	})
	require.NoError(t, chromedp.Do(ctx), "start Chromium")
	return ctx
}

// consoleWatch collects what the page writes to the console: calls of the
// console API, uncaught exceptions and the browser's own log, where CSP
// violations appear. Older Chromium words them "Refused to ...", current
// Chromium "... violates the following Content Security Policy directive
// ...", both at level error.
type consoleWatch struct {
	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

func watchConsole(ctx context.Context) *consoleWatch {
	w := &consoleWatch{}
	messages := chromedp.Console(ctx) // subscribes now, before any navigation
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			w.mu.Lock()
			w.messages = append(w.messages, m)
			w.mu.Unlock()
		}
	}()
	return w
}

// seen reports whether a message containing text has arrived.
func (w *consoleWatch) seen(text string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.messages {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

// problems are the messages a clean page never writes.
func (w *consoleWatch) problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.messages {
		if m.IsException() || m.Type == chromedp.ConsoleError ||
			strings.Contains(m.Text, "Refused to") || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.String()+" ("+m.URL+")")
		}
	}
	return out
}

// screenshot saves a full-page PNG into the test's temporary directory
// and, when ROSTER_SCREENSHOT_DIR is set, a copy there for people to look
// at.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err, "screenshot %s", name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
	if keep := os.Getenv("ROSTER_SCREENSHOT_DIR"); keep != "" {
		require.NoError(t, os.MkdirAll(keep, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(keep, name), png, 0o644))
		t.Logf("screenshot: %s", filepath.Join(keep, name))
	}
}

// currentPath returns the path of the tab's current URL.
func currentPath(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	return u.Path
}

// TestBrowserSignInAndInviteAdmin is the first thing an owner does: sign
// in with SSO, invite a colleague, and look at the audit trail, in real
// Chromium against the real server and a mock identity provider.
func TestBrowserSignInAndInviteAdmin(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	shots := t.TempDir()

	idp := startMockIdP(t)
	owner := &mockoidc.MockUser{
		Subject: "sub-olivia", Email: "olivia@example.com", EmailVerified: true, PreferredUsername: "Olivia Owner",
	}
	idp.QueueUser(owner)
	cfg := idp.Config()
	srv := startServer(t, sqliteEnv(t, map[string]string{
		"ROSTER_OIDC_ISSUER":        cfg.Issuer,
		"ROSTER_OIDC_CLIENT_ID":     cfg.ClientID,
		"ROSTER_OIDC_CLIENT_SECRET": cfg.ClientSecret,
		"ROSTER_OWNER_EMAIL":        owner.Email, // the bootstrap owner is the person signing in
	}))

	ctx := newBrowser(t, chromium, 45*time.Second)
	console := watchConsole(ctx)

	// Signed out, Roster sends the owner to the sign-in page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sso-sign-in]`)),
	))
	assert.Equal(t, "/login", currentPath(t, ctx))

	// SSO: Roster → mockoidc (signs the queued user in at once) → Roster.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=sso-sign-in]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=dashboard-empty]`)),
	))
	assert.Equal(t, "/", currentPath(t, ctx))
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=current-user]`)))
	require.NoError(t, err)
	assert.Contains(t, user, owner.Email)
	assert.Contains(t, user, "owner")
	screenshot(t, ctx, shots, "dashboard.png")

	// Invite an approver.
	const invitee = "newperson@example.com"
	row := `[data-testid="admin-row-` + invitee + `"]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=nav-admins]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=invite-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#invite-email`), invitee),
		chromedp.SendKeys(chromedp.CSS(`#invite-name`), "New Person"),
		chromedp.SetValue(chromedp.CSS(`#invite-role`), "approver"),
		chromedp.Click(chromedp.CSS(`[data-testid=invite-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
	))
	assert.Equal(t, "/admins", currentPath(t, ctx), "Post/Redirect/Get")
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=flash-success]`)))
	require.NoError(t, err)
	assert.Contains(t, flash, invitee+" was invited as approver.")
	role, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(row+` [data-testid=role-select]`)))
	require.NoError(t, err)
	assert.Equal(t, "approver", role)
	rowText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row)))
	require.NoError(t, err)
	assert.Contains(t, rowText, "New Person")
	assert.Contains(t, rowText, "Invited")
	screenshot(t, ctx, shots, "admins.png")

	// The audit trail shows the sign-in and the invitation.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=nav-activity]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=activity-table]`)),
	))
	actions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('[data-testid=activity-action]'), e => e.textContent.trim())`))
	require.NoError(t, err)
	assert.Contains(t, actions, "admin.invited")
	assert.Contains(t, actions, "auth.sign_in")
	screenshot(t, ctx, shots, "activity.png")

	// The console is wired up (a canary arrives), and nothing went wrong
	// in it: no CSP violation, no script error.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.log("roster-console-canary")`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return console.seen("roster-console-canary") }, 5*time.Second, 20*time.Millisecond,
		"the console watch receives nothing")
	assert.Empty(t, console.problems(), "console errors, exceptions or CSP violations")

	require.Equal(t, exitOK, srv.Stop(t, 30*time.Second))
	assert.NotContains(t, srv.Log.String(), "level=ERROR")
}
