package main

import (
	"net"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/web/browsertest"
)

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

// TestBrowserSignInAndInviteAdmin is the first thing an owner does: sign
// in with SSO, invite a colleague, and look at the audit trail, in real
// Chromium against the real server and a mock identity provider.
func TestBrowserSignInAndInviteAdmin(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t) // skips or fails before anything starts
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

	ctx := browsertest.New(t, 45*time.Second, browsertest.WindowSize(1280, 800))
	console := browsertest.WatchConsole(ctx)

	// Signed out, Roster sends the owner to the sign-in page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sso-sign-in]`)),
	))
	assert.Equal(t, "/login", browsertest.CurrentPath(t, ctx))

	// SSO: Roster → mockoidc (signs the queued user in at once) → Roster.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=sso-sign-in]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=dashboard-empty]`)),
	))
	assert.Equal(t, "/", browsertest.CurrentPath(t, ctx))
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=current-user]`)))
	require.NoError(t, err)
	assert.Contains(t, user, owner.Email)
	assert.Contains(t, user, "owner")
	browsertest.Screenshot(t, ctx, shots, "dashboard.png")

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
	assert.Equal(t, "/admins", browsertest.CurrentPath(t, ctx), "Post/Redirect/Get")
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
	browsertest.Screenshot(t, ctx, shots, "admins.png")

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
	browsertest.Screenshot(t, ctx, shots, "activity.png")

	// The console is wired up (a canary arrives), and nothing went wrong
	// in it: no CSP violation, no script error.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.log("roster-console-canary")`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return console.Seen("roster-console-canary") }, 5*time.Second, 20*time.Millisecond,
		"the console watch receives nothing")
	assert.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")

	require.Equal(t, exitOK, srv.Stop(t, 30*time.Second))
	assert.NotContains(t, srv.Log.String(), "level=ERROR")
}
