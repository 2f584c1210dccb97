package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	ruleview "github.com/rosterhq/roster/views/rules"
)

// ruleRowsChanged is the event the builder's form listens for to refresh
// the preview after a row is removed (removing fires no input event).
const ruleRowsChanged = "rule-rows-changed"

// ruleNew opens an empty builder.
func (s *Server) ruleNew(c echo.Context) error {
	return s.renderBuilder(c, http.StatusOK, "New rule", newRuleForm(), nil)
}

// ruleEdit opens a saved rule in the builder.
func (s *Server) ruleEdit(c echo.Context) error {
	r, err := s.ruleFromPath(c)
	if err != nil {
		return err
	}
	return s.renderBuilder(c, http.StatusOK, r.Name, ruleFormFrom(r), nil)
}

// ruleConditionRow is an htmx fragment: a new condition row (with the add
// button for the next), the same row re-rendered for a new operator
// (refresh=1; 204 when a typed value would be lost and the row needs no
// change), or nothing, removing the row (remove=1).
func (s *Server) ruleConditionRow(c echo.Context) error {
	if c.QueryParam("remove") != "" {
		return ruleRowRemoved(c)
	}
	i, err := ruleRowIndex(c)
	if err != nil {
		return err
	}
	ch, err := s.ruleChoices(c.Request().Context())
	if err != nil {
		return err
	}
	q := c.QueryParams()
	prefix := "conditions." + strconv.Itoa(i) + "."
	in := ruleConditionInput{Index: i, Attribute: strings.TrimSpace(q.Get(prefix + "attribute")),
		Operator: ruleOr(q.Get(prefix+"operator"), string(rules.Equals)), Value: strings.TrimSpace(q.Get(prefix + "value"))}
	row := ruleConditionView(in, nil)
	if c.QueryParam("refresh") != "" {
		if in.Value != "" && row.TakesValue {
			// Keep the row as it is: re-rendering could swallow what
			// the admin types while the answer is on its way.
			return c.NoContent(http.StatusNoContent)
		}
		return render(c, http.StatusOK, ruleview.ConditionRowView(row, ch))
	}
	return render(c, http.StatusOK, ruleview.ConditionRowFragment(row, ch))
}

// ruleGrantRow is an htmx fragment: a new grant row, or nothing (remove=1).
func (s *Server) ruleGrantRow(c echo.Context) error {
	if c.QueryParam("remove") != "" {
		return ruleRowRemoved(c)
	}
	i, err := ruleRowIndex(c)
	if err != nil {
		return err
	}
	ch, err := s.ruleChoices(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ruleview.GrantRowFragment(ruleview.GrantRow{Index: i}, ch))
}

// ruleEntitlementOptions is an htmx fragment: a grant row's entitlement
// select for the chosen app, and the parameter inputs of the chosen
// entitlement.
func (s *Server) ruleEntitlementOptions(c echo.Context) error {
	i, err := ruleRowIndex(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	prefix := "grants." + strconv.Itoa(i) + "."
	in := ruleGrantInput{Index: i, Params: map[string]string{},
		AppID:         strings.TrimSpace(ruleOr(q.Get(prefix+"app_id"), q.Get("app_id"))),
		EntitlementID: strings.TrimSpace(ruleOr(q.Get(prefix+"entitlement_id"), q.Get("entitlement_id")))}
	for k, v := range q {
		if name, ok := strings.CutPrefix(k, prefix+"params."); ok && name != "" {
			in.Params[name] = strings.TrimSpace(v[0])
		}
	}
	cat, err := s.loadRuleCatalogue(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ruleview.EntitlementFields(cat.grantRow(in, nil, true)))
}

// rulePreview is an htmx fragment: how many people the form's conditions
// match now, and the first names. It never writes.
func (s *Server) rulePreview(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	return render(c, http.StatusOK, ruleview.PreviewPanel(s.preview(c.Request().Context(), parseRuleForm(params))))
}

// preview counts whom the form's rule matches, through the preview gate:
// one at a time per session, a few at a time in all, within a time limit.
func (s *Server) preview(ctx context.Context, f ruleForm) ruleview.Preview {
	r, ignored := f.previewRule()
	ctx, leave, err := s.previews.enter(ctx, s.sessions.Token(ctx))
	if err == nil {
		defer leave()
		var count int
		var names []string
		count, names, err = s.planner.PreviewMatches(ctx, r)
		if err == nil {
			return ruleview.Preview{Count: count, Names: names, Ignored: ignored, Everyone: len(r.Conditions) == 0}
		}
	}
	switch {
	case errors.Is(err, errPreviewBusy):
		s.logger.Warn("rules: preview refused, every slot busy", "timeout", s.previews.timeout)
		return ruleview.Preview{Error: "Roster is busy with other previews. Change a condition to try again in a moment."}
	case errors.Is(err, context.DeadlineExceeded):
		s.logger.Warn("rules: preview stopped at its time limit", "timeout", s.previews.timeout)
		return ruleview.Preview{Error: "The preview took too long and was stopped. The rule can still be saved: its review shows everyone it affects."}
	case errors.Is(err, context.Canceled):
		return ruleview.Preview{Error: "The preview was replaced by a newer one."} // the newer answer follows
	}
	s.logger.Error("rules: preview", "error", err)
	return ruleview.Preview{Error: "The preview could not be computed. Try again."}
}

// ruleRowRemoved answers a row's remove button: an empty body replaces the
// row, and the form hears that the rows changed.
func ruleRowRemoved(c echo.Context) error {
	c.Response().Header().Set("HX-Trigger-After-Settle", ruleRowsChanged)
	return c.HTML(http.StatusOK, "")
}

func ruleRowIndex(c echo.Context) (int, error) {
	i, err := strconv.Atoi(c.QueryParam("i"))
	if err != nil || i < 0 || i > maxRowIndex {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "Unknown row.")
	}
	return i, nil
}

// cmp returns a, or b when a is blank.
func ruleOr(a, b string) string {
	if strings.TrimSpace(a) == "" {
		return b
	}
	return a
}

// renderBuilder shows the builder with the form's values, its errors and
// a fresh preview.
func (s *Server) renderBuilder(c echo.Context, status int, title string, f ruleForm, errs ruleErrors) error {
	ctx := c.Request().Context()
	ch, err := s.ruleChoices(ctx)
	if err != nil {
		return err
	}
	cat, err := s.loadRuleCatalogue(ctx)
	if err != nil {
		return err
	}
	v := ruleview.Builder{
		Form:    cat.viewForm(f, errs),
		Choices: ch,
		Preview: s.preview(ctx, f),
		CanEdit: currentAdmin(c).Role.AtLeast(models.RoleAdmin),
	}
	if f.ID != 0 {
		if stored, err := s.store.RuleByID(ctx, f.ID); err == nil {
			v.Updated = formatTime(stored.UpdatedAt)
		}
	}
	return render(c, status, ruleview.BuilderPage(s.page(c, title, "rules"), v))
}

// ruleChoices are the builder's attribute, operator and app options.
func (s *Server) ruleChoices(ctx context.Context) (ruleview.Choices, error) {
	custom, err := s.store.CustomAttributeNames(ctx)
	if err != nil {
		return ruleview.Choices{}, err
	}
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return ruleview.Choices{}, err
	}
	ch := ruleview.Choices{Attributes: rules.StandardAttributes(), CustomAttributes: custom}
	for _, op := range rules.Operators() {
		ch.Operators = append(ch.Operators, ruleview.Option{Value: string(op), Label: op.Label()})
	}
	for _, a := range apps {
		ch.Apps = append(ch.Apps, ruleview.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name})
	}
	return ch, nil
}

// ruleCatalogue is every app and entitlement, for checking grants and naming
// them.
type ruleCatalogue struct {
	apps  map[int64]models.App
	ents  map[int64]models.Entitlement
	byApp map[int64][]models.Entitlement
}

func (s *Server) loadRuleCatalogue(ctx context.Context) (*ruleCatalogue, error) {
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	ents, err := s.store.Entitlements(ctx, 0)
	if err != nil {
		return nil, err
	}
	cat := &ruleCatalogue{apps: map[int64]models.App{}, ents: map[int64]models.Entitlement{}, byApp: map[int64][]models.Entitlement{}}
	for _, a := range apps {
		cat.apps[a.ID] = a
	}
	for _, e := range ents {
		cat.ents[e.ID] = e
		cat.byApp[e.AppID] = append(cat.byApp[e.AppID], e)
	}
	return cat, nil
}

// viewForm is the form as the builder shows it.
func (cat *ruleCatalogue) viewForm(f ruleForm, errs ruleErrors) ruleview.Form {
	v := ruleview.Form{
		ID: f.ID, Version: f.Version, Name: f.Name, Description: f.Description, Priority: f.Priority,
		Enabled: f.Enabled, Match: f.Match,
		JoinerDays: f.JoinerDays, JoinerDirection: f.JoinerDirection, JoinerTime: f.JoinerTime,
		LeaverMode: f.LeaverMode, LeaverDays: f.LeaverDays, LeaverTime: f.LeaverTime, Approval: f.Approval,
		Errors: map[string]string{},
	}
	for k, msg := range errs {
		if !strings.Contains(k, ".") {
			v.Errors[k] = msg
		}
	}
	for _, c := range f.Conditions {
		v.Conditions = append(v.Conditions, ruleConditionView(c, errs))
		v.NextCondition = max(v.NextCondition, c.Index+1)
	}
	for _, g := range f.Grants {
		v.Grants = append(v.Grants, cat.grantRow(g, errs, false))
		v.NextGrant = max(v.NextGrant, g.Index+1)
	}
	return v
}

// ruleRowErrors picks the messages of one row: prefix "conditions.3."
// yields {"value": "..."}.
func ruleRowErrors(errs ruleErrors, prefix string) map[string]string {
	out := map[string]string{}
	for k, msg := range errs {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			out[name] = msg
		}
	}
	return out
}

func ruleConditionView(c ruleConditionInput, errs ruleErrors) ruleview.ConditionRow {
	op := rules.Operator(ruleOr(c.Operator, string(rules.Equals)))
	return ruleview.ConditionRow{
		Index: c.Index, Attribute: c.Attribute, Operator: string(op), Value: c.Value,
		TakesValue: op.TakesValue(), Placeholder: ruleValuePlaceholder(op),
		Errors: ruleRowErrors(errs, "conditions."+strconv.Itoa(c.Index)+"."),
	}
}

func ruleValuePlaceholder(op rules.Operator) string {
	switch op {
	case rules.In, rules.NotIn:
		return "comma-separated, e.g. Berlin, Paris"
	case rules.Before, rules.After:
		return "YYYY-MM-DD or today"
	}
	return "value"
}

// grantRow is a grant row with its app's entitlements and the chosen
// entitlement's parameter inputs. pickOnly selects an app's only
// entitlement when none is chosen, as the app select changes.
func (cat *ruleCatalogue) grantRow(g ruleGrantInput, errs ruleErrors, pickOnly bool) ruleview.GrantRow {
	row := ruleview.GrantRow{Index: g.Index, Errors: ruleRowErrors(errs, "grants."+strconv.Itoa(g.Index)+".")}
	appID, _ := strconv.ParseInt(g.AppID, 10, 64)
	if _, ok := cat.apps[appID]; !ok {
		return row
	}
	row.AppID = g.AppID
	ents := cat.byApp[appID]
	for _, e := range ents {
		row.Entitlements = append(row.Entitlements, ruleview.Option{Value: strconv.FormatInt(e.ID, 10), Label: ruleEntitlementLabel(e)})
	}
	entID, _ := strconv.ParseInt(g.EntitlementID, 10, 64)
	i := slices.IndexFunc(ents, func(e models.Entitlement) bool { return e.ID == entID })
	if i < 0 && pickOnly && len(ents) == 1 {
		i = 0
	}
	if i < 0 {
		return row
	}
	entID = ents[i].ID
	row.EntitlementID = strconv.FormatInt(entID, 10)
	for _, p := range ents[i].Params {
		row.Params = append(row.Params, ruleview.ParamInput{
			Name: p.Name, Label: ruleParamLabel(p), Type: string(p.Type), Required: p.Required,
			Value: g.Params[p.Name], Error: row.Errors["params."+p.Name],
		})
	}
	return row
}

func ruleEntitlementLabel(e models.Entitlement) string {
	if e.Name == "" || e.Name == e.Key {
		return e.Key + " (" + kindWord(e.Kind) + ")"
	}
	return e.Name + " (" + kindWord(e.Kind) + ": " + e.Key + ")"
}

func ruleParamLabel(p models.ParamSpec) string {
	if p.Label != "" {
		return p.Label
	}
	return p.Name
}

// check adds the ruleCatalogue's problems with the grants: apps and
// entitlements that exist and belong together, required and numeric
// parameters. It drops parameters the entitlement does not declare.
func (cat *ruleCatalogue) check(r *models.Rule, grants []int, errs ruleErrors) {
	for pos := range r.Grants {
		g := &r.Grants[pos]
		field := "grants." + strconv.Itoa(grants[pos]) + "."
		if _, ok := cat.apps[g.AppID]; !ok {
			if g.AppID != 0 {
				errs.add(field+"app_id", "This app no longer exists. Choose another.")
			}
			continue
		}
		e, ok := cat.ents[g.EntitlementID]
		if !ok || e.AppID != g.AppID {
			if g.EntitlementID != 0 {
				errs.add(field+"entitlement_id", "Choose one of this app's entitlements.")
			}
			continue
		}
		params := map[string]string{}
		for _, p := range e.Params {
			v := g.Params[p.Name]
			switch {
			case v == "" && p.Required:
				errs.add(field+"params."+p.Name, "Enter "+ruleParamLabel(p)+": this entitlement needs it.")
			case v == "":
			case p.Type == models.ParamNumber && !ruleNumber(v):
				errs.add(field+"params."+p.Name, ruleParamLabel(p)+" must be a number, like 5000.")
			case p.Type == models.ParamBool && v != "true" && v != "false":
				errs.add(field+"params."+p.Name, "Choose yes or no.")
			default:
				params[p.Name] = v
			}
		}
		g.Params = params
	}
}

// decimalNumber is a number as a person writes it, like 5000, -2.5 or
// 1e6: Go also reads NaN, Inf, 0x10 and 1_000, which the app receiving
// the parameter might not.
var decimalNumber = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// ruleNumber reports whether s is a decimal number within float64's range.
func ruleNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && decimalNumber.MatchString(s)
}
