package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/web/browsertest"
)

// joiner is one row of the CSV the rules test uploads.
type joiner struct {
	id, first, last, status, department, location, timezone string
}

// ruleTestJoiners: three Berlin engineers, two London engineers and three
// Berlin salespeople, so "department equals Engineering" matches 5 and
// adding "location equals Berlin" narrows it to 3.
var ruleTestJoiners = []joiner{
	{"E101", "Ada", "Lovelace", "active", "Engineering", "Berlin", "Europe/Berlin"},
	{"E102", "Grace", "Hopper", "pending", "Engineering", "Berlin", "Europe/Berlin"},
	{"E103", "Linus", "Torvalds", "active", "Engineering", "Berlin", "Europe/Berlin"},
	{"E104", "Ken", "Thompson", "active", "Engineering", "London", "Europe/London"},
	{"E105", "Barbara", "Liskov", "pending", "Engineering", "London", "Europe/London"},
	{"E106", "Mary", "Kay", "active", "Sales", "Berlin", "Europe/Berlin"},
	{"E107", "Zig", "Ziglar", "pending", "Sales", "Berlin", "Europe/Berlin"},
	{"E108", "Dale", "Carnegie", "active", "Sales", "Berlin", "Europe/Berlin"},
}

func (j joiner) email() string {
	return strings.ToLower(j.first+"."+j.last) + "@example.com"
}

// writeJoinersCSV writes ruleTestJoiners, all starting on start, to a
// file in dir and returns its path.
func writeJoinersCSV(t *testing.T, dir, start string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("employee_id,first_name,last_name,work_email,status,start_date,title,department,location,country,timezone\n")
	for _, j := range ruleTestJoiners {
		country := "DE"
		if j.location == "London" {
			country = "GB"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
			j.id, j.first, j.last, j.email(), j.status, start, j.department+" person", j.department, j.location, country, j.timezone)
	}
	path := filepath.Join(dir, "workday.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// TestBrowserRulesFromCSVToTeamUpdates is the end-to-end flow in
// Chromium: upload a CSV, check its preview and confirm it, build a rule
// with two conditions while the live count narrows, save it, and find the
// people it matches under To Invite with the reason why.
func TestBrowserRulesFromCSVToTeamUpdates(t *testing.T) {
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
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.Click(chromedp.CSS(`[data-testid=sso-sign-in]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=dashboard-empty]`)),
	), "sign in through SSO")

	start := time.Now().AddDate(0, 0, 21).Format(time.DateOnly)
	uploadAndConfirmCSV(t, ctx, srv.URL, shots, writeJoinersCSV(t, t.TempDir(), start))
	addGitHubWithEngineering(t, ctx, srv.URL)
	buildAndSaveRule(t, ctx, srv.URL, shots)
	checkToInvite(t, ctx, srv.URL, shots, start)

	// The console is wired up, and nothing went wrong in it.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.log("roster-console-canary")`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return console.Seen("roster-console-canary") }, 5*time.Second, 20*time.Millisecond,
		"the console watch receives nothing")
	assert.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")

	require.Equal(t, exitOK, srv.Stop(t, 30*time.Second))
	assert.NotContains(t, srv.Log.String(), "level=ERROR")
}

// uploadAndConfirmCSV creates the CSV source "Workday", uploads csv to it,
// checks the preview stores nobody, and confirms it.
func uploadAndConfirmCSV(t *testing.T, ctx context.Context, base, shots, csv string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/sources"),
		chromedp.SendKeys(chromedp.CSS(`#source-name`), "Workday"),
		chromedp.Click(chromedp.CSS(`[data-testid=source-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-form]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{csv}),
		chromedp.Click(chromedp.CSS(`[data-testid=upload-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=run-preview]`)),
	))
	runPath := browsertest.CurrentPath(t, ctx)
	assert.Equal(t, "8", browsertest.TextOf(t, ctx, `[data-testid=count-joiners]`))
	for _, id := range []string{"count-movers", "count-leavers", "count-rehires", "count-unchanged"} {
		assert.Equal(t, "0", browsertest.TextOf(t, ctx, `[data-testid=`+id+`]`), id)
	}
	assert.Equal(t, "workday.csv", browsertest.TextOf(t, ctx, `[data-testid=run-file]`))
	browsertest.Screenshot(t, ctx, shots, "rules-run-preview.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/people"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=people-empty]`)),
	), "a preview stores nobody")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+runPath),
		chromedp.Click(chromedp.CSS(`[data-testid=run-confirm]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))
	assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=flash-success]`), "Applied")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/people"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=people-table]`)),
	))
	assert.Len(t, browsertest.TextsOf(t, ctx, `[data-testid=person-row]`), len(ruleTestJoiners))
}

// addGitHubWithEngineering adds the webhook app GitHub with the group
// eng, named Engineering.
func addGitHubWithEngineering(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/apps"),
		chromedp.SendKeys(chromedp.CSS(`#new-app-name`), "GitHub"),
		chromedp.SetValue(chromedp.CSS(`#new-app-kind`), "webhook"),
		chromedp.Click(chromedp.CSS(`[data-testid=new-app-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=entitlement-form]`)),
		chromedp.SetValue(chromedp.CSS(`#ent-new-kind`), "group"),
		chromedp.SendKeys(chromedp.CSS(`#ent-new-key`), "eng"),
		chromedp.SendKeys(chromedp.CSS(`#ent-new-name`), "Engineering"),
		chromedp.Click(chromedp.CSS(`[data-testid=entitlement-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=entitlement-row-eng]`)),
	))
	assert.Equal(t, "Engineering", browsertest.TextOf(t, ctx, `[data-testid=entitlement-row-eng] [data-testid=entitlement-name]`))
}

// buildAndSaveRule builds "Engineering Berlin" (department equals
// Engineering, location equals Berlin; grants GitHub's Engineering),
// watching the live count go 8 → 5 → 3, reviews its impact and saves it.
func buildAndSaveRule(t *testing.T, ctx context.Context, base, shots string) {
	t.Helper()
	// The builder opens with one empty condition row and one grant row.
	const (
		cond0 = `[data-testid=condition-row][data-index="0"] `
		cond1 = `[data-testid=condition-row][data-index="1"] `
		grant = `[data-testid=grant-row][data-index="0"] `
		count = `[data-testid=preview-count]`
	)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/rules/new"),
		browsertest.HTMXReady(`[data-testid=add-condition]`),
		browsertest.WaitText(count, "8"), // no condition yet: everyone
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-name]`), "Engineering Berlin"),
		browsertest.ChooseOption(cond0+`[data-testid=condition-attribute]`, "department"),
		chromedp.SendKeys(chromedp.CSS(cond0+`[data-testid=condition-value]`), "Engineering"),
		browsertest.WaitText(count, "5"),
		browsertest.HTMXIdle(),
	), "the count never went from 8 to 5")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=add-condition]`)),
		browsertest.HTMXReady(cond1+`[data-testid=condition-operator]`),
		browsertest.ChooseOption(cond1+`[data-testid=condition-attribute]`, "location"),
		chromedp.SendKeys(chromedp.CSS(cond1+`[data-testid=condition-value]`), "Berlin"),
		browsertest.WaitText(count, "3"),
		browsertest.HTMXIdle(),
	), "the count never went from 5 to 3")
	require.NoError(t, chromedp.Do(ctx,
		browsertest.ChooseOption(grant+`[data-testid=grant-app]`, "GitHub"),
		browsertest.HTMXReady(grant+`select[data-testid=grant-entitlement-select]:not([disabled])`),
		browsertest.ChooseOption(grant+`[data-testid=grant-entitlement-select]`, "Engineering (group: eng)"),
		browsertest.HTMXIdle(), // the entitlement's fields and the preview are swapped again
	))
	names := browsertest.TextOf(t, ctx, `[data-testid=preview-names]`)
	for _, n := range []string{"Ada Lovelace", "Grace Hopper", "Linus Torvalds"} {
		assert.Contains(t, names, n)
	}
	assert.NotContains(t, names, "Ken Thompson")
	browsertest.Screenshot(t, ctx, shots, "rules-builder.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=rule-review]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-save]`)),
	))
	impact := browsertest.TextOf(t, ctx, `[data-testid=impact]`)
	assert.Contains(t, impact, "+3 grants")
	assert.Contains(t, impact, "across 3 people")
	summary := browsertest.TextOf(t, ctx, `[data-testid=rule-summary]`)
	assert.Contains(t, summary, "Engineering Berlin")
	assert.Contains(t, summary, "GitHub")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=rule-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	))
	assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=flash-success]`), "Engineering Berlin")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/rules"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rules-table]`)),
		// The re-plan runs as a job; the page polls its progress until done.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-status][data-state=done]`)),
	))
	assert.Equal(t, []string{"Engineering Berlin"}, browsertest.TextsOf(t, ctx, `[data-testid=rule-link]`))
	assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=plan-status]`), "Team Updates re-planned at")
	browsertest.Screenshot(t, ctx, shots, "rules-replanned.png")
}

// checkToInvite finds exactly the three Berlin engineers under To Invite
// and opens the first one's explanation.
func checkToInvite(t *testing.T, ctx context.Context, base, shots, start string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/team-updates"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=changes-table]`)),
	))
	assert.Equal(t, []string{"page"}, browsertest.AttrsOf(t, ctx, `[data-testid=tab-invite]`, "aria-current"), "To Invite is the tab shown")
	assert.Equal(t, "3", browsertest.TextOf(t, ctx, `[data-testid=tab-invite] [data-testid=tab-count]`))
	var want []string
	for _, j := range ruleTestJoiners[:3] {
		want = append(want, j.email())
	}
	assert.ElementsMatch(t, want, browsertest.AttrsOf(t, ctx, `[data-testid=change-row]`, "data-person"))

	first := `[data-testid=change-row]:first-of-type`
	who := browsertest.AttrsOf(t, ctx, first, "data-person")[0]
	require.NoError(t, chromedp.Do(ctx,
		browsertest.HTMXReady(first+` [data-testid=why-button]`),
		chromedp.Click(chromedp.CSS(first+` [data-testid=why-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=why]`)),
		browsertest.HTMXIdle(),
	))
	assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=why-trigger]`), who, "the explanation is the first row's")
	assert.Contains(t, browsertest.TextOf(t, ctx, `[data-testid=why-rule]`), "Engineering Berlin")
	conditions := browsertest.TextsOf(t, ctx, `[data-testid=why-condition]`)
	require.Len(t, conditions, 2, "both conditions, each with the person's value")
	assert.Contains(t, conditions[0], `department equals "Engineering" — is "Engineering"`)
	assert.Contains(t, conditions[1], `location equals "Berlin" — is "Berlin"`)
	timing := browsertest.TextOf(t, ctx, `[data-testid=why-timing]`)
	assert.Contains(t, timing, "Europe/Berlin")
	day, err := time.Parse(time.DateOnly, start)
	require.NoError(t, err)
	layout := "2 Jan" // the year goes without saying in the current one
	if day.Year() != time.Now().Year() {
		layout = "2 Jan 2006"
	}
	assert.Contains(t, timing, day.Format(layout)+" 09:00 Europe/Berlin", "the start date at the rule's default time, in the joiner's zone")
	browsertest.Screenshot(t, ctx, shots, "rules-team-updates-why.png")
}
