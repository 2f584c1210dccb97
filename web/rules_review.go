package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	ruleview "github.com/rosterhq/roster/views/rules"
)

// ruleReview checks the builder's form and shows what saving it would do;
// an invalid form goes back to the builder with its messages. With edit=1
// it returns a reviewed rule to the builder instead.
func (s *Server) ruleReview(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	if params.Get("edit") != "" {
		r, err := decodeReviewedRule(params.Get("rule_json"))
		if err != nil {
			return err
		}
		return s.renderBuilder(c, http.StatusOK, ruleBuilderTitle(r.ID, r.Name), ruleFormFrom(r), nil)
	}
	ctx := c.Request().Context()
	f := parseRuleForm(params)
	r, errs, err := s.ruleCheck(ctx, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderBuilder(c, http.StatusUnprocessableEntity, ruleBuilderTitle(f.ID, f.Name), f, errs)
	}
	impact, err := s.planner.RuleImpact(ctx, new(planner.EngineRule(r)), r.ID)
	if err != nil {
		return err
	}
	cat, err := s.loadRuleCatalogue(ctx)
	if err != nil {
		return err
	}
	overlaps, err := s.ruleOverlaps(c, r, cat)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	v := ruleview.Review{IsNew: r.ID == 0, RuleJSON: string(raw), Impact: ruleImpactView(impact), Summary: cat.summary(r), Overlaps: overlaps}
	return render(c, http.StatusOK, ruleview.ReviewPage(s.page(c, "Review: "+r.Name, "rules"), v))
}

// ruleSave stores a reviewed rule and re-plans everyone. The rule is
// checked again: the catalogue or other rules may have changed since the
// review, and the hidden field is the client's to alter.
func (s *Server) ruleSave(c echo.Context) error {
	ctx := c.Request().Context()
	reviewed, err := decodeReviewedRule(c.FormValue("rule_json"))
	if err != nil {
		return err
	}
	f := ruleFormFrom(reviewed)
	r, errs, err := s.ruleCheck(ctx, f)
	if err != nil {
		return err
	}
	if r.ID != 0 {
		stored, err := s.store.RuleByID(ctx, r.ID)
		if errors.Is(err, models.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "This rule was deleted while you were editing it.")
		}
		if err != nil {
			return err
		}
		if stored.Version != r.Version {
			f.Version = stored.Version
			errs.add("form", fmt.Sprintf("Someone else saved this rule (now version %d) while you were editing. Your values are below: review them again to save over theirs.", stored.Version))
		}
	}
	if len(errs) > 0 {
		return s.renderBuilder(c, http.StatusUnprocessableEntity, ruleBuilderTitle(f.ID, f.Name), f, errs)
	}
	impact, err := s.planner.RuleImpact(ctx, new(planner.EngineRule(r)), r.ID)
	if err != nil {
		return err
	}
	err = s.store.SaveRule(ctx, actor(c), r)
	if errors.Is(err, models.ErrConflict) {
		errs.add("name", "Another rule is already called “"+r.Name+"”. Choose another name.")
		return s.renderBuilder(c, http.StatusUnprocessableEntity, ruleBuilderTitle(f.ID, f.Name), f, errs)
	}
	if err != nil {
		return err
	}
	done := fmt.Sprintf("Rule “%s” saved (version %d): %s.", r.Name, r.Version, ruleImpactView(impact).String())
	return s.replanAndRedirect(c, "/rules/"+strconv.FormatInt(r.ID, 10), done)
}

// decodeReviewedRule reads the rule the review page carried in a hidden
// field.
func decodeReviewedRule(raw string) (*models.Rule, error) {
	var r models.Rule
	if raw == "" || json.Unmarshal([]byte(raw), &r) != nil || r.ID < 0 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The reviewed rule could not be read. Open the rule and review it again.")
	}
	return &r, nil
}

func ruleBuilderTitle(id int64, name string) string {
	if id == 0 {
		return "New rule"
	}
	if name == "" {
		return "Rule"
	}
	return name
}

// ruleOverlaps explains each parameter the rule sets that another enabled
// rule sets differently for the same entitlement: where both match, the
// higher priority wins (equal priority: the older rule).
func (s *Server) ruleOverlaps(c echo.Context, r *models.Rule, cat *ruleCatalogue) ([]string, error) {
	others, err := s.store.ListRules(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range r.Grants {
		for _, o := range others {
			if o.ID == r.ID || !o.Enabled {
				continue
			}
			for _, og := range o.Grants {
				if og.AppID != g.AppID || og.EntitlementID != g.EntitlementID {
					continue
				}
				for name, mine := range g.Params {
					theirs, ok := og.Params[name]
					if !ok || theirs == mine {
						continue
					}
					out = append(out, ruleOverlapText(cat.grantText(models.RuleGrant{AppID: g.AppID, EntitlementID: g.EntitlementID}),
						name, r, mine, &o, theirs))
				}
			}
		}
	}
	return out, nil
}

func ruleOverlapText(what, param string, r *models.Rule, mine string, o *models.Rule, theirs string) string {
	winner, why := o.Name, "higher priority"
	switch {
	case r.Priority > o.Priority:
		winner = "this rule"
	case r.Priority == o.Priority && r.ID != 0 && r.ID < o.ID:
		winner, why = "this rule", "same priority, older rule"
	case r.Priority == o.Priority:
		why = "same priority, older rule"
	}
	return fmt.Sprintf("%s, %s: this rule sets %s (priority %d), “%s” sets %s (priority %d). For people both match, %s wins (%s).",
		what, param, mine, r.Priority, o.Name, theirs, o.Priority, winner, why)
}
