package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/views/teamupdates"
)

// teamUpdateWhy explains one change: the fragment for htmx, a page of its
// own otherwise.
func (s *Server) teamUpdateWhy(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ch, err := s.store.ChangeByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	person, err := s.store.PersonByID(ctx, ch.PersonID)
	if err != nil {
		return err
	}
	cat, err := s.catalogue(ctx, []models.ChangeRow{{Change: *ch, Person: *person}})
	if err != nil {
		return err
	}
	why := cat.why(ch, person, time.Now())
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") == "true" {
		return render(c, http.StatusOK, teamupdates.WhyFragment(why))
	}
	tab, label := tabOf(ch)
	d := teamupdates.Detail{Row: cat.row(ch, person, time.Now()), Why: why, Status: changeStatusNote(ch),
		BackURL: "/team-updates?tab=" + tab, Queue: "Team Updates: " + label}
	return render(c, http.StatusOK, teamupdates.DetailPage(s.page(c, "Why: "+person.DisplayName(), "team-updates"), d))
}

// changeStatusNote says what became of a change that is no longer pending.
func changeStatusNote(ch *models.Change) string {
	switch ch.Status {
	case models.ChangePending:
		return ""
	case models.ChangeSuperseded:
		if ch.DecidedBy != "" {
			return "Approved, then replaced by newer HR data or rules before all of it ran: its steps that had not started were cancelled."
		}
		return "Newer HR data or rules replaced this change; it will not run."
	}
	s := "This change is " + string(ch.Status)
	if ch.DecidedBy != "" && ch.DecidedAt != nil {
		s += " (decided by " + ch.DecidedBy + " at " + formatTime(*ch.DecidedAt) + ")"
	}
	return s + "."
}

// why decodes a change's stored explanation into words.
func (cat *catalogue) why(ch *models.Change, p *models.Person, now time.Time) teamupdates.Why {
	out := teamupdates.Why{ChangeID: ch.ID, Summary: ch.Summary, Duplicate: cat.duplicate(p)}
	var w rules.Why
	if err := json.Unmarshal([]byte(ch.Why), &w); err != nil {
		out.Unreadable = true
		cat.whyTiming(&out, ch, p, rules.Timing{}, now)
		return out
	}
	out.Trigger = triggerText(w.Trigger)
	for _, d := range w.Diff {
		out.Diff = append(out.Diff, teamupdates.DiffRow{Field: d.Field, Old: d.Old, New: d.New})
	}
	for _, m := range w.Matched {
		out.Rules = append(out.Rules, cat.ruleLine(m, ch.Plan))
	}
	for _, c := range w.Conflicts {
		out.Conflicts = append(out.Conflicts, teamupdates.ConflictLine{
			Where: joinNonEmpty(" · ", cat.appName(c.AppID), cat.entitlementName(c.EntitlementID)),
			Text:  c.String(),
		})
	}
	cat.whyTiming(&out, ch, p, w.Timing, now)
	return out
}

// zoneWords say whose time zone a person's times are shown in.
var zoneWords = map[string]string{
	"person":       "the person's time zone",
	"organisation": "the organisation's time zone (none is set for the person)",
	"default":      "as neither the person nor the organisation has a time zone",
}

// whyTiming fills in when the steps run: all of them in a line, then each
// step with its own time and basis, in the person's zone. timing is the
// stored explanation's; plans stored before steps had their own time take
// its basis for every step.
func (cat *catalogue) whyTiming(out *teamupdates.Why, ch *models.Change, p *models.Person, timing rules.Timing, now time.Time) {
	times := cat.times(p, now)
	out.Timing = cat.effective(ch, p, now).String()
	out.Zone = "Times are in " + times.Zone() + ", " + zoneWords[times.ZoneSource()] + "."
	out.TimingNote = timing.Note
	legacy := timing.Basis
	if legacy != "" && timing.RuleName != "" {
		legacy += fmt.Sprintf(", from %q", timing.RuleName)
	}
	for _, st := range ch.Plan {
		at := st.Due(ch.EffectiveAt)
		line := teamupdates.WhyStep{What: cat.appName(st.AppID) + ": " + cat.stepText(st), When: times.Format(at), ISO: isoTime(at), Basis: stepBasis(st.When)}
		if st.When == "" {
			line.Basis = legacy
		}
		out.Steps = append(out.Steps, line)
	}
}

// stepBasis is why a step runs when it does, without repeating "on
// approval", which its time already says.
func stepBasis(when string) string {
	if rest, ok := strings.CutPrefix(when, rules.OnApproval); ok {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(rest), "("), ")")
	}
	return when
}

func (cat *catalogue) ruleLine(m rules.RuleMatch, plan []models.PlanStep) teamupdates.RuleLine {
	line := teamupdates.RuleLine{ID: m.RuleID, Name: m.RuleName, Priority: m.Priority}
	for _, c := range m.Evaluation.Conditions {
		cond := c.Attribute + " " + c.Operator.Label()
		if c.Operator.TakesValue() {
			cond += fmt.Sprintf(" %q", c.Value)
		}
		actual := fmt.Sprintf("is %q", c.Actual)
		if strings.TrimSpace(c.Actual) == "" {
			actual = "is empty"
		}
		line.Conditions = append(line.Conditions, teamupdates.ConditionLine{Condition: cond, Actual: actual, Held: c.Matched})
	}
	var behind []models.PlanStep
	for _, st := range plan {
		if slices.Contains(st.Rules, m.RuleID) {
			behind = append(behind, st)
		}
	}
	for _, a := range cat.plan(behind) {
		line.Gives = append(line.Gives, a.App+": "+strings.Join(a.Steps, ", "))
	}
	return line
}

// triggerText is the HR event behind a change, in words.
func triggerText(trigger string) string {
	switch trigger {
	case "joined":
		return "Joined: new in the source."
	case "changed":
		return "Changed in HR."
	case "left":
		return "Left: the source gives a termination."
	case "rehired":
		return "Rehired: back in the source after leaving."
	case "leave":
		return "Went on leave."
	case "removed":
		return "Removed from the source."
	case "rules changed":
		return "The rules changed; their HR record did not."
	case "":
		return "No HR event recorded."
	}
	return trigger
}
