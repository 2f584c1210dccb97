package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	ruleview "github.com/rosterhq/roster/views/rules"
)

// rulesPage lists the rules, highest priority first.
func (s *Server) rulesPage(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.store.ListRules(ctx)
	if err != nil {
		return err
	}
	cat, err := s.loadRuleCatalogue(ctx)
	if err != nil {
		return err
	}
	planning, err := s.planningStatus(ctx)
	if err != nil {
		return err
	}
	v := ruleview.List{CanEdit: currentAdmin(c).Role.AtLeast(models.RoleAdmin), Planning: planning}
	for i := range list {
		r := &list[i]
		sum := cat.summary(r)
		v.Rows = append(v.Rows, ruleview.ListRow{
			ID: r.ID, Name: r.Name, Enabled: r.Enabled, Priority: r.Priority, Version: r.Version,
			Conditions: sum.Conditions, Grants: strings.Join(sum.Grants, "; "), Approval: sum.Approval,
			Updated: formatTime(r.UpdatedAt),
		})
	}
	return render(c, http.StatusOK, ruleview.ListPage(s.page(c, "Rules", "rules"), v))
}

// ruleEnable turns a rule on, after showing what that would do.
func (s *Server) ruleEnable(c echo.Context) error { return s.ruleSwitch(c, "enable") }

// ruleDisable turns a rule off, after showing what that would do.
func (s *Server) ruleDisable(c echo.Context) error { return s.ruleSwitch(c, "disable") }

// ruleDelete removes a rule, after showing what that would do.
func (s *Server) ruleDelete(c echo.Context) error { return s.ruleSwitch(c, "delete") }

// ruleSwitch enables, disables or deletes a rule. Without confirm=1 it
// only shows the impact and asks; with it, it applies the change and
// queues a re-plan of everyone.
func (s *Server) ruleSwitch(c echo.Context, action string) error {
	ctx := c.Request().Context()
	r, err := s.ruleFromPath(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "1" {
		var proposed *rules.Rule
		if action != "delete" {
			er := planner.EngineRule(r)
			er.Enabled = action == "enable"
			proposed = &er
		}
		impact, err := s.planner.RuleImpact(ctx, proposed, r.ID)
		if err != nil {
			return err
		}
		cat, err := s.loadRuleCatalogue(ctx)
		if err != nil {
			return err
		}
		v := ruleview.Confirm{ID: r.ID, Action: action, Impact: ruleImpactView(impact), Summary: cat.summary(r)}
		title := strings.ToUpper(action[:1]) + action[1:] + " rule “" + r.Name + "”?"
		return render(c, http.StatusOK, ruleview.ConfirmPage(s.page(c, title, "rules"), v))
	}
	done := map[string]string{"enable": "enabled", "disable": "disabled", "delete": "deleted"}[action]
	switch action {
	case "delete":
		err = s.store.DeleteRule(ctx, actor(c), r.ID)
	default:
		err = s.store.SetRuleEnabled(ctx, actor(c), r.ID, action == "enable")
	}
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return s.replanAndRedirect(c, "/rules", fmt.Sprintf("Rule “%s” %s.", r.Name, done))
}

// replanAndRedirect queues a re-plan of everyone after a rule change and
// reports it; the rules page shows its progress. The rule change is saved
// either way, so failing to queue is a message, not an error page: the
// hourly check re-plans everyone anyway.
func (s *Server) replanAndRedirect(c echo.Context, to, done string) error {
	if err := s.replanEveryone(c); err != nil {
		s.logger.Error("rules: queue re-plan of everyone", "error", err)
		return s.redirectWithFlash(c, to, "error", done+" Re-planning Team Updates could not be queued; the hourly check re-plans everyone.")
	}
	return s.redirectWithFlash(c, to, "success", done+" Team Updates are being re-planned.")
}

// ruleFromPath loads the rule named by :id.
func (s *Server) ruleFromPath(c echo.Context) (*models.Rule, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	r, err := s.store.RuleByID(c.Request().Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	return r, err
}

func ruleImpactView(i rules.Impact) ruleview.Impact {
	return ruleview.Impact{Grants: i.Grants, Revokes: i.Revokes, Updates: i.Updates, People: i.People}
}

// summary is a rule in words.
func (cat *ruleCatalogue) summary(r *models.Rule) ruleview.Summary {
	er := planner.EngineRule(r)
	sum := ruleview.Summary{Name: r.Name, Description: r.Description, Enabled: r.Enabled, Priority: r.Priority,
		Conditions: ruleConditionsText(er), Joiner: ruleJoinerText(er.Joiner), Leaver: ruleLeaverText(er.Leaver), Approval: "Review in Team Updates"}
	if er.Approval == rules.ApprovalAuto {
		sum.Approval = "Auto-approve"
	}
	for _, g := range r.Grants {
		sum.Grants = append(sum.Grants, cat.grantText(g))
	}
	return sum
}

// conditionsText reads conditions as "department equals Engineering AND
// location equals Berlin"; "" for none.
func ruleConditionsText(r rules.Rule) string {
	parts := make([]string, len(r.Conditions))
	for i, c := range r.Conditions {
		parts[i] = c.String()
	}
	sep := " AND "
	if r.Match == rules.MatchAny {
		sep = " OR "
	}
	return strings.Join(parts, sep)
}

// grantText names a grant as "GitHub: eng" with its parameters.
func (cat *ruleCatalogue) grantText(g models.RuleGrant) string {
	app, ok := cat.apps[g.AppID]
	text := "app #" + strconv.FormatInt(g.AppID, 10) + " (deleted)"
	if ok {
		text = app.Name
	}
	if e, ok := cat.ents[g.EntitlementID]; ok {
		text += ": " + e.Name
	} else {
		text += ": entitlement #" + strconv.FormatInt(g.EntitlementID, 10) + " (deleted)"
	}
	if len(g.Params) > 0 {
		names := make([]string, 0, len(g.Params))
		for k := range g.Params {
			names = append(names, k)
		}
		sort.Strings(names)
		for i, k := range names {
			names[i] = k + " " + g.Params[k]
		}
		text += " (" + strings.Join(names, ", ") + ")"
	}
	return text
}

func ruleJoinerText(j rules.JoinerTiming) string {
	at := " at " + ruleOr(j.LocalTime, rules.DefaultJoinerTime) + " local time"
	switch {
	case j.OffsetDays == 0:
		return "On the start date" + at
	case j.OffsetDays < 0:
		return ruleDaysText(-j.OffsetDays) + " before the start date" + at
	}
	return ruleDaysText(j.OffsetDays) + " after the start date" + at
}

func ruleLeaverText(l rules.LeaverTiming) string {
	at := " at " + ruleOr(l.LocalTime, rules.DefaultLeaverTime) + " local time"
	switch l.Mode {
	case rules.LeaveImmediately:
		return "Immediately, once the change is approved"
	case rules.LeaveDaysAfter:
		return ruleDaysText(l.Days) + " after the termination date" + at
	}
	return "On the termination date" + at
}

func ruleDaysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// ruleCheck converts and validates a builder form completely: the form
// itself, the engine's rules, the catalogue, and the name's uniqueness.
func (s *Server) ruleCheck(ctx context.Context, f ruleForm) (*models.Rule, ruleErrors, error) {
	r, _, grants, errs := f.rule()
	cat, err := s.loadRuleCatalogue(ctx)
	if err != nil {
		return nil, nil, err
	}
	cat.check(r, grants, errs)
	all, err := s.store.ListRules(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range all {
		if o.ID != r.ID && strings.EqualFold(strings.TrimSpace(o.Name), r.Name) && r.Name != "" {
			errs.add("name", "Another rule is already called “"+o.Name+"”. Choose another name.")
		}
	}
	return r, errs, nil
}
