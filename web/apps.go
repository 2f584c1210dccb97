package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
	"github.com/rosterhq/roster/views/tasks"
)

// deprovisionOptions are what may happen to a leaver's account.
var deprovisionOptions = []apps.Option{
	{Value: models.DeprovisionDisable, Label: "Disable account", Description: "the account is kept but switched off, so it can be restored."},
	{Value: models.DeprovisionDelete, Label: "Delete account", Description: "the account is removed from the app."},
}

// entitlementKindOptions are the kinds of entitlement, in the UI's order.
var entitlementKindOptions = []apps.Option{
	{Value: string(models.EntitlementRole), Label: "Role", Description: "what the account may do, like admin or member."},
	{Value: string(models.EntitlementGroup), Label: "Group", Description: "a group or team the account belongs to."},
	{Value: string(models.EntitlementLicense), Label: "Licence", Description: "a paid licence or seat."},
	{Value: string(models.EntitlementAttribute), Label: "Attribute", Description: "a value set on the account, like a card's spend limit."},
}

// kindWord is an entitlement kind as running text says it ("licence").
func kindWord(k models.EntitlementKind) string {
	for _, o := range entitlementKindOptions {
		if o.Value == string(k) {
			return strings.ToLower(o.Label)
		}
	}
	return string(k)
}

// paramTypeOptions are the types an entitlement parameter may have.
var paramTypeOptions = []apps.Option{
	{Value: string(models.ParamText), Label: "text"},
	{Value: string(models.ParamNumber), Label: "number"},
	{Value: string(models.ParamBool), Label: "yes/no"},
}

// Parameter rows of the entitlement form: at least paramRowsShown are
// rendered, and no more than maxParamRows are read back.
const (
	paramRowsShown = 5
	maxParamRows   = 20
)

// appsPage lists the apps; admins also get the new-app form.
func (s *Server) appsPage(c echo.Context) error {
	return s.renderApps(c, http.StatusOK, apps.AppForm{Kind: s.defaultKind(), DeprovisionMode: models.DeprovisionDisable})
}

func (s *Server) renderApps(c echo.Context, status int, form apps.AppForm) error {
	ctx := c.Request().Context()
	list, err := s.store.ListApps(ctx)
	if err != nil {
		return err
	}
	counts, err := s.store.EntitlementCounts(ctx)
	if err != nil {
		return err
	}
	v := apps.ListView{
		CanManage: currentAdmin(c).Role.AtLeast(models.RoleAdmin),
		Kinds:     s.kindOptions(), DeprovisionModes: deprovisionOptions, Form: form,
	}
	for _, a := range list {
		v.Apps = append(v.Apps, apps.AppRow{ID: a.ID, Name: a.Name, Kind: string(a.Kind), DeprovisionMode: a.DeprovisionMode,
			Description: a.Description, Entitlements: counts[a.ID], NotConnected: !s.connected(&a)})
	}
	return render(c, status, apps.List(s.page(c, "Apps", "apps"), v))
}

// appCreate adds an app and opens its page, where its catalogue is filled.
func (s *Server) appCreate(c echo.Context) error {
	in, form := readAppForm(c)
	form.Errors = validateApp(&in)
	s.checkKind(in.Kind, form.Errors)
	if len(form.Errors) > 0 {
		return s.renderApps(c, http.StatusUnprocessableEntity, form)
	}
	a, err := s.store.CreateApp(c.Request().Context(), actor(c), in)
	if errors.Is(err, models.ErrConflict) {
		form.Errors = map[string]string{"name": "An app called " + in.Name + " already exists."}
		return s.renderApps(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, appPath(a.ID), "success", a.Name+" was added. Now list what it can grant.")
}

// appPage shows an app and its catalogue; ?edit=<entitlement id> unfolds
// that entitlement's form.
func (s *Server) appPage(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	st := appPageState{}
	if id, err := strconv.ParseInt(c.QueryParam("edit"), 10, 64); err == nil {
		st.editID = id
	}
	return s.renderApp(c, http.StatusOK, app, st)
}

// appPageState is what a re-rendered app page keeps of the user's input.
type appPageState struct {
	edit    *apps.AppForm         // the app form after an error
	newEnt  *apps.EntitlementForm // the add-entitlement form after an error
	editEnt *apps.EntitlementForm // an entitlement's form after an error
	editID  int64                 // the entitlement whose form is unfolded
	webhook *apps.WebhookForm     // the connection form after an error
	// concurrency is the calls-at-once form after an error.
	concurrency *apps.ConcurrencyForm
	// assignee is the "Tasks go to" form after an error.
	assignee *tasks.AssigneeForm
}

func (s *Server) renderApp(c echo.Context, status int, app *models.App, st appPageState) error {
	ents, err := s.store.Entitlements(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	webhook, err := s.webhookView(c, app, st.webhook)
	if err != nil {
		return err
	}
	taskSettings, err := s.taskSettingsView(c, app, st.assignee)
	if err != nil {
		return err
	}
	health, err := s.appHealthView(c, app, time.Now())
	if err != nil {
		return err
	}
	v := apps.DetailView{
		App: apps.App{ID: app.ID, Name: app.Name, Kind: string(app.Kind), KindDescription: appOption(s.kindOptions(), string(app.Kind)).Description,
			DeprovisionMode: app.DeprovisionMode, Description: app.Description, Created: formatTime(app.CreatedAt)},
		CanManage:        currentAdmin(c).Role.AtLeast(models.RoleAdmin),
		Edit:             apps.AppForm{Name: app.Name, Kind: string(app.Kind), DeprovisionMode: app.DeprovisionMode, Description: app.Description},
		DeprovisionModes: deprovisionOptions,
		EntitlementKinds: entitlementKindOptions,
		ParamTypes:       paramTypeOptions,
		New:              apps.EntitlementForm{Kind: string(models.EntitlementRole), Params: padParamRows(nil)},
		Editing:          st.editEnt,
		Webhook:          webhook,
		Concurrency:      s.concurrencyView(app, st.concurrency),
		Tasks:            taskSettings,
		Health:           health,
		SCIM:             s.capabilities(app).Shows(connector.SettingSCIM),
	}
	if st.edit != nil {
		v.Edit, v.EditOpen = *st.edit, true
	}
	if st.newEnt != nil {
		v.New = *st.newEnt
	}
	for _, e := range ents {
		v.Entitlements = append(v.Entitlements, entitlementView(e))
		if v.Editing == nil && e.ID == st.editID {
			v.Editing = &apps.EntitlementForm{ID: e.ID, Kind: string(e.Kind), Key: e.Key, Name: e.Name, Params: paramFormRows(e.Params)}
		}
	}
	return render(c, status, apps.Detail(s.page(c, app.Name, "apps"), v))
}

// appUpdate changes an app's name, description and deprovision mode.
func (s *Server) appUpdate(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	in, form := readAppForm(c)
	in.Kind, form.Kind = app.Kind, string(app.Kind)
	if !posted(c, "description") {
		// The description is optional, so only a posted empty one clears it.
		in.Description, form.Description = app.Description, app.Description
	}
	if form.Errors = validateApp(&in); len(form.Errors) > 0 {
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{edit: &form})
	}
	err = s.store.UpdateApp(c.Request().Context(), actor(c), app.ID, in)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, models.ErrConflict):
		form.Errors = map[string]string{"name": "Another app is already called " + in.Name + "."}
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{edit: &form})
	case err != nil:
		return err
	}
	return s.redirectWithFlash(c, appPath(app.ID), "success", in.Name+" was saved.")
}

// entitlementCreate adds an entitlement to the app's catalogue.
func (s *Server) entitlementCreate(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	in, form := readEntitlementForm(c)
	if form.Errors = validateEntitlement(&in, form.Params); len(form.Errors) > 0 {
		markInvalidParams(form.Params)
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{newEnt: &form})
	}
	e, err := s.store.CreateEntitlement(c.Request().Context(), actor(c), app.ID, in)
	if errors.Is(err, models.ErrConflict) {
		form.Errors = map[string]string{"key": app.Name + " already has an entitlement with the key " + in.Key + "."}
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{newEnt: &form})
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, entitlementAnchor(app.ID, e.ID), "success", e.Name+" was added to "+app.Name+".")
}

// entitlementUpdate changes an entitlement's name and parameters; its kind
// and key stay what the app knows it by.
func (s *Server) entitlementUpdate(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	entID, err := strconv.ParseInt(c.Param("ent"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ent, err := s.store.EntitlementByID(c.Request().Context(), entID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && ent.AppID != app.ID) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	in, form := readEntitlementForm(c)
	in.Kind, in.Key = ent.Kind, ent.Key
	form.ID, form.Kind, form.Key = ent.ID, string(ent.Kind), ent.Key
	if !postedParamRows(c) {
		// A form without the parameter rows says nothing about them:
		// they are not cleared.
		in.Params, form.Params = ent.Params, paramFormRows(ent.Params)
	}
	form.Errors = validateEntitlement(&in, form.Params)
	if strings.TrimSpace(form.Name) == "" {
		// An entitlement's name defaults to its key when it is added;
		// once it has one, an empty name is a mistake, not a wish.
		form.Errors["name"] = "Give the entitlement a name, like Engineering."
	}
	if len(form.Errors) > 0 {
		markInvalidParams(form.Params)
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{editEnt: &form})
	}
	err = s.store.UpdateEntitlement(c.Request().Context(), actor(c), ent.ID, in)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, entitlementAnchor(app.ID, ent.ID), "success", in.Name+" was saved.")
}

// loadApp reads the app named by the :id path parameter.
func (s *Server) loadApp(c echo.Context) (*models.App, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	app, err := s.store.AppByID(c.Request().Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	return app, err
}

func appPath(id int64) string { return "/apps/" + strconv.FormatInt(id, 10) }

// entitlementAnchor is the app page scrolled to one entitlement's row,
// which the page highlights.
func entitlementAnchor(appID, entID int64) string {
	return appPath(appID) + "#entitlement-" + strconv.FormatInt(entID, 10)
}

// readAppForm reads the app form as posted, and the same input for a
// re-render.
func readAppForm(c echo.Context) (models.AppInput, apps.AppForm) {
	form := apps.AppForm{Name: c.FormValue("name"), Kind: c.FormValue("kind"),
		DeprovisionMode: c.FormValue("deprovision_mode"), Description: c.FormValue("description")}
	return models.AppInput{Kind: models.AppKind(form.Kind), Name: form.Name, Description: form.Description,
		DeprovisionMode: form.DeprovisionMode}, form
}

// validateApp is the store's validation plus the limits of the form.
func validateApp(in *models.AppInput) map[string]string {
	errs := in.Validate()
	if utf8.RuneCountInString(in.Description) > 1000 {
		errs["description"] = "Keep the description under 1,000 characters."
	}
	return errs
}

// readEntitlementForm reads the entitlement form, including its numbered
// parameter rows (params.0.name, params.0.type, ...). Rows without a name
// are left out of the input but kept in the form.
func readEntitlementForm(c echo.Context) (models.EntitlementInput, apps.EntitlementForm) {
	values, err := c.FormParams()
	if err != nil {
		values = url.Values{}
	}
	form := apps.EntitlementForm{Kind: values.Get("kind"), Key: values.Get("key"), Name: values.Get("name")}
	in := models.EntitlementInput{Kind: models.EntitlementKind(form.Kind), Key: form.Key, Name: form.Name}
	for i := range maxParamRows {
		p := fmt.Sprintf("params.%d.", i)
		row := apps.ParamRow{Name: values.Get(p + "name"), Type: values.Get(p + "type"), Label: values.Get(p + "label"),
			Required: values.Get(p+"required") != ""}
		form.Params = append(form.Params, row)
		if strings.TrimSpace(row.Name) != "" {
			in.Params = append(in.Params, models.ParamSpec{Name: row.Name, Type: models.ParamType(row.Type),
				Required: row.Required, Label: strings.TrimSpace(row.Label)})
		}
	}
	form.Params = padParamRows(trimParamRows(form.Params))
	return in, form
}

// posted reports whether the form has the field, even empty.
func posted(c echo.Context, field string) bool {
	values, err := c.FormParams()
	_, ok := values[field]
	return err == nil && ok
}

// postedParamRows reports whether the form has any parameter row field;
// the entitlement form always sends its rows, empty ones included.
func postedParamRows(c echo.Context) bool {
	values, err := c.FormParams()
	if err != nil {
		return false
	}
	for key := range values {
		if strings.HasPrefix(key, "params.") {
			return true
		}
	}
	return false
}

// validateEntitlement is the store's validation plus the limits of the
// form. A row with a label or a tick but no name is most likely a
// forgotten name, so it is pointed out rather than dropped.
func validateEntitlement(in *models.EntitlementInput, rows []apps.ParamRow) map[string]string {
	errs := in.Validate()
	if utf8.RuneCountInString(in.Name) > 200 {
		errs["name"] = "Keep the name under 200 characters."
	}
	for _, p := range in.Params {
		if utf8.RuneCountInString(p.Label) > 100 {
			errs["params"] = "Keep the label of " + p.Name + " under 100 characters."
		}
	}
	for i, r := range rows {
		if strings.TrimSpace(r.Name) == "" && (strings.TrimSpace(r.Label) != "" || r.Required) {
			errs["params"] = fmt.Sprintf("Parameter row %d has no name: give it one, or clear the row.", i+1)
		}
	}
	return errs
}

// markInvalidParams flags the parameter rows the form's message is about,
// by the same rules as validateEntitlement, one row at a time.
func markInvalidParams(rows []apps.ParamRow) {
	seen := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		name := strings.TrimSpace(r.Name)
		if name == "" {
			r.Invalid = strings.TrimSpace(r.Label) != "" || r.Required
			continue
		}
		one := models.EntitlementInput{Kind: models.EntitlementRole, Key: "row",
			Params: []models.ParamSpec{{Name: name, Type: models.ParamType(r.Type), Label: strings.TrimSpace(r.Label)}}}
		r.Invalid = seen[name] || len(validateEntitlement(&one, nil)) > 0
		seen[name] = true
	}
}

// entitlementView is one entitlement as the catalogue lists it.
func entitlementView(e models.Entitlement) apps.Entitlement {
	row := apps.Entitlement{ID: e.ID, Kind: string(e.Kind), KindLabel: appOption(entitlementKindOptions, string(e.Kind)).Label, Key: e.Key, Name: e.Name}
	for _, p := range e.Params {
		summary := p.Name + " (" + string(p.Type)
		if p.Required {
			summary += ", required"
		}
		row.Params = append(row.Params, apps.Param{Summary: summary + ")", Label: p.Label})
	}
	return row
}

// paramFormRows turns stored parameters into form rows.
func paramFormRows(params []models.ParamSpec) []apps.ParamRow {
	rows := make([]apps.ParamRow, 0, len(params))
	for _, p := range params {
		rows = append(rows, apps.ParamRow{Name: p.Name, Type: string(p.Type), Label: p.Label, Required: p.Required})
	}
	return padParamRows(rows)
}

// trimParamRows drops the empty rows at the end.
func trimParamRows(rows []apps.ParamRow) []apps.ParamRow {
	for len(rows) > 0 && rows[len(rows)-1] == (apps.ParamRow{Type: rows[len(rows)-1].Type}) {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// padParamRows adds empty rows: at least paramRowsShown in all, and one
// free row when there is room.
func padParamRows(rows []apps.ParamRow) []apps.ParamRow {
	n := max(paramRowsShown, min(len(rows)+1, maxParamRows))
	for len(rows) < n {
		rows = append(rows, apps.ParamRow{Type: string(models.ParamText)})
	}
	return rows
}

// appOption finds a choice by value; an unknown value is its own label.
func appOption(opts []apps.Option, value string) apps.Option {
	for _, o := range opts {
		if o.Value == value {
			return o
		}
	}
	return apps.Option{Value: value, Label: value}
}
