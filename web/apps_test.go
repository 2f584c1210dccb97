package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// createApp adds an app through the store.
func (s *testServer) createApp(t *testing.T, name string, kind models.AppKind) *models.App {
	t.Helper()
	a, err := s.Store.CreateApp(context.Background(), models.CLIActor, models.AppInput{Kind: kind, Name: name, DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	return a
}

// createEntitlement adds an entitlement to an app through the store.
func (s *testServer) createEntitlement(t *testing.T, appID int64, in models.EntitlementInput) *models.Entitlement {
	t.Helper()
	e, err := s.Store.CreateEntitlement(context.Background(), models.CLIActor, appID, in)
	require.NoError(t, err)
	return e
}

// appByName finds an app in the store, or nil.
func (s *testServer) appByName(t *testing.T, name string) *models.App {
	t.Helper()
	list, err := s.Store.ListApps(context.Background())
	require.NoError(t, err)
	for _, a := range list {
		if a.Name == name {
			return &a
		}
	}
	return nil
}

// entitlementByKey finds an entitlement of an app in the store, or nil.
func (s *testServer) entitlementByKey(t *testing.T, appID int64, key string) *models.Entitlement {
	t.Helper()
	list, err := s.Store.Entitlements(context.Background(), appID)
	require.NoError(t, err)
	for _, e := range list {
		if e.Key == key {
			return &e
		}
	}
	return nil
}

func appPath(id int64) string { return fmt.Sprintf("/apps/%d", id) }

// fieldError is the message shown in the .field around the input with
// this id.
func fieldError(p *page, inputID string) string {
	return strings.TrimSpace(p.Doc().Find("#" + inputID).Closest(".field").Find(".field-error").Text())
}

func TestAppsCreate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		admin := b.signInAs(models.RoleAdmin)

		p := b.get("/apps")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("apps-empty").Length(), "empty state explains what an app is")
		require.Contains(t, p.Text("apps-empty"), "An app is a system people get access to")
		require.Equal(t, 1, p.TestID("new-app-form").Length())
		require.Equal(t, "webhook", p.Doc().Find("#new-app-kind option[selected]").AttrOr("value", ""))
		require.Contains(t, p.Text("new-app"), "signed JSON", "the kinds are explained")

		p = b.post("/apps", url.Values{"name": {"  Company card "}, "kind": {"manual"}, "deprovision_mode": {"delete"},
			"description": {"Cards for travel"}})
		app := srv.appByName(t, "Company card")
		require.NotNil(t, app)
		p.requireRedirect(http.StatusSeeOther, appPath(app.ID))
		require.Equal(t, models.AppManual, app.Kind)
		require.Equal(t, models.DeprovisionDelete, app.DeprovisionMode)
		require.Equal(t, "Cards for travel", app.Description)

		p = b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Company card was added. Now list what it can grant.", p.Flash("success"))
		require.Equal(t, "manual", p.Text("app-kind"))
		require.Equal(t, "Cards for travel", p.Text("app-description"))
		require.Equal(t, 1, p.TestID("catalogue-empty").Length())

		srv.createEntitlement(t, app.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "holder"})
		p = b.get("/apps")
		row := p.TestID("app-row-Company card")
		require.Equal(t, 1, row.Length())
		require.Equal(t, appPath(app.ID), row.Find(`[data-testid="app-link"]`).AttrOr("href", ""))
		require.Equal(t, "manual", strings.TrimSpace(row.Find(`[data-testid="app-kind"]`).Text()))
		require.Equal(t, "Delete account", strings.TrimSpace(row.Find(`[data-testid="app-deprovision"]`).Text()))
		require.Equal(t, "1", strings.TrimSpace(row.Find(`[data-testid="app-entitlements"]`).Text()))
		require.Contains(t, row.Text(), "Cards for travel")
		require.Empty(t, p.TestID("apps-empty").Nodes)

		created := srv.auditEvents(t, models.ActionAppCreated)
		require.Len(t, created, 1)
		require.Equal(t, admin.Email, created[0].ActorEmail)
		require.Equal(t, "Company card", created[0].SubjectLabel)
	})
}

func TestAppsCreateInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		form      url.Values
		wantField string
		wantError string
	}{
		{name: "empty name", form: url.Values{"name": {"  "}, "kind": {"webhook"}, "deprovision_mode": {"disable"}},
			wantField: "new-app-name", wantError: "Give the app a name of up to 100 characters."},
		{name: "long name", form: url.Values{"name": {strings.Repeat("n", 101)}, "kind": {"webhook"}, "deprovision_mode": {"disable"}},
			wantField: "new-app-name", wantError: "Give the app a name of up to 100 characters."},
		{name: "unknown kind", form: url.Values{"name": {"Kept"}, "kind": {"ldap"}, "deprovision_mode": {"disable"}},
			wantField: "new-app-kind", wantError: "Choose webhook, manual or SCIM 2.0."},
		{name: "unknown deprovision mode", form: url.Values{"name": {"Kept"}, "kind": {"webhook"}, "deprovision_mode": {"shred"}},
			wantField: "new-app-deprovision", wantError: "Choose disable or delete."},
		{name: "long description", form: url.Values{"name": {"Kept"}, "kind": {"webhook"}, "deprovision_mode": {"disable"}, "description": {strings.Repeat("d", 1001)}},
			wantField: "new-app-description", wantError: "Keep the description under 1,000 characters."},
		{name: "duplicate name", form: url.Values{"name": {"GitHub"}, "kind": {"manual"}, "deprovision_mode": {"delete"}, "description": {"kept"}},
			wantField: "new-app-name", wantError: "An app called GitHub already exists."},
	}
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := b.post("/apps", tt.form)
				p.requireStatus(http.StatusUnprocessableEntity)
				require.Equal(t, tt.wantError, fieldError(p, tt.wantField))
				require.Equal(t, strings.TrimSpace(tt.form.Get("name")), strings.TrimSpace(p.Doc().Find("#new-app-name").AttrOr("value", "")), "input is kept")
				require.Equal(t, tt.form.Get("description"), p.Doc().Find("#new-app-description").Text())
				list, err := srv.Store.ListApps(context.Background())
				require.NoError(t, err)
				require.Len(t, list, 1, "nothing was added")
			})
		}
		require.Len(t, srv.auditEvents(t, models.ActionAppCreated), 1)
	})
}

func TestAppUpdate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Laptop", models.AppManual)
		srv.createApp(t, "GitHub", models.AppWebhook)
		b := srv.browser(t)
		admin := b.signInAs(models.RoleAdmin)

		p := b.get(appPath(app.ID))
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("edit-app-form").Length())
		_, disabled := p.Doc().Find("#edit-app-kind").Attr("disabled")
		require.True(t, disabled, "kind is read-only")
		_, open := p.TestID("app-edit").Attr("open")
		require.False(t, open)

		p = b.post(appPath(app.ID), url.Values{"name": {""}, "deprovision_mode": {"delete"}, "description": {"kept"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "Give the app a name of up to 100 characters.", fieldError(p, "edit-app-name"))
		require.Equal(t, "kept", p.Doc().Find("#edit-app-description").Text())
		_, open = p.TestID("app-edit").Attr("open")
		require.True(t, open, "the form with the error is unfolded")

		p = b.post(appPath(app.ID), url.Values{"name": {"GitHub"}, "deprovision_mode": {"delete"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "Another app is already called GitHub.", fieldError(p, "edit-app-name"))

		p = b.post(appPath(app.ID), url.Values{"name": {"Laptops"}, "kind": {"webhook"}, "deprovision_mode": {"delete"}, "description": {"MacBooks"}})
		p.requireRedirect(http.StatusSeeOther, appPath(app.ID))
		require.Equal(t, "Laptops was saved.", b.get(appPath(app.ID)).Flash("success"))
		got, err := srv.Store.AppByID(context.Background(), app.ID)
		require.NoError(t, err)
		require.Equal(t, "Laptops", got.Name)
		require.Equal(t, "MacBooks", got.Description)
		require.Equal(t, models.DeprovisionDelete, got.DeprovisionMode)
		require.Equal(t, models.AppManual, got.Kind, "kind is fixed")

		updated := srv.auditEvents(t, models.ActionAppUpdated)
		require.Len(t, updated, 1)
		require.Equal(t, admin.Email, updated[0].ActorEmail)

		b.get("/apps/999999").requireStatus(http.StatusNotFound)
		b.get("/apps/nope").requireStatus(http.StatusNotFound)
		b.post("/apps/999999", url.Values{"name": {"X"}, "deprovision_mode": {"disable"}}).requireStatus(http.StatusNotFound)
	})
}

// cardForm is an entitlement with typed parameters; rows 1 and 3 are left
// empty and must be ignored.
func cardForm() url.Values {
	return url.Values{
		"kind": {"attribute"}, "key": {"card"}, "name": {"Company card"},
		"params.0.name": {"spend_limit"}, "params.0.type": {"number"}, "params.0.required": {"true"}, "params.0.label": {"Spend limit (EUR)"},
		"params.1.name": {""}, "params.1.type": {"text"},
		"params.2.name": {"shipping_kit"}, "params.2.type": {"text"},
		"params.3.name": {" "}, "params.3.type": {"bool"},
		"params.4.name": {""}, "params.4.type": {"text"},
	}
}

func TestEntitlementCreate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Card", models.AppManual)
		b := srv.browser(t)
		admin := b.signInAs(models.RoleAdmin)

		p := b.get(appPath(app.ID))
		form := p.TestID("entitlement-form")
		require.Equal(t, 1, form.Length())
		require.Equal(t, 5, form.Find(`[data-testid="param-row"]`).Length(), "five parameter rows, no script needed")
		require.Equal(t, []string{"role", "group", "license", "attribute"}, form.Find(`#ent-new-kind option`).Map(func(_ int, s *goquery.Selection) string {
			return s.AttrOr("value", "")
		}))

		p = b.post(appPath(app.ID)+"/entitlements", cardForm())
		e := srv.entitlementByKey(t, app.ID, "card")
		require.NotNil(t, e)
		p.requireRedirect(http.StatusSeeOther, fmt.Sprintf("%s#entitlement-%d", appPath(app.ID), e.ID))
		require.Equal(t, models.EntitlementAttribute, e.Kind)
		require.Equal(t, "Company card", e.Name)
		require.Equal(t, []models.ParamSpec{
			{Name: "spend_limit", Type: models.ParamNumber, Required: true, Label: "Spend limit (EUR)"},
			{Name: "shipping_kit", Type: models.ParamText},
		}, e.Params)

		p = b.get(appPath(app.ID))
		require.Equal(t, "Company card was added to Card.", p.Flash("success"))
		row := p.TestID("entitlement-row-card")
		require.Equal(t, 1, row.Length())
		require.Equal(t, "Attribute", strings.TrimSpace(row.Find(`[data-testid="entitlement-kind"]`).Text()))
		require.Equal(t, "Company card", strings.TrimSpace(row.Find(`[data-testid="entitlement-name"]`).Text()))
		params := row.Find(`[data-testid="entitlement-param"]`)
		require.Equal(t, 2, params.Length())
		require.Contains(t, params.Eq(0).Text(), "spend_limit (number, required)")
		require.Contains(t, params.Eq(0).Text(), "Spend limit (EUR)")
		require.Equal(t, "shipping_kit (text)", strings.TrimSpace(params.Eq(1).Text()))

		// Without a name, the key names it; without parameters, it has none.
		b.post(appPath(app.ID)+"/entitlements", url.Values{"kind": {"role"}, "key": {"holder"}}).requireStatus(http.StatusSeeOther)
		holder := srv.entitlementByKey(t, app.ID, "holder")
		require.NotNil(t, holder)
		require.Equal(t, "holder", holder.Name)
		require.Empty(t, holder.Params)
		require.Equal(t, "None", b.get(appPath(app.ID)).TestID("entitlement-row-holder").Find(`[data-testid="entitlement-params"]`).Text())

		created := srv.auditEvents(t, models.ActionEntitlementCreated)
		require.Len(t, created, 2)
		require.Equal(t, admin.Email, created[1].ActorEmail)
		require.Equal(t, "Company card", created[1].SubjectLabel)
	})
}

func TestEntitlementCreateInvalid(t *testing.T) {
	t.Parallel()
	with := func(changes map[string]string) url.Values {
		f := cardForm()
		for k, v := range changes {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name      string
		form      url.Values
		wantField string
		wantError string
		badRow    string // the parameter row marked invalid, if any
	}{
		{name: "duplicate key", form: with(map[string]string{"key": "eng"}),
			wantField: "ent-new-key", wantError: "Card already has an entitlement with the key eng."},
		{name: "empty key", form: with(map[string]string{"key": " "}),
			wantField: "ent-new-key", wantError: "Enter the app's identifier for it, like eng or admin."},
		{name: "unknown kind", form: with(map[string]string{"kind": "seat"}),
			wantField: "ent-new-kind", wantError: "Choose role, group, licence or attribute."},
		{name: "bad parameter name", form: with(map[string]string{"params.2.name": "Shipping Kit"}),
			wantField: "ent-new-param-0-name", wantError: `Parameter names are lower-case words like spend_limit ("Shipping Kit" is not).`, badRow: "2"},
		{name: "parameter twice", form: with(map[string]string{"params.2.name": "spend_limit"}),
			wantField: "ent-new-param-0-name", wantError: "Parameter spend_limit appears twice.", badRow: "2"},
		{name: "unknown parameter type", form: with(map[string]string{"params.2.type": "date"}),
			wantField: "ent-new-param-0-name", wantError: "Parameter shipping_kit needs a type: text, number or bool.", badRow: "2"},
		{name: "label without a name", form: with(map[string]string{"params.4.label": "Size"}),
			wantField: "ent-new-param-0-name", wantError: "Parameter row 5 has no name: give it one, or clear the row.", badRow: "4"},
	}
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Card", models.AppWebhook)
		srv.createEntitlement(t, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := b.post(appPath(app.ID)+"/entitlements", tt.form)
				p.requireStatus(http.StatusUnprocessableEntity)
				require.Equal(t, tt.wantError, fieldError(p, tt.wantField))
				form := p.TestID("entitlement-form")
				require.Equal(t, strings.TrimSpace(tt.form.Get("key")), strings.TrimSpace(form.Find("#ent-new-key").AttrOr("value", "")), "input is kept")
				require.Equal(t, "spend_limit", form.Find("#ent-new-param-0-name").AttrOr("value", ""))
				require.Equal(t, "number", form.Find("#ent-new-param-0-type option[selected]").AttrOr("value", ""))
				_, checked := form.Find(`input[name="params.0.required"]`).Attr("checked")
				require.True(t, checked)
				require.Equal(t, tt.form.Get("params.2.name"), form.Find("#ent-new-param-2-name").AttrOr("value", ""))
				var marked []string
				form.Find(`[aria-invalid="true"]`).Each(func(_ int, s *goquery.Selection) {
					marked = append(marked, strings.TrimSuffix(strings.TrimPrefix(s.AttrOr("name", ""), "params."), ".name"))
				})
				if tt.badRow == "" {
					require.Empty(t, marked)
				} else {
					require.Equal(t, []string{tt.badRow}, marked)
				}
				require.Equal(t, 1, p.TestID("entitlement-row-eng").Length(), "the catalogue is still shown")
				list, err := srv.Store.Entitlements(context.Background(), app.ID)
				require.NoError(t, err)
				require.Len(t, list, 1, "nothing was added")
			})
		}
	})
}

func TestEntitlementUpdate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Card", models.AppWebhook)
		other := srv.createApp(t, "GitHub", models.AppWebhook)
		e := srv.createEntitlement(t, app.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card", Name: "Card",
			Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber, Required: true}}})
		foreign := srv.createEntitlement(t, other.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
		b := srv.browser(t)
		admin := b.signInAs(models.RoleAdmin)
		entPath := fmt.Sprintf("%s/entitlements/%d", appPath(app.ID), e.ID)

		p := b.get(appPath(app.ID))
		require.Empty(t, p.TestID("entitlement-edit-form").Nodes, "folded until asked for")
		href := p.TestID("entitlement-row-card").Find(`[data-testid="entitlement-edit"]`).AttrOr("href", "")
		require.Equal(t, fmt.Sprintf("%s?edit=%d#edit-entitlement", appPath(app.ID), e.ID), href)

		p = b.get(strings.Split(href, "#")[0])
		p.requireStatus(http.StatusOK)
		form := p.TestID("entitlement-edit-form")
		require.Equal(t, 1, form.Length())
		require.Equal(t, entPath+"#edit-entitlement", form.AttrOr("action", ""))
		require.Equal(t, 1, p.Doc().Find("tr.app-editing").Length(), "the row being edited stands out")
		require.Equal(t, "spend_limit", form.Find(`input[name="params.0.name"]`).AttrOr("value", ""))
		require.Equal(t, 5, form.Find(`[data-testid="param-row"]`).Length())
		_, disabled := form.Find(`#ent-` + fmt.Sprint(e.ID) + `-key`).Attr("disabled")
		require.True(t, disabled, "the key is what the app knows it by")

		// Invalid: the edit form stays unfolded with the message and input.
		p = b.post(entPath, url.Values{"name": {"Card"}, "params.0.name": {"spend_limit"}, "params.0.type": {"number"},
			"params.1.name": {"spend_limit"}, "params.1.type": {"text"}})
		p.requireStatus(http.StatusUnprocessableEntity)
		form = p.TestID("entitlement-edit-form")
		require.Equal(t, 1, form.Length())
		require.Contains(t, form.Find(".field-error").Text(), "Parameter spend_limit appears twice.")
		require.Equal(t, "spend_limit", form.Find(`input[name="params.1.name"]`).AttrOr("value", ""))
		require.Equal(t, "true", form.Find(`input[name="params.1.name"]`).AttrOr("aria-invalid", ""), "the second spend_limit is marked")
		_, marked := form.Find(`input[name="params.0.name"]`).Attr("aria-invalid")
		require.False(t, marked)

		p = b.post(entPath, url.Values{"kind": {"role"}, "key": {"hijack"}, "name": {"Travel card"},
			"params.0.name": {"spend_limit"}, "params.0.type": {"number"},
			"params.1.name": {"shipping_kit"}, "params.1.type": {"text"}, "params.1.required": {"true"}})
		p.requireRedirect(http.StatusSeeOther, fmt.Sprintf("%s#entitlement-%d", appPath(app.ID), e.ID))
		require.Equal(t, "Travel card was saved.", b.get(appPath(app.ID)).Flash("success"))
		got, err := srv.Store.EntitlementByID(context.Background(), e.ID)
		require.NoError(t, err)
		require.Equal(t, "Travel card", got.Name)
		require.Equal(t, "card", got.Key, "key is fixed")
		require.Equal(t, models.EntitlementAttribute, got.Kind, "kind is fixed")
		require.Equal(t, []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber}, {Name: "shipping_kit", Type: models.ParamText, Required: true}}, got.Params)

		updated := srv.auditEvents(t, models.ActionEntitlementUpdated)
		require.Len(t, updated, 1)
		require.Equal(t, admin.Email, updated[0].ActorEmail)

		// The entitlement must belong to the app in the URL.
		b.post(fmt.Sprintf("%s/entitlements/%d", appPath(app.ID), foreign.ID), url.Values{"name": {"x"}}).requireStatus(http.StatusNotFound)
		b.post(fmt.Sprintf("%s/entitlements/%d", appPath(other.ID), e.ID), url.Values{"name": {"x"}}).requireStatus(http.StatusNotFound)
		b.post(appPath(app.ID)+"/entitlements/999999", url.Values{"name": {"x"}}).requireStatus(http.StatusNotFound)
		b.post(appPath(app.ID)+"/entitlements/nope", url.Values{"name": {"x"}}).requireStatus(http.StatusNotFound)
		b.post("/apps/999999/entitlements", url.Values{"kind": {"role"}, "key": {"x"}}).requireStatus(http.StatusNotFound)
		f, err := srv.Store.EntitlementByID(context.Background(), foreign.ID)
		require.NoError(t, err)
		require.Equal(t, "eng", f.Name)
		require.Empty(t, b.get(fmt.Sprintf("%s?edit=%d", appPath(app.ID), foreign.ID)).TestID("entitlement-edit-form").Nodes,
			"another app's entitlement is not edited here")
	})
}

func TestAppsReadOnlyRoles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		app := srv.createApp(t, "Card", models.AppWebhook)
		e := srv.createEntitlement(t, app.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card",
			Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber, Required: true}}})
		posts := map[string]url.Values{
			"/apps":                           {"name": {"New"}, "kind": {"webhook"}, "deprovision_mode": {"disable"}},
			appPath(app.ID):                   {"name": {"Renamed"}, "deprovision_mode": {"delete"}},
			appPath(app.ID) + "/entitlements": {"kind": {"role"}, "key": {"admin"}},
			fmt.Sprintf("%s/entitlements/%d", appPath(app.ID), e.ID): {"name": {"Renamed"}},
		}
		for _, role := range []models.Role{models.RoleViewer, models.RoleApprover} {
			t.Run(string(role), func(t *testing.T) {
				b := srv.browser(t)
				b.signInAs(role)

				p := b.get("/apps")
				p.requireStatus(http.StatusOK)
				require.Equal(t, 1, p.TestID("app-row-Card").Length())
				require.Empty(t, p.TestID("new-app-form").Nodes)
				require.Empty(t, p.TestID("new-app-button").Nodes)

				p = b.get(fmt.Sprintf("%s?edit=%d", appPath(app.ID), e.ID))
				p.requireStatus(http.StatusOK)
				require.Contains(t, p.TestID("entitlement-row-card").Text(), "spend_limit (number, required)")
				require.Empty(t, p.Doc().Find("main form").Nodes, "no forms at all")
				require.Empty(t, p.TestID("entitlement-edit").Nodes)

				for path, form := range posts {
					b.post(path, form).requireStatus(http.StatusForbidden)
				}
			})
		}
		list, err := srv.Store.ListApps(context.Background())
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "Card", list[0].Name)
		got, err := srv.Store.EntitlementByID(context.Background(), e.ID)
		require.NoError(t, err)
		require.Equal(t, "card", got.Name)
		ents, err := srv.Store.Entitlements(context.Background(), app.ID)
		require.NoError(t, err)
		require.Len(t, ents, 1)
	})
}

// TestEditFormsPostedEmpty posts the app and entitlement edit forms with
// nothing in them, as a broken client or a stale page might: required
// fields get their message and nothing is overwritten.
func TestEditFormsPostedEmpty(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		ctx := context.Background()
		app := srv.createApp(t, "Card", models.AppWebhook)
		require.NoError(t, srv.Store.UpdateApp(ctx, models.CLIActor, app.ID, models.AppInput{Name: "Card",
			Description: "Company cards", DeprovisionMode: models.DeprovisionDisable}))
		params := []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber, Required: true, Label: "Spend limit"}}
		e := srv.createEntitlement(t, app.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card",
			Name: "Travel card", Params: params})
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		entPath := fmt.Sprintf("%s/entitlements/%d", appPath(app.ID), e.ID)
		nameID := fmt.Sprintf("ent-%d-name", e.ID)

		for name, form := range map[string]url.Values{
			"empty body":  {},
			"empty name":  {"name": {""}},
			"blank name":  {"name": {"   "}, "params.0.name": {"spend_limit"}, "params.0.type": {"number"}},
			"empty rows":  {"name": {""}, "params.0.name": {""}, "params.0.type": {"text"}},
			"no name key": {"params.0.name": {"spend_limit"}, "params.0.type": {"number"}},
		} {
			p := b.post(entPath, form)
			p.requireStatus(http.StatusUnprocessableEntity)
			require.Equal(t, 1, p.TestID("entitlement-edit-form").Length(), name)
			require.Equal(t, "Give the entitlement a name, like Engineering.", fieldError(p, nameID), name)
		}
		got, err := srv.Store.EntitlementByID(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, "Travel card", got.Name, "the name is kept")
		require.Equal(t, params, got.Params, "the parameters are kept")

		// A form without the parameter rows renames and leaves them be.
		b.post(entPath, url.Values{"name": {"Card"}}).requireStatus(http.StatusSeeOther)
		got, err = srv.Store.EntitlementByID(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, "Card", got.Name)
		require.Equal(t, params, got.Params, "rows that were not posted are not removed")
		require.Len(t, srv.auditEvents(t, models.ActionEntitlementUpdated), 1)

		p := b.post(appPath(app.ID), url.Values{})
		p.requireStatus(http.StatusUnprocessableEntity)
		require.Equal(t, "Give the app a name of up to 100 characters.", fieldError(p, "edit-app-name"))
		require.Equal(t, "Choose disable or delete.", fieldError(p, "edit-app-deprovision"))
		b.post(appPath(app.ID), url.Values{"name": {"Cards"}, "deprovision_mode": {"delete"}}).requireStatus(http.StatusSeeOther)
		a, err := srv.Store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Equal(t, "Cards", a.Name)
		require.Equal(t, "Company cards", a.Description, "a description that was not posted is kept")
		b.post(appPath(app.ID), url.Values{"name": {"Cards"}, "deprovision_mode": {"delete"}, "description": {""}}).requireStatus(http.StatusSeeOther)
		a, err = srv.Store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		require.Empty(t, a.Description, "a description posted empty is cleared")
	})
}
