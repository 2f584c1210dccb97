package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// importPeople uploads a file to a source and confirms it, as an admin
// would.
func (b *browser) importPeople(src *models.Source, content string) {
	b.t.Helper()
	runPath, _ := b.uploadRun(src, content)
	b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)
	require.Equal(b.t, models.SyncSucceeded, b.srv.runOf(b.t, runPath).Status)
	b.srv.waitPlanned(b.t)
}

// personID finds a person by employee id.
func (s *testServer) personID(t *testing.T, externalID string) int64 {
	t.Helper()
	people, _, err := s.Store.ListPeople(context.Background(), models.PeopleFilter{Search: externalID})
	require.NoError(t, err)
	for _, p := range people {
		if p.ExternalID == externalID {
			return p.ID
		}
	}
	t.Fatalf("no person %s", externalID)
	return 0
}

func texts(sel *goquery.Selection) []string {
	return sel.Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
}

func TestPeopleListFiltersAndPages(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		hr, contractors := srv.newSource(t, "HR"), srv.newSource(t, "Contractors")
		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)

		// 60 people: 20 engineers, 40 in sales of whom 5 are on leave.
		staffers := staff(60)
		for i := 20; i < 60; i++ {
			staffers[i].Department, staffers[i].Title = "Sales", "Account Executive"
		}
		for i := 55; i < 60; i++ {
			staffers[i].Status = "leave"
		}
		staffers[6].Email = "grace.hopper@example.com"
		admin.importPeople(hr, csvFile(staffers))
		admin.importPeople(contractors, csvFile([]csvPerson{
			{ID: "C1", First: "Carla", Last: "Contractor", Department: "Design", Title: "Designer"},
			{ID: "C2", First: "Cyril", Last: "Contractor", Department: "Design", Title: "Designer"},
			{ID: "C3", First: "Cora", Last: "Contractor", Department: "Design", Title: "Designer", Status: "pending"},
		}))

		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get("/people")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 50, p.TestID("person-row").Length())
		assert.Equal(t, "Showing 1–50 of 63", p.Text("pager-info"))
		assert.Equal(t, 0, p.TestID("page-prev").Length())
		next := p.TestID("page-next").AttrOr("href", "")
		require.Equal(t, "/people?page=2", next)
		first := p.TestID("person-row").First()
		assert.Equal(t, "Carla Contractor", strings.TrimSpace(first.Find(`[data-testid="person-link"]`).Text()), "ordered by last name")
		assert.Contains(t, first.Text(), "carla.contractor@example.com")
		assert.Contains(t, first.Text(), "Contractors")
		assert.Contains(t, first.Text(), "2024-01-15")
		assert.Equal(t, "Active", strings.TrimSpace(first.Find(`[data-testid="person-status"]`).Text()))

		p = b.get(next)
		p.requireStatus(http.StatusOK)
		require.Equal(t, 13, p.TestID("person-row").Length())
		assert.Equal(t, "Showing 51–63 of 63", p.Text("pager-info"))
		assert.Equal(t, "/people", p.TestID("page-prev").AttrOr("href", ""))
		assert.Equal(t, 0, p.TestID("page-next").Length())

		b.get("/people?page=9").requireRedirect(http.StatusSeeOther, "/people?page=2")

		for query, want := range map[string]int{
			"department=Engineering":                 20,
			"department=Sales":                       40,
			"status=leave":                           5,
			"status=pending":                         1,
			fmt.Sprintf("source=%d", contractors.ID): 3,
			fmt.Sprintf("source=%d", hr.ID):          50, // a full page of 60
			"q=number007":                            1,
			"q=GRACE.HOPPER@":                        1,
			"q=E05":                                  10,
			"department=Sales&status=leave&q=number": 5,
		} {
			p := b.get("/people?" + query)
			p.requireStatus(http.StatusOK)
			assert.Equal(t, want, p.TestID("person-row").Length(), query)
		}
		p = b.get(fmt.Sprintf("/people?source=%d&page=2", hr.ID))
		assert.Equal(t, "Showing 51–60 of 60", p.Text("pager-info"))
		assert.Equal(t, fmt.Sprintf("/people?source=%d", hr.ID), p.TestID("page-prev").AttrOr("href", ""), "the filters carry over")

		p = b.get("/people?department=Sales")
		assert.Equal(t, "Sales", p.Doc().Find(`#f-department option[selected]`).AttrOr("value", ""))
		assert.Equal(t, []string{"", "Design", "Engineering", "Sales"}, p.Doc().Find(`#f-department option`).Map(
			func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "?") }))

		p = b.get("/people?department=Design&status=leave")
		p.requireStatus(http.StatusOK)
		assert.Equal(t, 0, p.TestID("person-row").Length())
		assert.Contains(t, p.Text("people-empty"), "Nobody matches")

		p = b.get("/people?status=bogus&page=-3")
		p.requireStatus(http.StatusOK)
		assert.Equal(t, 50, p.TestID("person-row").Length(), "unknown values are ignored")
	})
}

func TestPeopleEmpty(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	p := b.get("/people")
	p.requireStatus(http.StatusOK)
	assert.Contains(t, p.Text("people-empty"), "No people yet")
	assert.Equal(t, 0, p.TestID("pager").Length())
}

func TestPersonPage(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		ctx := context.Background()
		srv := newServer(t, dialect)
		actor := models.CLIActor
		github, err := srv.Store.CreateApp(ctx, actor, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDelete})
		require.NoError(t, err)
		eng, err := srv.Store.CreateEntitlement(ctx, actor, github.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng", Name: "Engineers team"})
		require.NoError(t, err)
		cards, err := srv.Store.CreateApp(ctx, actor, models.AppInput{Kind: models.AppManual, Name: "Cards", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		card, err := srv.Store.CreateEntitlement(ctx, actor, cards.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card", Name: "Company card",
			Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber}}})
		require.NoError(t, err)
		engineers := &models.Rule{Name: "Engineers", Enabled: true, Priority: 20, Match: "all",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants: []models.RuleGrant{{AppID: github.ID, EntitlementID: eng.ID},
				{AppID: cards.ID, EntitlementID: card.ID, Params: map[string]string{"spend_limit": "500"}}}}
		require.NoError(t, srv.Store.SaveRule(ctx, actor, engineers))
		everyone := &models.Rule{Name: "Default cards", Enabled: true, Priority: 10, Match: "all",
			Grants: []models.RuleGrant{{AppID: cards.ID, EntitlementID: card.ID, Params: map[string]string{"spend_limit": "300"}}}}
		require.NoError(t, srv.Store.SaveRule(ctx, actor, everyone))
		sales := &models.Rule{Name: "Sales", Enabled: true, Priority: 5, Match: "all",
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Sales"}},
			Grants:     []models.RuleGrant{{AppID: github.ID, EntitlementID: eng.ID}}}
		require.NoError(t, srv.Store.SaveRule(ctx, actor, sales))

		hr := srv.newSource(t, "HR")
		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)
		file := csvColumns + ",laptop\n" +
			"E1,Ada,Lovelace,ada@example.com,active,2024-01-15,Engineering,Engineer,London,MacBook Pro\n" +
			"E2,Alan,Turing,alan@example.com,active,2024-01-15,Research,Scientist,Manchester,\n"
		admin.importPeople(hr, file)
		ada := srv.personID(t, "E1")

		// A mover: Ada's title and location change.
		moved := strings.Replace(file, "Engineering,Engineer,London", "Engineering,Staff Engineer,Berlin", 1)
		admin.importPeople(hr, moved)

		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get(fmt.Sprintf("/people/%d", ada))
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("person-page").Length())
		assert.Equal(t, "Ada Lovelace", strings.TrimSpace(p.Doc().Find("h1").Text()))
		assert.Equal(t, "Active", p.TestID("person-facts").Find(`[data-testid="person-status"]`).Text())
		assert.Equal(t, "HR", p.Text("person-source"))

		attr := func(name string) string {
			return strings.TrimSpace(p.TestID("attr-" + name).Find(`[data-testid="attr-value"]`).Text())
		}
		assert.Equal(t, "E1", attr("employee_id"))
		assert.Equal(t, "Staff Engineer", attr("title"))
		assert.Equal(t, "Berlin", attr("location"))
		assert.Equal(t, "MacBook Pro", attr("laptop"), "custom attributes are listed")
		assert.Equal(t, "—", attr("phone"))
		names := p.TestID("attributes").Find("tr[data-testid] th").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
		require.Equal(t, append(append([]string{}, models.StandardAttributes...), "laptop"), names, "standard attributes first, in order")

		// History, newest first, with the mover's diff.
		events := p.TestID("history-event")
		require.Equal(t, 2, events.Length())
		assert.Equal(t, []string{"Changed in HR", "Already on staff"}, texts(p.TestID("event-kind")), "the source's first file was a baseline")
		assert.Contains(t, p.Text("person-baseline"), "current staff since the baseline")
		diff := events.First().Find(`[data-testid="event-diff"]`)
		assert.Equal(t, []string{"title", "Engineer", "Staff Engineer"}, texts(diff.Find(`[data-testid="diff-title"] td`)))
		assert.Equal(t, []string{"location", "London", "Berlin"}, texts(diff.Find(`[data-testid="diff-location"] td`)))
		assert.Equal(t, 2, diff.Find("tbody tr").Length(), "only what changed")
		runLink := events.First().Find("a").AttrOr("href", "")
		assert.Regexp(t, fmt.Sprintf(`^/sources/%d/runs/\d+$`, hr.ID), runLink)
		b.get(runLink).requireStatus(http.StatusOK)

		// Rules: which match and why, the access they resolve to, and the
		// conflict priority settled.
		rule := func(r *models.Rule) *goquery.Selection { return p.TestID(fmt.Sprintf("rule-%d", r.ID)) }
		assert.Equal(t, 1, rule(engineers).Find(`[data-testid="rule-matched"]`).Length())
		assert.Equal(t, 1, rule(everyone).Find(`[data-testid="rule-matched"]`).Length())
		assert.Equal(t, 1, rule(sales).Find(`[data-testid="rule-not-matched"]`).Length())
		assert.Contains(t, rule(sales).Find(`[data-testid="rule-condition"]`).Text(), `department equals "Sales"`)
		assert.Contains(t, rule(sales).Find(`[data-testid="rule-condition"]`).Text(), `(is "Engineering")`)
		assert.Contains(t, rule(everyone).Text(), "applies to everyone")
		grants := texts(p.TestID("desired-grant"))
		require.Len(t, grants, 2)
		assert.Contains(t, grants[0], "GitHub · Engineers team")
		assert.Contains(t, grants[0], "from Engineers")
		assert.Contains(t, grants[1], "Cards · Company card")
		assert.Contains(t, grants[1], "spend_limit=500")
		assert.Contains(t, p.Text("conflict"), `spend_limit 500 from "Engineers" (priority 20) over 300 from "Default cards" (priority 10)`)

		// The pending change the rules planned.
		require.Equal(t, 1, p.TestID("person-pending").Length())
		assert.NotEmpty(t, p.Text("pending-summary"))
		assert.Contains(t, p.Text("pending-plan"), "GitHub")
		assert.Contains(t, p.Text("pending-plan"), "Cards")
		assert.Contains(t, p.TestID("pending-queue").AttrOr("href", ""), "/team-updates?tab=")

		assert.Equal(t, 1, p.TestID("no-accounts").Length())
		assert.Equal(t, 0, p.TestID("person-duplicate").Length())

		// Actual access, once execution has recorded some.
		acct := models.Account{PersonID: ada, AppID: github.ID, RemoteID: "ada-gh", Status: models.AccountActive}
		require.NoError(t, srv.DB.Gorm.Create(&acct).Error)
		require.NoError(t, srv.DB.Gorm.Create(&models.Grant{AccountID: acct.ID, EntitlementID: eng.ID, Params: map[string]string{}}).Error)
		p = b.get(fmt.Sprintf("/people/%d", ada))
		assert.Equal(t, 0, p.TestID("no-accounts").Length())
		assert.Contains(t, p.Text("accounts"), "GitHub")
		assert.Contains(t, p.Text("accounts"), "ada-gh")
		assert.Contains(t, p.Text("accounts"), "Engineers team")

		b.get("/people/999999").requireStatus(http.StatusNotFound)
		b.get("/people/abc").requireStatus(http.StatusNotFound)
	})
}

func TestPersonDuplicateFlag(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	admin := srv.browser(t)
	admin.signInAs(models.RoleAdmin)
	admin.importPeople(srv.newSource(t, "HR"), csvFile([]csvPerson{{ID: "E1", First: "Ada", Last: "Lovelace", Email: "ada@example.com"}}))
	admin.importPeople(srv.newSource(t, "Contractors"), csvFile([]csvPerson{{ID: "C1", First: "Ada", Last: "King", Email: "ada@example.com"}}))
	original, copy := srv.personID(t, "E1"), srv.personID(t, "C1")

	p := admin.get("/people")
	require.Equal(t, 2, p.TestID("person-row").Length())
	assert.Equal(t, 1, p.TestID("duplicate-badge").Length())
	assert.Contains(t, p.TestID("duplicate-badge").Closest("tr").Text(), "Ada King")

	p = admin.get(fmt.Sprintf("/people/%d", copy))
	require.Equal(t, 1, p.TestID("person-duplicate").Length())
	assert.Equal(t, fmt.Sprintf("/people/%d", original), p.TestID("person-duplicate").Find("a").AttrOr("href", ""))
	assert.Contains(t, p.Text("person-duplicate"), "Ada Lovelace")
}
