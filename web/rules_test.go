package web_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web"
)

// ruleWorld is a small catalogue and staff for the rules tests: GitHub
// with two teams, a company card whose entitlement needs a spend limit,
// and three people.
type ruleWorld struct {
	github, card, laptop   *models.App
	eng, admin, cardEnt    *models.Entitlement
	ada, grace, alan       int64
	githubID, cardID       string
	engID, adminID, cardEn string
}

func newRuleWorld(t *testing.T, srv *testServer) *ruleWorld {
	t.Helper()
	ctx := context.Background()
	w := &ruleWorld{}
	app := func(name string) *models.App {
		a, err := srv.Store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppWebhook, Name: name, DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		return a
	}
	ent := func(a *models.App, in models.EntitlementInput) *models.Entitlement {
		e, err := srv.Store.CreateEntitlement(ctx, models.CLIActor, a.ID, in)
		require.NoError(t, err)
		return e
	}
	w.github, w.card, w.laptop = app("GitHub"), app("Card"), app("Laptop")
	w.eng = ent(w.github, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
	w.admin = ent(w.github, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin"})
	w.cardEnt = ent(w.card, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card", Name: "Company card",
		Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber, Required: true, Label: "Spend limit"}}})
	w.githubID, w.cardID = strconv.FormatInt(w.github.ID, 10), strconv.FormatInt(w.card.ID, 10)
	w.engID, w.adminID, w.cardEn = strconv.FormatInt(w.eng.ID, 10), strconv.FormatInt(w.admin.ID, 10), strconv.FormatInt(w.cardEnt.ID, 10)

	ids := addRulePeople(t, srv,
		models.PersonFields{ExternalID: "e1", FirstName: "Ada", LastName: "Lovelace", WorkEmail: "ada@example.com", Department: "Engineering",
			Location: "Berlin", Status: models.StatusActive, StartDate: "2030-01-06", Custom: map[string]string{"shirt_size": "M"}},
		models.PersonFields{ExternalID: "e2", FirstName: "Grace", LastName: "Hopper", WorkEmail: "grace@example.com", Department: "Engineering",
			Location: "Paris", Status: models.StatusActive, StartDate: "2030-01-06"},
		models.PersonFields{ExternalID: "e3", FirstName: "Alan", LastName: "Turing", WorkEmail: "alan@example.com", Department: "Sales",
			Location: "Berlin", Status: models.StatusActive, StartDate: "2030-01-06"},
	)
	w.ada, w.grace, w.alan = ids[0], ids[1], ids[2]
	return w
}

// addRulePeople stores joiners as a sync run would.
func addRulePeople(t *testing.T, srv *testServer, people ...models.PersonFields) []int64 {
	t.Helper()
	ctx := context.Background()
	src, err := srv.Store.EnsureCSVSource(ctx, models.CLIActor, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning, Trigger: "cli"}
	require.NoError(t, srv.Store.CreateSyncRun(ctx, run, nil))
	changes := make([]models.PersonChange, len(people))
	for i, f := range people {
		changes[i] = models.PersonChange{Kind: models.EventJoined, Fields: f, Diff: []models.FieldChange{}}
	}
	ids, err := srv.Store.ApplySyncRun(ctx, models.CLIActor, run, models.SyncRunning, models.SyncCounts{Joiners: len(people)}, changes)
	require.NoError(t, err)
	return ids
}

// engRuleForm is a valid builder form: Engineering gets GitHub eng.
func (w *ruleWorld) engRuleForm(name string) url.Values {
	return url.Values{
		"name": {name}, "priority": {"10"}, "enabled": {"1"}, "match": {"all"},
		"conditions.0.attribute": {"department"}, "conditions.0.operator": {"equals"}, "conditions.0.value": {"Engineering"},
		"grants.0.app_id": {w.githubID}, "grants.0.entitlement_id": {w.engID},
		"joiner_days": {"0"}, "joiner_direction": {"after"}, "joiner_time": {"09:00"},
		"leaver_mode": {"at_date"}, "leaver_time": {"17:00"}, "approval": {"review"},
	}
}

// ruleHTMX sends a request as htmx does: the CSRF token in a header.
func (b *browser) ruleHTMX(method, path string, form url.Values) *page {
	b.t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req = b.request(method, path, nil)
	} else {
		req = b.request(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", b.token())
	return b.do(req)
}

func rulePendingJoiners(t *testing.T, srv *testServer) map[int64]models.ChangeRow {
	t.Helper()
	srv.waitPlanned(t)
	rows, _, err := srv.Store.ListChanges(context.Background(), models.ChangeFilter{Queue: models.QueueInvite})
	require.NoError(t, err)
	out := map[int64]models.ChangeRow{}
	for _, r := range rows {
		out[r.PersonID] = r
	}
	return out
}

// ruleFieldMessage is the message shown in the .field around the element
// matching sel.
func ruleFieldMessage(p *page, sel string) string {
	el := p.Doc().Find(sel)
	require.Equal(p.t, 1, el.Length(), "one element %s", sel)
	return strings.TrimSpace(el.Closest(".field").Find(".field-error").Text())
}

func TestRuleBuilderRowFragments(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		p := b.ruleHTMX(http.MethodGet, "/rules/builder/condition?i=3", nil)
		p.requireStatus(http.StatusOK)
		require.NotContains(t, p.Body, "<html", "a fragment, not a page")
		row := p.TestID("condition-row")
		require.Equal(t, 1, row.Length())
		require.Equal(t, "3", row.AttrOr("data-index", ""))
		for _, name := range []string{"conditions.3.attribute", "conditions.3.operator", "conditions.3.value"} {
			require.Equal(t, 1, row.Find(`[name="`+name+`"]`).Length(), name)
		}
		require.Equal(t, 1, row.Find(`option[value="shirt_size"]`).Length(), "custom attributes are offered")
		add := p.TestID("add-condition")
		require.Equal(t, "/rules/builder/condition?i=4", add.AttrOr("hx-get", ""))
		require.Equal(t, "true", add.AttrOr("hx-swap-oob", ""))

		// A new operator re-renders the row: no value for "is empty".
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/condition?refresh=1&i=3&conditions.3.attribute=team&conditions.3.operator=is_empty", nil)
		p.requireStatus(http.StatusOK)
		require.Zero(t, p.TestID("add-condition").Length())
		require.Zero(t, p.Doc().Find(`[name="conditions.3.value"]`).Length())
		require.Equal(t, "team", p.Doc().Find(`[name="conditions.3.attribute"] option[selected]`).AttrOr("value", ""))
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/condition?refresh=1&i=3&conditions.3.attribute=location&conditions.3.operator=in&conditions.3.value=", nil)
		require.Equal(t, "comma-separated, e.g. Berlin, Paris", p.Doc().Find(`[name="conditions.3.value"]`).AttrOr("placeholder", ""))
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/condition?refresh=1&i=3&conditions.3.attribute=location&conditions.3.operator=in&conditions.3.value=Berlin", nil)
		p.requireStatus(http.StatusNoContent) // the typed value stays as it is

		p = b.ruleHTMX(http.MethodGet, "/rules/builder/grant?i=2", nil)
		p.requireStatus(http.StatusOK)
		require.Equal(t, "2", p.TestID("grant-row").AttrOr("data-index", ""))
		apps := p.Doc().Find(`[name="grants.2.app_id"] option`)
		require.Equal(t, 4, apps.Length(), "a placeholder and three apps")
		require.Equal(t, "/rules/builder/grant?i=3", p.TestID("add-grant").AttrOr("hx-get", ""))

		for _, path := range []string{"/rules/builder/condition?remove=1", "/rules/builder/grant?remove=1"} {
			p = b.ruleHTMX(http.MethodGet, path, nil)
			p.requireStatus(http.StatusOK)
			require.Empty(t, p.Body)
			require.Equal(t, "rule-rows-changed", p.Header.Get("HX-Trigger-After-Settle"))
		}
		b.ruleHTMX(http.MethodGet, "/rules/builder/condition?i=x", nil).requireStatus(http.StatusBadRequest)
		_ = w
	})
}

func TestRuleBuilderEntitlementsFollowApp(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		p := b.ruleHTMX(http.MethodGet, "/rules/builder/entitlements?i=1&grants.1.app_id="+w.githubID, nil)
		p.requireStatus(http.StatusOK)
		var values []string
		p.Doc().Find(`select[name="grants.1.entitlement_id"] option`).Each(func(_ int, o *goquery.Selection) {
			values = append(values, o.AttrOr("value", ""))
		})
		require.ElementsMatch(t, []string{"", w.engID, w.adminID}, values, "only GitHub's entitlements")
		require.Zero(t, p.TestID("grant-param").Length())

		// The brief's query names work too; the card's only entitlement is
		// picked, with its parameter input.
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/entitlements?i=1&app_id="+w.cardID, nil)
		sel := p.Doc().Find(`select[name="grants.1.entitlement_id"]`)
		require.Equal(t, w.cardEn, sel.Find("option[selected]").AttrOr("value", ""))
		require.NotContains(t, sel.Text(), "eng")
		param := p.Doc().Find(`input[name="grants.1.params.spend_limit"]`)
		require.Equal(t, 1, param.Length())
		require.Contains(t, p.Text("grant-param"), "Spend limit")

		// A GitHub entitlement does not stay chosen under another app.
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/entitlements?i=1&grants.1.app_id="+w.cardID+"&grants.1.entitlement_id="+w.engID, nil)
		require.Equal(t, w.cardEn, p.Doc().Find(`select[name="grants.1.entitlement_id"] option[selected]`).AttrOr("value", ""))

		// Values typed so far are kept when the fragment is re-rendered.
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/entitlements?i=1&grants.1.app_id="+w.cardID+"&grants.1.entitlement_id="+w.cardEn+"&grants.1.params.spend_limit=900", nil)
		require.Equal(t, "900", p.Doc().Find(`input[name="grants.1.params.spend_limit"]`).AttrOr("value", ""))

		// No app: nothing to choose yet.
		p = b.ruleHTMX(http.MethodGet, "/rules/builder/entitlements?i=1", nil)
		require.Equal(t, 1, p.Doc().Find(`select[disabled]`).Length())
	})
}

func TestRuleBuilderPreview(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		preview := func(form url.Values) *page {
			p := b.ruleHTMX(http.MethodPost, "/rules/builder/preview", form)
			p.requireStatus(http.StatusOK)
			require.NotContains(t, p.Body, "<html")
			require.Equal(t, 1, p.TestID("rule-preview").Length())
			return p
		}
		p := preview(url.Values{"match": {"all"}, "conditions.0.attribute": {"department"}, "conditions.0.operator": {"equals"}, "conditions.0.value": {"engineering"}})
		require.Equal(t, "2", p.Text("preview-count"))
		require.Contains(t, p.Text("preview-names"), "Ada Lovelace")
		require.Contains(t, p.Text("preview-names"), "Grace Hopper")
		require.NotContains(t, p.Text("preview-names"), "Alan")

		two := url.Values{"match": {"all"},
			"conditions.0.attribute": {"department"}, "conditions.0.operator": {"equals"}, "conditions.0.value": {"Engineering"},
			"conditions.4.attribute": {"location"}, "conditions.4.operator": {"equals"}, "conditions.4.value": {"Berlin"}}
		p = preview(two)
		require.Equal(t, "1", p.Text("preview-count"))
		require.Equal(t, "Ada Lovelace", p.Text("preview-names"))

		two.Set("match", "any")
		require.Equal(t, "3", preview(two).Text("preview-count"))

		// An incomplete condition is left out, not read as "equals nothing".
		p = preview(url.Values{"conditions.0.attribute": {"department"}, "conditions.0.operator": {"equals"}, "conditions.0.value": {"Sales"},
			"conditions.1.attribute": {"location"}, "conditions.1.operator": {"in"}, "conditions.1.value": {""},
			"conditions.2.attribute": {"start_date"}, "conditions.2.operator": {"before"}, "conditions.2.value": {"2030-0"}})
		require.Equal(t, "1", p.Text("preview-count"))
		require.Contains(t, p.Text("preview-ignored"), "2 incomplete conditions")

		p = preview(url.Values{"conditions.0.attribute": {"shirt_size"}, "conditions.0.operator": {"is_not_empty"}})
		require.Equal(t, "1", p.Text("preview-count"), "custom attributes are matched")

		p = preview(url.Values{})
		require.Equal(t, "3", p.Text("preview-count"), "no conditions match everyone")
		require.Empty(t, srv.auditEvents(t, models.ActionRuleCreated), "the preview writes nothing")
	})
}

func TestRuleReviewInvalid(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		form := url.Values{
			"name": {""}, "priority": {"high"}, "match": {"all"},
			"conditions.2.attribute": {"department"}, "conditions.2.operator": {"equals"}, "conditions.2.value": {"Engineering"},
			"conditions.5.attribute": {"location"}, "conditions.5.operator": {"in"}, "conditions.5.value": {" , "},
			"conditions.9.attribute": {""}, "conditions.9.operator": {"equals"}, "conditions.9.value": {"orphan"},
			"conditions.11.attribute": {"team"}, "conditions.11.operator": {"not_equals"}, "conditions.11.value": {""},
			"grants.3.app_id": {w.githubID}, "grants.3.entitlement_id": {w.cardEn},
			"grants.7.app_id": {w.cardID}, "grants.7.entitlement_id": {w.cardEn}, "grants.7.params.spend_limit": {"lots"},
			"joiner_days": {"-2"}, "joiner_time": {"25:00"}, "leaver_mode": {"days_after"}, "leaver_days": {"x"}, "approval": {"review"},
		}
		p := b.post("/rules/review", form)
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "Give the rule a name.", ruleFieldMessage(p, "#rule-name"))
		require.Contains(t, ruleFieldMessage(p, "#rule-priority"), "whole number")
		require.Empty(t, ruleFieldMessage(p, `[name="conditions.2.value"]`))
		require.Contains(t, ruleFieldMessage(p, `[name="conditions.5.value"]`), "comma-separated list")
		require.Equal(t, "Choose an attribute.", ruleFieldMessage(p, `[name="conditions.9.attribute"]`))
		require.Contains(t, ruleFieldMessage(p, `[name="conditions.11.value"]`), "Enter a value")
		require.Equal(t, "Choose one of this app's entitlements.", ruleFieldMessage(p, `select[name="grants.3.entitlement_id"]`))
		require.Equal(t, "Spend limit must be a number, like 5000.", ruleFieldMessage(p, `[name="grants.7.params.spend_limit"]`))
		require.Contains(t, ruleFieldMessage(p, "#joiner-days"), "whole number of days")
		require.Contains(t, ruleFieldMessage(p, "#leaver-days"), "whole number of days")
		// The input is kept.
		require.Equal(t, "orphan", p.Doc().Find(`[name="conditions.9.value"]`).AttrOr("value", ""))
		require.Equal(t, "lots", p.Doc().Find(`[name="grants.7.params.spend_limit"]`).AttrOr("value", ""))

		// Missing required parameter, no grants, a taken name.
		_, err := srv.Store.ListRules(context.Background())
		require.NoError(t, err)
		b.post("/rules/save", url.Values{"rule_json": {ruleJSON(t, b, w.engRuleForm("Engineering"))}}).requireStatus(http.StatusSeeOther)
		form = url.Values{"name": {"engineering"}, "grants.0.app_id": {w.cardID}, "grants.0.entitlement_id": {w.cardEn}}
		p = b.post("/rules/review", form)
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, ruleFieldMessage(p, "#rule-name"), "already called “Engineering”")
		require.Equal(t, "Enter Spend limit: this entitlement needs it.", ruleFieldMessage(p, `[name="grants.0.params.spend_limit"]`))
		p = b.post("/rules/review", url.Values{"name": {"Nothing"}, "grants.4.app_id": {""}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, p.Text("grants-error"), "Add at least one grant")
		require.Len(t, srv.auditEvents(t, models.ActionRuleCreated), 1)
	})
}

// ruleJSON reviews a form and returns the reviewed rule's hidden field.
func ruleJSON(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	p := b.post("/rules/review", form)
	p.requireStatus(http.StatusOK)
	raw, ok := p.Doc().Find(`input[name="rule_json"]`).Attr("value")
	require.True(t, ok, "review page carries the rule")
	return raw
}

func TestRuleReviewSaveEdit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		admin := b.signInAs(models.RoleAdmin)
		ctx := context.Background()

		p := b.post("/rules/review", w.engRuleForm("Engineering"))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "+2 grants, −0 revokes, ~0 updates across 2 people", p.Text("impact"))
		require.Contains(t, p.Text("rule-summary"), "department equals Engineering")
		require.Contains(t, p.Text("rule-summary"), "GitHub: eng")
		require.Empty(t, rulePendingJoiners(t, srv), "reviewing changes nothing")
		raw, _ := p.Doc().Find(`input[name="rule_json"]`).Attr("value")

		// Back to editing keeps the values.
		p = b.post("/rules/review", url.Values{"rule_json": {raw}, "edit": {"1"}})
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Engineering", p.Doc().Find("#rule-name").AttrOr("value", ""))
		require.Equal(t, "Engineering", p.Doc().Find(`[name="conditions.0.value"]`).AttrOr("value", ""))
		require.Equal(t, "2", p.Text("preview-count"))

		p = b.post("/rules/save", url.Values{"rule_json": {raw}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		list, err := srv.Store.ListRules(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		rule := list[0]
		require.Equal(t, "/rules/"+strconv.FormatInt(rule.ID, 10), p.Location())
		require.Equal(t, 1, rule.Version)
		require.Equal(t, 10, rule.Priority)
		require.Len(t, rule.Grants, 1)
		require.Equal(t, w.github.ID, rule.Grants[0].AppID)
		require.Equal(t, w.eng.ID, rule.Grants[0].EntitlementID)
		require.Empty(t, rule.Grants[0].Params)
		created := srv.auditEvents(t, models.ActionRuleCreated)
		require.Len(t, created, 1)
		require.Equal(t, admin.Email, created[0].ActorEmail)

		pending := rulePendingJoiners(t, srv)
		require.Len(t, pending, 2, "re-planned: Ada and Grace wait in Team Updates")
		require.Contains(t, pending, w.ada)
		require.Contains(t, pending, w.grace)
		require.Contains(t, pending[w.ada].RuleNames, "Engineering")

		p = b.get(p.Location())
		p.requireStatus(http.StatusOK)
		require.Contains(t, p.Flash("success"), "Rule “Engineering” saved (version 1)")
		require.Contains(t, p.Flash("success"), "re-planned")

		// Editing: narrow to Berlin; the review says who loses access.
		form := w.engRuleForm("Engineering Berlin")
		form.Set("id", strconv.FormatInt(rule.ID, 10))
		form.Set("version", "1")
		form.Set("conditions.1.attribute", "location")
		form.Set("conditions.1.operator", "equals")
		form.Set("conditions.1.value", "Berlin")
		p = b.post("/rules/review", form)
		p.requireStatus(http.StatusOK)
		require.Equal(t, "+0 grants, −1 revoke, ~0 updates across 1 person", p.Text("impact"))
		raw, _ = p.Doc().Find(`input[name="rule_json"]`).Attr("value")
		b.post("/rules/save", url.Values{"rule_json": {raw}}).requireStatus(http.StatusSeeOther)
		saved, err := srv.Store.RuleByID(ctx, rule.ID)
		require.NoError(t, err)
		require.Equal(t, 2, saved.Version)
		require.Equal(t, "Engineering Berlin", saved.Name)
		require.Len(t, saved.Conditions, 2)
		pending = rulePendingJoiners(t, srv)
		require.Len(t, pending, 1)
		require.Contains(t, pending, w.ada)

		// Saving the version-1 review again is refused: someone saved since.
		p = b.post("/rules/save", url.Values{"rule_json": {raw}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Contains(t, p.Text("form-error"), "now version 2")
		require.Equal(t, "2", p.Doc().Find(`input[name="version"]`).AttrOr("value", ""))

		// A tampered hidden field is checked like a form.
		var tampered models.Rule
		require.NoError(t, json.Unmarshal([]byte(raw), &tampered))
		tampered.ID, tampered.Name = 0, "Other"
		tampered.Grants[0].EntitlementID = w.cardEnt.ID
		bad, _ := json.Marshal(tampered)
		p = b.post("/rules/save", url.Values{"rule_json": {string(bad)}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "Choose one of this app's entitlements.", ruleFieldMessage(p, `select[name="grants.0.entitlement_id"]`))
		b.post("/rules/save", url.Values{"rule_json": {"{"}}).requireStatus(http.StatusBadRequest)

		// The list shows the rule in words.
		p = b.get("/rules")
		p.requireStatus(http.StatusOK)
		row := p.TestID("rule-row-" + strconv.FormatInt(rule.ID, 10))
		require.Equal(t, "department equals Engineering AND location equals Berlin", strings.TrimSpace(row.Find(`[data-testid="rule-conditions"]`).Text()))
		require.Equal(t, "GitHub: eng", strings.TrimSpace(row.Find(`[data-testid="rule-grants"]`).Text()))
		require.Equal(t, 1, row.Find(`[data-testid="rule-disable"]`).Length())
	})
}

func TestRuleDisableEnableDelete(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		ctx := context.Background()

		b.post("/rules/save", url.Values{"rule_json": {ruleJSON(t, b, w.engRuleForm("Engineering"))}}).requireStatus(http.StatusSeeOther)
		list, err := srv.Store.ListRules(ctx)
		require.NoError(t, err)
		id := strconv.FormatInt(list[0].ID, 10)
		require.Len(t, rulePendingJoiners(t, srv), 2)

		p := b.post("/rules/"+id+"/disable", nil)
		p.requireStatus(http.StatusOK)
		require.Equal(t, "+0 grants, −2 revokes, ~0 updates across 2 people", p.Text("impact"))
		r, err := srv.Store.RuleByID(ctx, list[0].ID)
		require.NoError(t, err)
		require.True(t, r.Enabled, "asking changes nothing")
		require.Len(t, rulePendingJoiners(t, srv), 2)

		b.post("/rules/"+id+"/disable", url.Values{"confirm": {"1"}}).requireRedirect(http.StatusSeeOther, "/rules")
		r, err = srv.Store.RuleByID(ctx, list[0].ID)
		require.NoError(t, err)
		require.False(t, r.Enabled)
		require.Empty(t, rulePendingJoiners(t, srv), "the pending grants are gone")
		p = b.get("/rules")
		require.Equal(t, "Rule “Engineering” disabled. Team Updates are being re-planned.", p.Flash("success"))
		status := p.TestID("plan-status")
		require.Equal(t, "done", status.AttrOr("data-state", ""), "the re-plan ran as a job and the page says so")
		require.Contains(t, status.Text(), "Team Updates re-planned at")
		require.Contains(t, status.Text(), "(3 people)", "everyone plannable was planned")
		require.Equal(t, "Disabled", p.Text("rule-status"))

		p = b.post("/rules/"+id+"/enable", nil)
		require.Equal(t, "+2 grants, −0 revokes, ~0 updates across 2 people", p.Text("impact"))
		b.post("/rules/"+id+"/enable", url.Values{"confirm": {"1"}}).requireRedirect(http.StatusSeeOther, "/rules")
		require.Len(t, rulePendingJoiners(t, srv), 2)

		p = b.post("/rules/"+id+"/delete", nil)
		require.Equal(t, "+0 grants, −2 revokes, ~0 updates across 2 people", p.Text("impact"))
		b.post("/rules/"+id+"/delete", url.Values{"confirm": {"1"}}).requireRedirect(http.StatusSeeOther, "/rules")
		_, err = srv.Store.RuleByID(ctx, list[0].ID)
		require.ErrorIs(t, err, models.ErrNotFound)
		require.Empty(t, rulePendingJoiners(t, srv))
		require.Len(t, srv.auditEvents(t, models.ActionRuleDeleted), 1)
		b.get("/rules/" + id).requireStatus(http.StatusNotFound)
		b.post("/rules/"+id+"/delete", nil).requireStatus(http.StatusNotFound)
		require.Equal(t, 1, b.get("/rules").TestID("rules-empty").Length())
	})
}

func TestRuleOverlapExplainsPriority(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		card := func(name, priority, limit string) url.Values {
			return url.Values{"name": {name}, "priority": {priority}, "enabled": {"1"},
				"grants.0.app_id": {w.cardID}, "grants.0.entitlement_id": {w.cardEn}, "grants.0.params.spend_limit": {limit}}
		}
		b.post("/rules/save", url.Values{"rule_json": {ruleJSON(t, b, card("Everyone's card", "1", "500"))}}).requireStatus(http.StatusSeeOther)
		p := b.post("/rules/review", card("Big card", "5", "5000"))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "+0 grants, −0 revokes, ~3 updates across 3 people", p.Text("impact"))
		require.Contains(t, p.Text("overlaps"), "“Everyone's card” sets 500 (priority 1)")
		require.Contains(t, p.Text("overlaps"), "this rule wins (higher priority)")

		p = b.post("/rules/review", card("Small card", "0", "100"))
		require.Contains(t, p.Text("overlaps"), "Everyone's card wins (higher priority)")
	})
}

func TestRulePagesForViewers(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)
		p := admin.get("/rules")
		require.Equal(t, 1, p.TestID("rules-empty").Length())
		require.Equal(t, 1, p.TestID("rule-new").Length())
		admin.post("/rules/save", url.Values{"rule_json": {ruleJSON(t, admin, w.engRuleForm("Engineering"))}}).requireStatus(http.StatusSeeOther)
		list, err := srv.Store.ListRules(context.Background())
		require.NoError(t, err)
		id := strconv.FormatInt(list[0].ID, 10)

		for _, role := range []models.Role{models.RoleViewer, models.RoleApprover} {
			b := srv.browser(t)
			b.signInAs(role)
			p := b.get("/rules")
			p.requireStatus(http.StatusOK)
			require.Equal(t, 1, p.TestID("rule-row-"+id).Length())
			require.Zero(t, p.TestID("rule-new").Length())
			require.Zero(t, p.TestID("rule-disable").Length())

			p = b.get("/rules/" + id)
			p.requireStatus(http.StatusOK)
			require.Zero(t, p.TestID("rule-review").Length(), "no save for %s", role)
			require.Equal(t, 1, p.TestID("read-only").Length())
			require.Equal(t, "2", p.Text("preview-count"))
			require.Equal(t, "Engineering", p.Doc().Find(`[name="conditions.0.value"]`).AttrOr("value", ""))

			b.post("/rules/review", w.engRuleForm("Mine")).requireStatus(http.StatusForbidden)
			b.post("/rules/save", url.Values{"rule_json": {`{"Name":"Mine"}`}}).requireStatus(http.StatusForbidden)
			for _, action := range []string{"enable", "disable", "delete"} {
				b.post("/rules/"+id+"/"+action, url.Values{"confirm": {"1"}}).requireStatus(http.StatusForbidden)
			}
		}
		rules, err := srv.Store.ListRules(context.Background())
		require.NoError(t, err)
		require.Len(t, rules, 1)
		require.True(t, rules[0].Enabled)
	})
}

func TestRuleBuilderPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	newRuleWorld(t, srv)
	b := srv.browser(t)
	b.signInAs(models.RoleAdmin)
	p := b.get("/rules/new")
	p.requireStatus(http.StatusOK)
	form := p.TestID("rule-form")
	require.Equal(t, "/rules/review", form.AttrOr("action", ""))
	require.Equal(t, "/rules/builder/preview", form.AttrOr("hx-post", ""))
	require.Equal(t, 1, form.Find(`input[name="_csrf"]`).Length())
	require.Equal(t, 1, p.TestID("condition-row").Length())
	require.Equal(t, 1, p.TestID("grant-row").Length())
	require.Equal(t, "/rules/builder/condition?i=1", p.TestID("add-condition").AttrOr("hx-get", ""))
	require.Equal(t, "3", p.Text("preview-count"), "an empty rule matches everyone")
	require.Equal(t, 1, p.TestID("rule-review").Length())
	b.get("/rules/999").requireStatus(http.StatusNotFound)
	b.get("/rules/abc").requireStatus(http.StatusNotFound)
}

// The rules page shows how a re-plan of everyone is going, and polls
// while it runs; a failed one says so.
func TestRulesPageShowsReplanProgress(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		require.Equal(t, "none", b.get("/rules").TestID("plan-status").AttrOr("data-state", ""))

		// A run whose jobs are under way (no job exists for it here, so it
		// stays where it is).
		run := &models.PlanRun{Reason: models.ReplanRulesChanged, Everyone: true, Status: models.PlanRunning, Total: 12000, Done: 4500}
		require.NoError(t, srv.Store.CreatePlanRun(ctx, run))
		status := b.get("/rules").TestID("plan-status")
		require.Equal(t, "open", status.AttrOr("data-state", ""))
		require.Equal(t, "Re-planning Team Updates (rules or settings changed): 4,500 of 12,000 people planned…", squash(status.Text()))
		require.Equal(t, "/rules/planning", status.AttrOr("hx-get", ""), "it polls while open")

		_, err := srv.Store.PlanRunProgress(ctx, run.ID, 7500, time.Now())
		require.NoError(t, err)
		frag := b.get("/rules/planning")
		frag.requireStatus(http.StatusOK)
		require.Equal(t, "done", frag.TestID("plan-status").AttrOr("data-state", ""))
		require.Empty(t, frag.TestID("plan-status").AttrOr("hx-get", ""), "polling stops when done")

		failed := &models.PlanRun{Reason: models.ReplanSweep, Everyone: true}
		require.NoError(t, srv.Store.CreatePlanRun(ctx, failed))
		require.NoError(t, srv.Store.FailPlanRun(ctx, failed.ID, "database unreachable", time.Now()))
		status = b.get("/rules").TestID("plan-status")
		require.Equal(t, "failed", status.AttrOr("data-state", ""))
		require.Contains(t, status.Text(), "database unreachable")
	})
}

// A preview that cannot finish within its time limit says so in the
// panel instead of holding the request (and a CPU) for as long as it
// takes.
func TestRuleBuilderPreviewTimeLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withConfig(func(c *web.Config) { c.PreviewTimeout = time.Nanosecond }))
	newRuleWorld(t, srv)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	p := b.ruleHTMX(http.MethodPost, "/rules/builder/preview", url.Values{})
	p.requireStatus(http.StatusOK)
	require.Zero(t, p.TestID("preview-count").Length())
	require.Regexp(t, "took too long|busy with other previews", p.Text("preview-error"))
}

// TestRuleNumbersBounded posts numbers a rule cannot hold: each gets its
// message next to its field, nothing is saved, and a crafted review that
// skips the form is refused the same way rather than overflowing the
// database's integer column.
func TestRuleNumbersBounded(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		w := newRuleWorld(t, srv)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		for _, tt := range []struct {
			field, value, sel, want string
		}{
			{"priority", "9999999999", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"priority", "-9999999999", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"priority", "1000001", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"priority", "99999999999999999999", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"priority", "1e99", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"priority", "abc", "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"joiner_days", "-1", "#joiner-days", "whole number of days from 0 to 3650"},
			{"joiner_days", "3651", "#joiner-days", "whole number of days from 0 to 3650"},
			{"joiner_days", "1e99", "#joiner-days", "whole number of days from 0 to 3650"},
			{"joiner_days", "99999999999999999999", "#joiner-days", "whole number of days from 0 to 3650"},
		} {
			form := w.engRuleForm("Engineering")
			form.Set(tt.field, tt.value)
			p := b.post("/rules/review", form)
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Contains(t, ruleFieldMessage(p, tt.sel), tt.want, "%s=%s", tt.field, tt.value)
			require.Equal(t, tt.value, p.Doc().Find(tt.sel).AttrOr("value", ""), "the input is kept")
		}
		for _, v := range []string{"NaN", "Inf", "-infinity", "0x10", "1_000"} {
			form := w.engRuleForm("Card")
			form.Set("grants.0.app_id", w.cardID)
			form.Set("grants.0.entitlement_id", w.cardEn)
			form.Set("grants.0.params.spend_limit", v)
			p := b.post("/rules/review", form)
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Equal(t, "Spend limit must be a number, like 5000.", ruleFieldMessage(p, `[name="grants.0.params.spend_limit"]`), v)
		}
		form := w.engRuleForm("Card")
		form.Set("grants.0.app_id", w.cardID)
		form.Set("grants.0.entitlement_id", w.cardEn)
		form.Set("grants.0.params.spend_limit", "-2500.50")
		b.post("/rules/review", form).requireStatus(http.StatusOK)

		// The review page's hidden rule, edited to skip the form's checks.
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(ruleJSON(t, b, w.engRuleForm("Engineering"))), &r))
		for _, tt := range []struct {
			key  string
			val  int64
			sel  string
			want string
		}{
			{"Priority", 9999999999, "#rule-priority", "Enter a whole number from -1,000,000 to 1,000,000"},
			{"JoinerOffsetDays", -9999999999, "#joiner-days", "whole number of days from 0 to 3650"},
		} {
			crafted := maps.Clone(r)
			crafted[tt.key] = tt.val
			raw, err := json.Marshal(crafted)
			require.NoError(t, err)
			p := b.post("/rules/save", url.Values{"rule_json": {string(raw)}})
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Contains(t, ruleFieldMessage(p, tt.sel), tt.want, tt.key)
		}
		list, err := srv.Store.ListRules(context.Background())
		require.NoError(t, err)
		require.Empty(t, list, "nothing was saved")
	})
}
