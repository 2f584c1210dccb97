package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// queueFixture is a small organisation for Team Updates tests: two
// sources, two apps with a catalogue, and helpers to add people and their
// pending changes.
type queueFixture struct {
	t           *testing.T
	srv         *testServer
	hr          *models.Source
	contractors *models.Source
	github      *models.App
	laptop      *models.App
	eng         *models.Entitlement
	macbook     *models.Entitlement
	card        *models.Entitlement
	n           int
}

func newQueueFixture(t *testing.T, srv *testServer) *queueFixture {
	t.Helper()
	ctx := context.Background()
	f := &queueFixture{t: t, srv: srv}
	var err error
	f.hr, err = srv.Store.CreateSource(ctx, models.CLIActor, models.SourceInput{Name: "Workday", Kind: models.SourceCSV})
	require.NoError(t, err)
	f.contractors, err = srv.Store.CreateSource(ctx, models.CLIActor, models.SourceInput{Name: "Contractors", Kind: models.SourceCSV})
	require.NoError(t, err)
	f.github, err = srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	f.laptop, err = srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDelete})
	require.NoError(t, err)
	f.eng, err = srv.Store.CreateEntitlement(ctx, models.CLIActor, f.github.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "eng", Name: "eng"})
	require.NoError(t, err)
	f.macbook, err = srv.Store.CreateEntitlement(ctx, models.CLIActor, f.laptop.ID, models.EntitlementInput{
		Kind: models.EntitlementLicense, Key: "mbp", Name: "MacBook Pro", Params: []models.ParamSpec{{Name: "shipping_kit", Type: models.ParamText}}})
	require.NoError(t, err)
	f.card, err = srv.Store.CreateEntitlement(ctx, models.CLIActor, f.laptop.ID, models.EntitlementInput{
		Kind: models.EntitlementAttribute, Key: "card", Name: "Card", Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber}}})
	require.NoError(t, err)
	return f
}

// personSpec is what a test says about a person; the rest is filled in.
type personSpec struct {
	first, last, department, title string
	source                         *models.Source
	duplicateOf                    *models.Person
	timezone                       string
	lastDay                        string // termination date, YYYY-MM-DD
}

// person inserts a person directly, as a sync would have.
func (f *queueFixture) person(s personSpec) *models.Person {
	f.t.Helper()
	f.n++
	if s.source == nil {
		s.source = f.hr
	}
	p := &models.Person{SourceID: s.source.ID, PersonFields: models.PersonFields{
		ExternalID: fmt.Sprintf("E%04d", f.n), FirstName: s.first, LastName: s.last,
		WorkEmail:  strings.ToLower(s.first+"."+s.last) + "@example.com",
		Department: s.department, Title: s.title, Timezone: s.timezone, TerminationDate: s.lastDay, Status: models.StatusActive,
		Groups: []string{}, Custom: map[string]string{},
	}}
	if s.duplicateOf != nil {
		p.DuplicateOfID = &s.duplicateOf.ID
	}
	p.Hash = p.PersonFields.Hash()
	require.NoError(f.t, f.srv.DB.Gorm.Create(p).Error)
	return p
}

// change makes c the person's pending change, with why as its stored
// explanation.
func (f *queueFixture) change(p *models.Person, c models.Change, why rules.Why) *models.Change {
	f.t.Helper()
	if c.EffectiveAt.IsZero() {
		c.EffectiveAt = time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(f.n) * time.Hour)
	}
	if why.Timing.Local == "" {
		why.Timing = rules.Timing{At: c.EffectiveAt, Basis: "start date at 09:00", Local: c.EffectiveAt.Format("2006-01-02 15:04 UTC"), Zone: "UTC", ZoneSource: "default"}
	}
	raw, err := models.WhyJSON(why)
	require.NoError(f.t, err)
	c.Why, c.Summary = raw, why.Summary()
	open, err := f.srv.Store.ReplaceOpenChange(context.Background(), p.ID, &c)
	require.NoError(f.t, err)
	return open
}

// joiner is a person with a pending join that creates a GitHub account.
func (f *queueFixture) joiner(s personSpec) (*models.Person, *models.Change) {
	f.t.Helper()
	p := f.person(s)
	c := f.change(p, models.Change{Kind: models.ChangeJoin, RuleNames: "Everyone",
		Plan: []models.PlanStep{{Op: "create_account", AppID: f.github.ID, Rules: []int64{1}}}},
		rules.Why{Trigger: "joined", Matched: []rules.RuleMatch{{RuleID: 1, RuleName: "Everyone", Priority: 1, Evaluation: rules.Evaluation{Matched: true}}}})
	return p, c
}

// rowEmails are the people of the listed changes, in order.
func rowEmails(p *page) []string {
	var out []string
	p.TestID("change-row").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-person", ""))
	})
	return out
}

func tabCount(p *page, tab string) string {
	return strings.TrimSpace(p.TestID("tab-" + tab).Find(`[data-testid="tab-count"]`).Text())
}

// htmxGet loads a path as htmx does.
func (b *browser) htmxGet(path string) *page {
	b.t.Helper()
	req := b.request(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

func TestTeamUpdatesTabs(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		existing := f.person(personSpec{first: "Grace", last: "Hopper", department: "Engineering"})
		ada := f.person(personSpec{first: "Ada", last: "Lovelace", department: "Engineering", title: "Engineer", duplicateOf: existing, timezone: "Asia/Tokyo"})
		at := time.Date(2030, 3, 31, 8, 0, 0, 0, time.UTC)
		f.change(ada, models.Change{Kind: models.ChangeJoin, EffectiveAt: at, RuleNames: "Engineering,Laptops",
			Plan: []models.PlanStep{
				{Op: "create_account", AppID: f.github.ID, Rules: []int64{1}},
				{Op: "grant", AppID: f.github.ID, EntitlementID: f.eng.ID, Rules: []int64{1}},
				{Op: "grant", AppID: f.laptop.ID, EntitlementID: f.macbook.ID, Params: map[string]string{"shipping_kit": "standard"}, Rules: []int64{2}},
			}},
			rules.Why{Trigger: "joined", Timing: rules.Timing{At: at, Basis: "start date at 17:00", Local: "2030-03-31 17:00 JST", Zone: "Asia/Tokyo", ZoneSource: "person"}})
		f.change(f.person(personSpec{first: "Rita", last: "Rehire"}), models.Change{Kind: models.ChangeRehire, RuleNames: "Everyone", EffectiveAt: at.AddDate(0, 0, 1)}, rules.Why{Trigger: "rehired"})
		f.change(f.person(personSpec{first: "Mo", last: "Mover"}), models.Change{Kind: models.ChangeMove,
			Plan: []models.PlanStep{{Op: "update", AppID: f.laptop.ID, EntitlementID: f.card.ID, Params: map[string]string{"spend_limit": "500"}, Previous: map[string]string{"spend_limit": "300"}}}},
			rules.Why{Trigger: "changed"})
		f.change(f.person(personSpec{first: "Lee", last: "Leaver"}), models.Change{Kind: models.ChangeLeave,
			Plan: []models.PlanStep{{Op: "revoke", AppID: f.github.ID, EntitlementID: f.eng.ID}, {Op: "disable", AppID: f.github.ID}}},
			rules.Why{Trigger: "left"})

		p := b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("tab-invite").HasClass("active"), "To Invite is the first tab")
		require.Equal(t, "2", tabCount(p, "invite"))
		require.Equal(t, "1", tabCount(p, "update"))
		require.Equal(t, "1", tabCount(p, "terminate"))
		require.Equal(t, []string{"ada.lovelace@example.com", "rita.rehire@example.com"}, rowEmails(p), "soonest first")

		row := p.TestID("change-row").First()
		require.Equal(t, fmt.Sprintf("/people/%d", ada.ID), row.Find(`[data-testid="person-link"]`).AttrOr("href", ""))
		require.Contains(t, row.Text(), "Engineering · Engineer")
		var plan []string
		row.Find(`[data-testid="plan-app"]`).Each(func(_ int, s *goquery.Selection) {
			plan = append(plan, strings.Join(strings.Fields(s.Text()), " "))
		})
		require.Equal(t, []string{"GitHub: create account, grant eng (role)", "Laptop: grant MacBook Pro (shipping_kit=standard)"}, plan)
		effective := row.Find(`[data-testid="effective"]`)
		require.Equal(t, "31 Mar 2030 17:00 Asia/Tokyo", squash(effective.Text()), "in the person's zone, one time for steps run together")
		require.Equal(t, "2030-03-31T08:00:00Z", effective.Find("time").AttrOr("datetime", ""))
		require.Equal(t, "Engineering, Laptops", strings.TrimSpace(row.Find(`[data-testid="rules"]`).Text()))
		dup := row.Find(`[data-testid="duplicate-badge"]`)
		require.Equal(t, fmt.Sprintf("/people/%d", existing.ID), dup.AttrOr("href", ""))
		require.Contains(t, dup.AttrOr("title", ""), "Grace Hopper")
		button := row.Find(`[data-testid="why-button"]`)
		require.Regexp(t, `^/team-updates/\d+/why$`, button.AttrOr("hx-get", ""))
		target := button.AttrOr("hx-target", "")
		require.Equal(t, 1, p.Doc().Find(target).Length(), "the explanation has a place to go")
		require.Zero(t, row.Find(`[data-testid="kind-badge"]`).Length(), "a join needs no badge")
		require.Equal(t, "Rehire", strings.TrimSpace(p.TestID("change-row").Eq(1).Find(`[data-testid="kind-badge"]`).Text()))
		require.Zero(t, p.Doc().Find(`input[type="checkbox"], button[hx-post], form[method="post"] button:not([data-testid="sign-out"])`).Length(),
			"deciding comes later")

		p = b.get("/team-updates?tab=update")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("tab-update").HasClass("active"))
		require.Equal(t, []string{"mo.mover@example.com"}, rowEmails(p))
		require.Contains(t, p.Text("plan"), "Laptop: update Card (spend_limit 300 → 500)")

		p = b.get("/team-updates?tab=terminate")
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"lee.leaver@example.com"}, rowEmails(p))
		require.Contains(t, p.Text("plan"), "GitHub: revoke eng, disable account")

		p = b.get("/team-updates?tab=nonsense")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("tab-invite").HasClass("active"), "an unknown tab shows the first")
	})
}

func TestTeamUpdatesEmptyTabs(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		for tab, says := range map[string]string{
			"invite":    "New hires and rehires",
			"update":    "department, title, location",
			"terminate": "People who leave",
		} {
			p := b.get("/team-updates?tab=" + tab)
			p.requireStatus(http.StatusOK)
			require.Contains(t, p.Text("team-updates-empty"), says, tab)
			require.Equal(t, "0", tabCount(p, tab))
			require.Zero(t, p.TestID("changes-table").Length())
		}
	})
}

func TestTeamUpdatesFilters(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		f.joiner(personSpec{first: "Ada", last: "Lovelace", department: "Engineering"})
		f.joiner(personSpec{first: "Bob", last: "Builder", department: "Sales"})
		f.joiner(personSpec{first: "Cy", last: "Contractor", department: "Engineering", source: f.contractors})
		f.change(f.person(personSpec{first: "Lee", last: "Leaver", department: "Engineering"}), models.Change{Kind: models.ChangeLeave}, rules.Why{Trigger: "left"})

		p := b.get(fmt.Sprintf("/team-updates?source=%d", f.contractors.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, []string{"cy.contractor@example.com"}, rowEmails(p))
		require.Equal(t, "Contractors", strings.TrimSpace(p.Doc().Find(`#f-source option[selected]`).Text()))

		p = b.get("/team-updates?department=Engineering")
		require.ElementsMatch(t, []string{"ada.lovelace@example.com", "cy.contractor@example.com"}, rowEmails(p))
		require.Equal(t, "2", tabCount(p, "invite"))
		require.Equal(t, "1", tabCount(p, "terminate"), "counts follow the filters")
		require.Contains(t, p.TestID("tab-terminate").AttrOr("href", ""), "department=Engineering", "tabs keep the filters")

		p = b.get(fmt.Sprintf("/team-updates?department=Engineering&source=%d", f.hr.ID))
		require.Equal(t, []string{"ada.lovelace@example.com"}, rowEmails(p))

		for _, q := range []string{"lovelace", "ADA", "ada.lovelace@", "E0001"} {
			p = b.get("/team-updates?q=" + q)
			require.Equal(t, []string{"ada.lovelace@example.com"}, rowEmails(p), q)
			require.Equal(t, q, p.Doc().Find("#f-q").AttrOr("value", ""))
		}

		p = b.get("/team-updates?q=nobody")
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Text("team-updates-empty"), "Nothing matches these filters")
		require.Equal(t, "/team-updates?tab=invite", p.TestID("team-updates-empty").Find("a").AttrOr("href", ""))
	})
}

func TestTeamUpdatesPagination(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		for i := range 60 {
			f.joiner(personSpec{first: "P", last: fmt.Sprintf("N%02d", i), department: "Engineering"})
		}

		p := b.get("/team-updates?department=Engineering")
		p.requireStatus(http.StatusOK)
		emails := rowEmails(p)
		require.Len(t, emails, 50)
		require.Equal(t, "p.n00@example.com", emails[0])
		require.Equal(t, "p.n49@example.com", emails[49])
		require.Equal(t, "Showing 1–50 of 60", p.Text("page-info"))
		require.Zero(t, p.TestID("page-prev").Length())
		next := p.TestID("page-next").AttrOr("href", "")
		require.Contains(t, next, "page=2")
		require.Contains(t, next, "department=Engineering")

		p = b.get(next)
		p.requireStatus(http.StatusOK)
		emails = rowEmails(p)
		require.Len(t, emails, 10)
		require.Equal(t, "p.n50@example.com", emails[0])
		require.Equal(t, "Showing 51–60 of 60", p.Text("page-info"))
		require.Zero(t, p.TestID("page-next").Length())
		require.Equal(t, "/team-updates?department=Engineering&tab=invite", p.TestID("page-prev").AttrOr("href", ""))

		b.get("/team-updates?page=9").requireRedirect(http.StatusSeeOther, "/team-updates?page=2&tab=invite")
	})
}

func TestTeamUpdateWhy(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		grace := f.person(personSpec{first: "Grace", last: "Hopper"})
		mo := f.person(personSpec{first: "Mo", last: "Mover", department: "Finance", duplicateOf: grace, timezone: "Europe/Berlin"})
		at := time.Date(2030, 3, 31, 8, 0, 0, 0, time.UTC)
		why := rules.Why{
			Trigger: "changed",
			Diff:    []rules.FieldChange{{Field: "department", Old: "Sales", New: "Finance"}, {Field: "title", Old: "", New: "Controller"}},
			Matched: []rules.RuleMatch{
				{RuleID: 20, RuleName: "Finance cards", Priority: 20, Evaluation: rules.Evaluation{Matched: true, Conditions: []rules.ConditionResult{
					{Condition: rules.Condition{Attribute: "department", Operator: rules.Equals, Value: "Finance"}, Actual: "Finance", Matched: true},
				}}},
				{RuleID: 10, RuleName: "Default cards", Priority: 10, Evaluation: rules.Evaluation{Matched: true}},
			},
			Conflicts: []rules.Conflict{{AppID: f.laptop.ID, EntitlementID: f.card.ID, Param: "spend_limit",
				Winner: rules.RuleValue{RuleID: 20, RuleName: "Finance cards", Priority: 20, Value: "500"},
				Losers: []rules.RuleValue{{RuleID: 10, RuleName: "Default cards", Priority: 10, Value: "300"}}}},
			Timing: rules.Timing{At: at, Basis: "now: a move takes effect at once", Local: "2030-03-31 10:00 CEST", Zone: "Europe/Berlin", ZoneSource: "person"},
		}
		ch := f.change(mo, models.Change{Kind: models.ChangeMove, EffectiveAt: at, RuleNames: "Finance cards,Default cards",
			Plan: []models.PlanStep{{Op: "update", AppID: f.laptop.ID, EntitlementID: f.card.ID,
				Params: map[string]string{"spend_limit": "500"}, Previous: map[string]string{"spend_limit": "300"}, Rules: []int64{20, 10}}}}, why)
		path := fmt.Sprintf("/team-updates/%d/why", ch.ID)

		t.Run("fragment for htmx", func(t *testing.T) {
			p := b.htmxGet(path)
			p.requireStatus(http.StatusOK)
			require.NotContains(t, p.Body, "<html")
			require.NotContains(t, p.Body, `class="sidebar"`)
			text := strings.Join(strings.Fields(p.Text("why")), " ")
			require.Contains(t, text, "Changed in HR.")
			var diff []string
			p.TestID("why-diff").Find("tbody tr").Each(func(_ int, row *goquery.Selection) {
				diff = append(diff, strings.Join(row.Find("td").Map(func(_ int, td *goquery.Selection) string {
					return strings.TrimSpace(td.Text())
				}), " "))
			})
			require.Equal(t, []string{"department Sales → Finance", "title (empty) → Controller"}, diff)
			require.Equal(t, 2, p.TestID("why-rule").Length())
			require.Equal(t, `department equals "Finance" — is "Finance" ✓`, strings.Join(strings.Fields(p.Text("why-condition")), " "))
			require.Contains(t, text, "No conditions: it applies to everyone.")
			require.Contains(t, text, "Gives Laptop: update Card (spend_limit 300 → 500)")
			require.Equal(t, `Laptop · Card: spend_limit 500 from "Finance cards" (priority 20) over 300 from "Default cards" (priority 10)`,
				strings.Join(strings.Fields(p.Text("why-conflict")), " "))
			require.Equal(t, "31 Mar 2030 10:00 Europe/Berlin", squash(p.Text("why-timing-summary")))
			require.Equal(t, []string{"Laptop: update Card (spend_limit 300 → 500) | 31 Mar 2030 10:00 Europe/Berlin | now: a move takes effect at once"},
				whySteps(p), "a plan stored before steps had their own time runs at the change's")
			require.Equal(t, "Times are in Europe/Berlin, the person's time zone.", p.Text("why-zone"))
			link := p.TestID("why-duplicate").Find("a")
			require.Equal(t, fmt.Sprintf("/people/%d", grace.ID), link.AttrOr("href", ""))
			require.Equal(t, "Grace Hopper", link.Text())
		})

		t.Run("page without htmx", func(t *testing.T) {
			p := b.get(path)
			p.requireStatus(http.StatusOK)
			require.Contains(t, p.Body, "<html")
			require.Equal(t, "/team-updates?tab=update", p.TestID("back-link").AttrOr("href", ""))
			require.Contains(t, p.Text("why"), "Finance cards")
			require.Equal(t, "mo.mover@example.com", p.TestID("change-row").AttrOr("data-person", ""))
			require.Zero(t, p.TestID("change-status").Length(), "still pending")
		})

		t.Run("unknown change", func(t *testing.T) {
			b.get("/team-updates/999999/why").requireStatus(http.StatusNotFound)
			b.htmxGet("/team-updates/999999/why").requireStatus(http.StatusNotFound)
			b.get("/team-updates/abc/why").requireStatus(http.StatusNotFound)
		})
	})
}

func TestTeamUpdatesSuperseded(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		f := newQueueFixture(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		ada, first := f.joiner(personSpec{first: "Ada", last: "Lovelace"})
		second := f.change(ada, models.Change{Kind: models.ChangeJoin, RuleNames: "Engineering",
			Plan: []models.PlanStep{{Op: "create_account", AppID: f.github.ID}, {Op: "grant", AppID: f.github.ID, EntitlementID: f.eng.ID}}},
			rules.Why{Trigger: "changed"})
		require.NotEqual(t, first.ID, second.ID)

		p := b.get("/team-updates")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "1", tabCount(p, "invite"))
		rows := p.TestID("change-row")
		require.Equal(t, 1, rows.Length())
		require.Equal(t, fmt.Sprint(second.ID), rows.AttrOr("data-change-id", ""))
		require.Contains(t, rows.Find(`[data-testid="plan"]`).Text(), "grant eng")

		p = b.get(fmt.Sprintf("/team-updates/%d/why", first.ID))
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Text("change-status"), "replaced this change")
	})
}
