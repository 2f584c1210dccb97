package web

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/teamupdates"
)

// catalogue names what changes refer to: apps and entitlements (the
// rules' catalogue) and the people they may duplicate, and knows the
// organisation's time zone, which times are shown in for people without
// one. It is loaded once per request.
type catalogue struct {
	*ruleCatalogue
	people map[int64]models.Person // the people rows may duplicate
	orgTZ  string
}

func (s *Server) catalogue(ctx context.Context, rows []models.ChangeRow) (*catalogue, error) {
	rc, err := s.loadRuleCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	orgTZ, err := s.store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return nil, err
	}
	cat := &catalogue{ruleCatalogue: rc, orgTZ: orgTZ}
	var dups []int64
	for _, r := range rows {
		if r.Person.DuplicateOfID != nil {
			dups = append(dups, *r.Person.DuplicateOfID)
		}
	}
	if len(dups) > 0 {
		people, err := s.store.PeopleByIDs(ctx, dups)
		if err != nil {
			return nil, err
		}
		cat.people = make(map[int64]models.Person, len(people))
		for _, p := range people {
			cat.people[p.ID] = p
		}
	}
	return cat, nil
}

// row is a change as the list shows it.
func (cat *catalogue) row(ch *models.Change, p *models.Person, now time.Time) teamupdates.Row {
	r := teamupdates.Row{
		ID:        ch.ID,
		Person:    teamupdates.PersonRef{ID: p.ID, Name: p.DisplayName()},
		Email:     p.WorkEmail,
		Role:      joinNonEmpty(" · ", p.Department, p.Title),
		Plan:      cat.plan(ch.Plan),
		Effective: cat.effective(ch, p, now),
		Overdue:   ch.Status == models.ChangePending && overdue(ch, now),
		Rules:     ruleNamesText(ch.RuleNames),
		Duplicate: cat.duplicate(p),
	}
	switch {
	case ch.Kind == models.ChangeRehire:
		r.KindBadge = "Rehire"
	case ch.Reason == models.ReasonMissingAccess:
		r.KindBadge = "Missing access" // a baseline person's: nothing of theirs is taken
	case ch.Reason == models.ReasonOutsideChange:
		r.KindBadge = "Changed outside Roster"
	}
	return r
}

// ruleNamesText spaces out the stored comma-separated rule names.
func ruleNamesText(names string) string {
	parts := strings.Split(names, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return joinNonEmpty(", ", parts...)
}

func (cat *catalogue) duplicate(p *models.Person) *teamupdates.PersonRef {
	if p.DuplicateOfID == nil {
		return nil
	}
	ref := &teamupdates.PersonRef{ID: *p.DuplicateOfID, Name: fmt.Sprintf("person #%d", *p.DuplicateOfID)}
	if other, ok := cat.people[ref.ID]; ok {
		ref.Name = other.DisplayName()
	}
	return ref
}

// plan groups a change's steps by app, keeping their order. When each
// step runs is the Effective column's (see effective).
func (cat *catalogue) plan(steps []models.PlanStep) []teamupdates.AppPlan {
	var out []teamupdates.AppPlan
	index := map[int64]int{}
	for _, st := range steps {
		i, ok := index[st.AppID]
		if !ok {
			i = len(out)
			index[st.AppID] = i
			out = append(out, teamupdates.AppPlan{App: cat.appName(st.AppID)})
		}
		out[i].Steps = append(out[i].Steps, cat.stepText(st))
	}
	return out
}

func (cat *catalogue) appName(id int64) string {
	if a, ok := cat.apps[id]; ok {
		return a.Name
	}
	return fmt.Sprintf("app #%d", id)
}

func (cat *catalogue) entitlementName(id int64) string {
	if e, ok := cat.ents[id]; ok {
		return e.Name
	}
	return fmt.Sprintf("entitlement #%d", id)
}

// stepText says what a step does, e.g. "grant eng (role)", "grant MacBook
// Pro (shipping_kit=standard)", "update Card (spend_limit 300 → 500)".
func (cat *catalogue) stepText(st models.PlanStep) string {
	switch st.Op {
	case "create_account":
		return "create account"
	case "disable":
		return "disable account"
	case "delete":
		return "delete account"
	case "update":
		return "update " + cat.entitlementName(st.EntitlementID) + " (" + paramChanges(st.Previous, st.Params) + ")"
	case "grant":
		detail := paramsText(st.Params)
		if e, ok := cat.ents[st.EntitlementID]; ok && detail == "" {
			detail = kindWord(e.Kind)
		}
		text := "grant " + cat.entitlementName(st.EntitlementID)
		if detail != "" {
			text += " (" + detail + ")"
		}
		return text
	}
	return strings.ReplaceAll(st.Op, "_", " ") + " " + cat.entitlementName(st.EntitlementID)
}

func paramsText(params map[string]string) string {
	parts := make([]string, 0, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		parts = append(parts, k+"="+params[k])
	}
	return strings.Join(parts, ", ")
}

func paramChanges(old, new map[string]string) string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if o, n := old[k], new[k]; o != n {
			parts = append(parts, k+" "+orNone(o)+" → "+orNone(n))
		}
	}
	return strings.Join(parts, ", ")
}
