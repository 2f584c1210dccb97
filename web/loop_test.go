package web_test

import (
	"context"
	"fmt"
	"mime"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/browsertest"
)

// loopPeople is the HR export of the whole-loop test: five engineers the
// rule gives GitHub and a laptop, five salespeople it gives nothing.
var loopPeople = []csvPerson{
	{ID: "E01", First: "Ada", Last: "Lovelace", Department: "Engineering", Title: "Engineer", Location: "Berlin"},
	{ID: "E02", First: "Grace", Last: "Hopper", Department: "Engineering", Title: "Engineer", Location: "Berlin"},
	{ID: "E03", First: "Linus", Last: "Torvalds", Department: "Engineering", Title: "Engineer", Location: "Berlin"},
	{ID: "E04", First: "Ken", Last: "Thompson", Department: "Engineering", Title: "Engineer", Location: "London"},
	{ID: "E05", First: "Barbara", Last: "Liskov", Department: "Engineering", Title: "Engineer", Location: "London"},
	{ID: "S01", First: "Mary", Last: "Kay", Department: "Sales", Title: "Account executive", Location: "Berlin"},
	{ID: "S02", First: "Zig", Last: "Ziglar", Department: "Sales", Title: "Account executive", Location: "Berlin"},
	{ID: "S03", First: "Dale", Last: "Carnegie", Department: "Sales", Title: "Account executive", Location: "London"},
	{ID: "S04", First: "Estee", Last: "Lauder", Department: "Sales", Title: "Account executive", Location: "London"},
	{ID: "S05", First: "Brian", Last: "Tracy", Department: "Sales", Title: "Account executive", Location: "London"},
}

// loopEmail is the work address csvFile gives a person.
func loopEmail(p csvPerson) string { return strings.ToLower(p.First+"."+p.Last) + "@example.com" }

// without returns people minus those with these employee ids.
func without(people []csvPerson, ids ...string) []csvPerson {
	return slices.DeleteFunc(slices.Clone(people), func(p csvPerson) bool { return slices.Contains(ids, p.ID) })
}

// TestBrowserWholeLoop is issue 4's loop in headless Chromium against the
// real server and a started job runner, with the outside world faked at
// the network edge: upload an HR file, build a rule, approve the joiners
// and see their signed webhook calls, finish a laptop task and see the
// welcome mail and IT alert arrive over SMTP; then a leaver is approved and
// deprovisioned; then a file missing 30% of people is held by the brake
// and deprovisions nobody.
func TestBrowserWholeLoop(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		smtpd := startFakeSMTP(t)
		hook := startHookReceiver(t)
		srv := newServer(t, dialect, withJobRunner(t, jobs.Options{
			Logger: quietLogger(), Mail: smtpd.sender(), FetchPollInterval: 100 * time.Millisecond,
			RetryDelay: func(int) time.Duration { return 10 * time.Millisecond },
			// A grant waits for its manual task's account: look again
			// every 200 ms, not after 2, 4, 8 s (14.6 s in one run), so
			// the loop follows the clicks rather than the backoff.
			OrderWait: func(int) time.Duration { return 200 * time.Millisecond },
		}))
		// A bound on a hung page, not a timing: the whole loop took 132 s
		// under -race on a loaded 2-core machine.
		ctx := browsertest.New(t, 5*time.Minute)
		l := &loop{t: t, ctx: ctx, srv: srv, hook: hook, smtp: smtpd, shots: t.TempDir(), prefix: "loop-" + string(dialect) + "-", start: time.Now()}
		console := browsertest.WatchConsole(ctx)

		l.signInAsOwner()
		l.setMailAddresses("it@example.com, security@example.com")
		source := l.createSource("Workday", 3, 10)
		l.uploadAndConfirm(source, "people.csv", loopPeople, "10", "0")
		l.githubApp = l.addWebhookApp("GitHub", "eng", "Engineering")
		l.addManualApp("Laptop", "macbook", "MacBook")
		l.buildRule()

		engineers := loopPeople[:5]
		l.approveAll("invite", engineers)
		l.requireJoinerCalls(engineers)

		ada := loopPeople[0]
		l.finishLaptopTasks(ada)
		l.requireJoinerMail(ada)

		l.uploadAndConfirm(source, "people-without-ada.csv", without(loopPeople, ada.ID), "0", "1")
		l.approveAll("terminate", []csvPerson{ada})
		l.requireLeaverCalls(ada)

		l.requireHeldRun(source, without(loopPeople, ada.ID, "E02", "E03", "S01"), []string{"E02", "E03", "S01"})

		assert.Empty(t, console.Problems(), "console errors, exceptions or CSP violations")
	})
}

// loop drives one run of the whole-loop test.
type loop struct {
	t      *testing.T
	ctx    context.Context
	srv    *testServer
	hook   *hookReceiver
	smtp   *fakeSMTP
	shots  string
	prefix string // of screenshot names

	githubApp int64
	start     time.Time
}

// do runs browser actions, failing the test on error.
func (l *loop) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	l.t.Helper()
	require.NoError(l.t, chromedp.Do(l.ctx, actions...), what)
}

// path is the path of the tab's current URL.
func (l *loop) path() string {
	l.t.Helper()
	loc, err := chromedp.Run(l.ctx, chromedp.Location())
	require.NoError(l.t, err)
	u, err := url.Parse(loc)
	require.NoError(l.t, err)
	return u.Path
}

// flash is the success message of the page, failing when there is none.
func (l *loop) flash() string {
	l.t.Helper()
	return browsertest.TextOf(l.t, l.ctx, `[data-testid=flash-success]`)
}

// shot saves a screenshot of the page.
func (l *loop) shot(name string) {
	l.t.Helper()
	browsertest.Screenshot(l.t, l.ctx, l.shots, l.prefix+name)
}

// waitFor polls cond on the test's goroutine until it holds; cond may
// load pages and use require.
func (l *loop) waitFor(what string, within time.Duration, cond func() bool) {
	l.t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			l.t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.t.Logf("%s: waited %s for %s", time.Since(l.start).Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond), what)
}

// signInAsOwner signs in with a one-time link, as the first owner does.
func (l *loop) signInAsOwner() {
	l.t.Helper()
	link := l.srv.loginLink(l.t, l.srv.createAdmin(l.t, models.RoleOwner))
	l.do("sign in",
		chromedp.Navigate(l.srv.URL+link),
		chromedp.Click(chromedp.CSS(`[data-testid=link-continue]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=current-user]`)),
	)
}

// setMailAddresses sets where IT alerts go on the Settings page; the
// welcome mail keeps its default, the new hire's work address.
func (l *loop) setMailAddresses(alerts string) {
	l.t.Helper()
	l.do("settings",
		chromedp.Navigate(l.srv.URL+"/settings"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=settings-form]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=settings-alert-addresses]`), alerts),
		chromedp.Click(chromedp.CSS(`[data-testid=settings-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	)
	v, err := chromedp.Run(l.ctx, chromedp.Value(chromedp.CSS(`[data-testid=settings-alert-addresses]`)))
	require.NoError(l.t, err)
	assert.Equal(l.t, alerts, v)
	welcome, err := chromedp.Run(l.ctx, chromedp.Value(chromedp.CSS(`[data-testid=settings-welcome-address]`)))
	require.NoError(l.t, err)
	assert.Equal(l.t, "work", welcome)
}

// createSource adds a CSV source whose brake holds a run when people
// people or percent % of its people would lose access, and returns its
// page's path.
func (l *loop) createSource(name string, people, percent int) string {
	l.t.Helper()
	l.do("new source",
		chromedp.Navigate(l.srv.URL+"/sources"),
		chromedp.SendKeys(chromedp.CSS(`#source-name`), name),
		chromedp.SetValue(chromedp.CSS(`#source-brake-people`), fmt.Sprint(people)),
		chromedp.SetValue(chromedp.CSS(`#source-brake-percent`), fmt.Sprint(percent)),
		chromedp.Click(chromedp.CSS(`[data-testid=source-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-form]`)),
	)
	assert.Contains(l.t, l.flash(), "Source "+name+" created")
	return l.path()
}

// upload sends people as a CSV file through the source page's form, as
// joiners (the baseline box unticked: this loop is about new hires), and
// returns the run page's path, on the preview.
func (l *loop) upload(source, fileName string, people []csvPerson) string {
	l.t.Helper()
	return l.uploadAs(source, fileName, people, false)
}

// uploadAs is upload with the baseline box ticked or not.
func (l *loop) uploadAs(source, fileName string, people []csvPerson, baseline bool) string {
	l.t.Helper()
	file := filepath.Join(l.t.TempDir(), fileName)
	require.NoError(l.t, os.WriteFile(file, []byte(csvFile(people)), 0o644))
	l.do("open "+source, chromedp.Navigate(l.srv.URL+source), chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-baseline]`)))
	checked, err := chromedp.Run(l.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid=upload-baseline]').checked`))
	require.NoError(l.t, err)
	if checked != baseline {
		l.do("tick the baseline box", chromedp.Click(chromedp.CSS(`[data-testid=upload-baseline]`)))
	}
	l.do("upload "+fileName,
		chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`[data-testid=upload-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=run-preview]`)),
	)
	assert.Equal(l.t, fileName, browsertest.TextOf(l.t, l.ctx, `[data-testid=run-file]`))
	return l.path()
}

// uploadAndConfirm uploads people, checks the preview's joiners and
// leavers, and confirms it.
func (l *loop) uploadAndConfirm(source, fileName string, people []csvPerson, joiners, leavers string) {
	l.t.Helper()
	l.upload(source, fileName, people)
	assert.Equal(l.t, joiners, browsertest.TextOf(l.t, l.ctx, `[data-testid=count-joiners]`), "joiners in %s", fileName)
	assert.Equal(l.t, leavers, browsertest.TextOf(l.t, l.ctx, `[data-testid=count-leavers]`), "leavers in %s", fileName)
	assert.Zero(l.t, browsertest.NodeCount(l.t, l.ctx, `[data-testid=brake-warning]`), "the brake would hold %s", fileName)
	l.do("confirm "+fileName,
		chromedp.Click(chromedp.CSS(`[data-testid=run-confirm]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	)
	assert.Contains(l.t, l.flash(), "Applied")
	l.srv.waitPlanned(l.t) // the run's people are planned by jobs committed with it
}

// addApp adds an app of this kind with one entitlement and returns its
// id, leaving the browser on the app's page.
func (l *loop) addApp(name, kind, entKind, key, entName string) int64 {
	l.t.Helper()
	l.do("add app "+name,
		chromedp.Navigate(l.srv.URL+"/apps"),
		chromedp.SendKeys(chromedp.CSS(`#new-app-name`), name),
		chromedp.SetValue(chromedp.CSS(`#new-app-kind`), kind),
		chromedp.Click(chromedp.CSS(`[data-testid=new-app-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=entitlement-form]`)),
		chromedp.SetValue(chromedp.CSS(`#ent-new-kind`), entKind),
		chromedp.SendKeys(chromedp.CSS(`#ent-new-key`), key),
		chromedp.SendKeys(chromedp.CSS(`#ent-new-name`), entName),
		chromedp.Click(chromedp.CSS(`[data-testid=entitlement-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=entitlement-row-`+key+`]`)),
	)
	var id int64
	_, err := fmt.Sscanf(l.path(), "/apps/%d", &id)
	require.NoError(l.t, err, "app page path %s", l.path())
	return id
}

// addWebhookApp adds a webhook app, connects it to the receiver and gives
// the receiver the signing secret the page shows.
func (l *loop) addWebhookApp(name, key, entName string) int64 {
	l.t.Helper()
	id := l.addApp(name, "webhook", "group", key, entName)
	require.Equal(l.t, 1, browsertest.NodeCount(l.t, l.ctx, `[data-testid=app-not-connected]`), "a new webhook app says it is not connected")
	l.do("connect "+name,
		chromedp.SendKeys(chromedp.CSS(`#webhook-url`), l.hook.URL),
		chromedp.Click(chromedp.CSS(`[data-testid=webhook-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=webhook-secret-details] summary`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=webhook-secret-value]`)),
	)
	assert.Contains(l.t, l.flash(), name+"'s URL was saved.")
	assert.Zero(l.t, browsertest.NodeCount(l.t, l.ctx, `[data-testid=app-not-connected]`))
	secret, err := chromedp.Run(l.ctx, chromedp.Value(chromedp.CSS(`[data-testid=webhook-secret-value]`)))
	require.NoError(l.t, err)
	require.GreaterOrEqual(l.t, len(secret), 16, "signing secret")
	l.hook.setSecret(secret)
	l.shot("1-webhook-app.png")
	return id
}

// addManualApp adds a manual app with one licence.
func (l *loop) addManualApp(name, key, entName string) int64 {
	l.t.Helper()
	return l.addApp(name, "manual", "license", key, entName)
}

// buildRule builds "Engineering gets GitHub eng + Laptop" in the rules
// builder: department equals Engineering, granting GitHub's Engineering
// group and Laptop's MacBook, leavers losing it once approved; reviews
// its impact and saves it.
func (l *loop) buildRule() {
	l.t.Helper()
	const (
		cond    = `[data-testid=condition-row][data-index="0"] `
		grant0  = `[data-testid=grant-row][data-index="0"] `
		grant1  = `[data-testid=grant-row][data-index="1"] `
		matches = `[data-testid=preview-count]`
	)
	l.do("rule conditions",
		chromedp.Navigate(l.srv.URL+"/rules/new"),
		browsertest.HTMXReady(`[data-testid=add-condition]`),
		browsertest.WaitText(matches, "10"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=rule-name]`), "Engineering gets GitHub eng + Laptop"),
		browsertest.ChooseOption(cond+`[data-testid=condition-attribute]`, "department"),
		chromedp.SendKeys(chromedp.CSS(cond+`[data-testid=condition-value]`), "Engineering"),
		browsertest.WaitText(matches, "5"),
		browsertest.HTMXIdle(),
	)
	l.do("rule grants",
		browsertest.ChooseOption(grant0+`[data-testid=grant-app]`, "GitHub"),
		browsertest.HTMXReady(grant0+`select[data-testid=grant-entitlement-select]:not([disabled])`),
		browsertest.ChooseOption(grant0+`[data-testid=grant-entitlement-select]`, "Engineering (group: eng)"),
		browsertest.HTMXIdle(),
		chromedp.Click(chromedp.CSS(`[data-testid=add-grant]`)),
		browsertest.HTMXReady(grant1+`[data-testid=grant-app]`),
		browsertest.ChooseOption(grant1+`[data-testid=grant-app]`, "Laptop"),
		browsertest.HTMXReady(grant1+`select[data-testid=grant-entitlement-select]:not([disabled])`),
		browsertest.ChooseOption(grant1+`[data-testid=grant-entitlement-select]`, "MacBook (licence: macbook)"),
		browsertest.HTMXIdle(),
		browsertest.ChooseOption(`[data-testid=leaver-mode]`, "immediately, once approved"),
		browsertest.HTMXIdle(),
	)
	l.shot("2-rule-builder.png")
	l.do("review rule",
		chromedp.Click(chromedp.CSS(`[data-testid=rule-review]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=rule-save]`)),
	)
	impact := browsertest.TextOf(l.t, l.ctx, `[data-testid=impact]`)
	assert.Contains(l.t, impact, "+10 grants")
	assert.Contains(l.t, impact, "across 5 people")
	l.do("save rule",
		chromedp.Click(chromedp.CSS(`[data-testid=rule-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	)
	assert.Contains(l.t, l.flash(), "Engineering gets GitHub eng + Laptop")
	l.srv.waitPlanned(l.t) // the re-plan after the save is a job
}

// approveAll opens a Team Updates tab, checks it lists exactly people,
// selects every row and approves them.
func (l *loop) approveAll(tab string, people []csvPerson) {
	l.t.Helper()
	var want []string
	for _, p := range people {
		want = append(want, loopEmail(p))
	}
	l.do("team updates",
		chromedp.Navigate(l.srv.URL+"/team-updates"),
		chromedp.Click(chromedp.CSS(`[data-testid=tab-`+tab+`]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=changes-table]`)),
	)
	assert.Equal(l.t, []string{"page"}, browsertest.AttrsOf(l.t, l.ctx, `[data-testid=tab-`+tab+`]`, "aria-current"))
	assert.Equal(l.t, fmt.Sprint(len(people)), browsertest.TextOf(l.t, l.ctx, `[data-testid=tab-`+tab+`] [data-testid=tab-count]`))
	assert.ElementsMatch(l.t, want, browsertest.AttrsOf(l.t, l.ctx, `[data-testid=change-row]`, "data-person"))
	l.shot("3-team-updates-" + tab + ".png")
	l.do("approve "+tab,
		chromedp.Click(chromedp.CSS(`[data-testid=select-all]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=approve-selected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	)
	assert.Contains(l.t, l.flash(), "Approved")
	assert.Zero(l.t, browsertest.NodeCount(l.t, l.ctx, `[data-testid=change-row]`), "the tab is empty once everything is approved")
}

// requireJoinerCalls waits for a signed create_account and grant of eng
// for every engineer, each under its own idempotency key, the one Roster
// stored for the action, and checks the call the receiver refused once
// came back with the same key.
func (l *loop) requireJoinerCalls(engineers []csvPerson) {
	l.t.Helper()
	l.waitFor("every engineer's create_account and grant", 30*time.Second, func() bool {
		calls := l.hook.Calls()
		for _, p := range engineers {
			if len(accepted(calls, p.ID)) < 2 {
				return false
			}
		}
		return true
	})
	calls := l.hook.Calls()
	keys := map[string]bool{}
	for _, p := range engineers {
		got := accepted(calls, p.ID)
		require.Len(l.t, got, 2, "%s: %v", p.ID, got)
		for _, op := range []string{"create_account", "grant eng"} {
			c, ok := got[op]
			require.True(l.t, ok, "%s has no %s call: %v", p.ID, op, got)
			assert.Equal(l.t, c.Key, c.BodyID, "the Idempotency-Key header is the body's id")
			assert.False(l.t, keys[c.Key], "key %s used twice", c.Key)
			keys[c.Key] = true
		}
	}
	for _, c := range calls {
		assert.True(l.t, c.Signed, "unsigned call %+v", c)
	}
	stored := l.actionKeys(l.githubApp)
	for k := range keys {
		assert.Contains(l.t, stored, k, "the key sent is the action's")
	}
	// The first create_account was answered 503: the retry carried the
	// same key, and nothing else did.
	require.NotEmpty(l.t, calls)
	refused := slices.IndexFunc(calls, func(c hookCall) bool { return c.Status == 503 })
	require.GreaterOrEqual(l.t, refused, 0, "the receiver never refused a call")
	var attempts []int
	for _, c := range calls {
		if c.Key == calls[refused].Key {
			attempts = append(attempts, c.Status)
		}
	}
	assert.Equal(l.t, []int{503, 200}, attempts, "attempts under key %s", calls[refused].Key)
	assert.Len(l.t, calls, 2*len(engineers)+1, "one call per action and the retry")
}

// actionKeys are the idempotency keys of an app's actions.
func (l *loop) actionKeys(appID int64) []string {
	l.t.Helper()
	var keys []string
	require.NoError(l.t, l.srv.DB.Gorm.Model(&models.Action{}).Where("app_id = ?", appID).Pluck("idempotency_key", &keys).Error)
	return keys
}

// finishLaptopTasks marks the person's laptop tasks done on the Tasks
// page: setting up their Laptop account, then, once it is open, giving
// them the MacBook.
func (l *loop) finishLaptopTasks(p csvPerson) {
	l.t.Helper()
	name := p.First + " " + p.Last
	l.markTaskDone("Set up Laptop for " + name)
	l.shot("4-tasks.png")
	l.markTaskDone("Give Laptop: MacBook for " + name)
	l.do("done tasks", chromedp.WaitVisible(chromedp.CSS(`[data-testid=done-tasks]`)))
	done := browsertest.TextsOf(l.t, l.ctx, `[data-testid=done-row] [data-testid=task-title]`)
	assert.Len(l.t, done, 2)
	for _, d := range done {
		assert.Contains(l.t, d, name)
	}
}

// markTaskDone waits for the open task titled title and marks it done.
func (l *loop) markTaskDone(title string) {
	l.t.Helper()
	find := chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const row = Array.from(document.querySelectorAll('[data-testid=task-row]'))
			.find(r => r.querySelector('[data-testid=task-title] strong').textContent.trim() === %s);
		return row ? row.dataset.taskId : "";
	})()`, browsertest.JSString(title)))
	var id string
	l.waitFor("task "+title, 30*time.Second, func() bool {
		l.do("tasks", chromedp.Navigate(l.srv.URL+"/tasks"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=open-section]`)))
		var err error
		id, err = chromedp.Run(l.ctx, find)
		require.NoError(l.t, err)
		return id != ""
	})
	l.do("mark "+title+" done",
		chromedp.Click(chromedp.CSS(`[data-testid=task-row][data-task-id="`+id+`"] [data-testid=task-done]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash-success]`)),
	)
	assert.Zero(l.t, browsertest.NodeCount(l.t, l.ctx, `[data-testid=task-row][data-task-id="`+id+`"]`), "%s is no longer open", title)
}

// requireJoinerMail waits for the welcome mail at the person's work
// address and the IT alert for their change at both alert addresses, and
// finds both sent in the Outbox. (The owner's daily digest may arrive
// too, depending on the hour.)
func (l *loop) requireJoinerMail(p csvPerson) {
	l.t.Helper()
	name := p.First + " " + p.Last
	var told []smtpMail
	l.waitFor("the welcome mail and the IT alert", 30*time.Second, func() bool {
		told = slices.DeleteFunc(l.smtp.Mails(), func(m smtpMail) bool {
			kind := mailHeader(l.t, m, "X-Roster-Kind")
			return kind != jobs.KindWelcome && kind != jobs.KindITAlert
		})
		return len(told) >= 2
	})
	require.Len(l.t, told, 2, "only the change that is done is told")
	slices.SortFunc(told, func(a, b smtpMail) int {
		return strings.Compare(mailHeader(l.t, b, "X-Roster-Kind"), mailHeader(l.t, a, "X-Roster-Kind"))
	})
	welcome, alert := told[0], told[1]
	assert.Equal(l.t, []string{loopEmail(p)}, welcome.To)
	assert.Equal(l.t, "Welcome to the team, "+p.First+": your accounts are ready", mailHeader(l.t, welcome, "Subject"))
	assert.ElementsMatch(l.t, []string{"it@example.com", "security@example.com"}, alert.To)
	assert.Equal(l.t, "[Roster] "+name+": join carried out (4 actions)", mailHeader(l.t, alert, "Subject"),
		"GitHub's account and group, the laptop's account and MacBook")

	l.waitFor("both mails sent in the Outbox", 10*time.Second, func() bool {
		l.do("outbox", chromedp.Navigate(l.srv.URL+"/outbox"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=outbox-table]`)))
		rows := browsertest.TextsOf(l.t, l.ctx, `[data-testid=outbox-row]`)
		n := 0
		for _, r := range rows {
			if strings.HasPrefix(r, "sent") && (strings.Contains(r, "Welcome to the team, "+p.First) || strings.Contains(r, "[Roster] "+name)) {
				n++
			}
		}
		return n == 2
	})
	l.shot("5-outbox.png")
}

// mailHeader is a header of a message, decoded.
func mailHeader(t *testing.T, m smtpMail, key string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	require.NoError(t, err)
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get(key))
	require.NoError(t, err)
	return s
}

// requireLeaverCalls waits for the leaver's revoke of eng and the disable
// of their GitHub account, signed, under keys not used before.
func (l *loop) requireLeaverCalls(p csvPerson) {
	l.t.Helper()
	l.waitFor(p.ID+"'s revoke and disable", 30*time.Second, func() bool {
		got := accepted(l.hook.Calls(), p.ID)
		_, revoked := got["revoke eng"]
		_, disabled := got["disable"]
		return revoked && disabled
	})
	got := accepted(l.hook.Calls(), p.ID)
	assert.NotContains(l.t, got, "delete", "GitHub disables leavers' accounts")
	assert.Len(l.t, got, 4, "the joiner's two calls and the leaver's two: %v", got)
	stored := l.actionKeys(l.githubApp)
	assert.Len(l.t, stored, 2*5+2, "GitHub's actions: two per engineer, two for the leaver")
	seen := map[string]bool{}
	for _, c := range got {
		assert.False(l.t, seen[c.Key], "key %s reused", c.Key)
		assert.Contains(l.t, stored, c.Key)
		seen[c.Key] = true
	}
}

// requireHeldRun uploads a file missing 30% of the people: the preview
// warns, confirming holds the run, every page shows the banner, and
// nobody leaves, no To Terminate change appears and no deprovisioning
// call is made.
func (l *loop) requireHeldRun(source string, people []csvPerson, missing []string) {
	l.t.Helper()
	calls := len(l.hook.Calls())
	l.upload(source, "people-incomplete.csv", people)
	assert.Equal(l.t, fmt.Sprint(len(missing)), browsertest.TextOf(l.t, l.ctx, `[data-testid=count-leavers]`))
	assert.Contains(l.t, browsertest.TextOf(l.t, l.ctx, `[data-testid=brake-warning]`), "The safety brake will hold this run")
	l.do("confirm the incomplete file",
		chromedp.Click(chromedp.CSS(`[data-testid=run-confirm]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=held-reason]`)),
	)
	assert.Contains(l.t, browsertest.TextOf(l.t, l.ctx, `[data-testid=held-reason]`), "Nothing from this run has been applied")
	assert.Contains(l.t, browsertest.TextOf(l.t, l.ctx, `[data-testid=run-status]`), "Held")
	l.shot("6-held-run.png")
	l.srv.waitPlanned(l.t) // nothing is queued for a held run; nothing can arrive late

	l.do("team updates while held",
		chromedp.Navigate(l.srv.URL+"/team-updates?tab=terminate"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=banner]`)),
	)
	assert.Contains(l.t, browsertest.TextOf(l.t, l.ctx, `[data-testid=banner]`), "held by the safety brake")
	assert.Equal(l.t, "0", browsertest.TextOf(l.t, l.ctx, `[data-testid=tab-terminate] [data-testid=tab-count]`))
	assert.Zero(l.t, browsertest.NodeCount(l.t, l.ctx, `[data-testid=change-row]`))
	l.shot("7-team-updates-held.png")

	l.do("people while held",
		chromedp.Navigate(l.srv.URL+"/people"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=people-table]`)),
	)
	statuses := browsertest.TextsOf(l.t, l.ctx, `[data-testid=person-row] [data-testid=person-status]`)
	assert.Len(l.t, statuses, len(loopPeople))
	assert.Equal(l.t, 1, occurrences(statuses, "Terminated"), "only the approved leaver left: %v", statuses)

	// Nothing is on its way to the receiver: no GitHub action waits or
	// runs, and the missing people have no leave change.
	var open int64
	require.NoError(l.t, l.srv.DB.Gorm.Model(&models.Action{}).
		Where("app_id = ? AND status IN ?", l.githubApp, []models.ActionStatus{models.ActionScheduled, models.ActionRunning}).
		Count(&open).Error)
	assert.Zero(l.t, open, "GitHub actions still to run")
	var leaves int64
	require.NoError(l.t, l.srv.DB.Gorm.Model(&models.Change{}).
		Joins("JOIN people ON people.id = changes.person_id").
		Where("changes.kind = ? AND people.external_id IN ?", models.ChangeLeave, missing).
		Count(&leaves).Error)
	assert.Zero(l.t, leaves, "leave changes for the people missing from the held file")
	assert.Len(l.t, l.hook.Calls(), calls, "calls after the held upload")
}

// occurrences counts the elements of s equal to v.
func occurrences(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
