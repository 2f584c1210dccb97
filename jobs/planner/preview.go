package planner

import (
	"context"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// sampleSize is how many matching people a preview names.
const sampleSize = 5

// PreviewMatches counts the people (not terminated) that a rule's
// conditions match, whatever its enabled flag, and names the first few.
func (p *Planner) PreviewMatches(ctx context.Context, r rules.Rule) (int, []string, error) {
	people, err := p.activePeople(ctx)
	if err != nil {
		return 0, nil, err
	}
	orgTZ, err := p.Store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return 0, nil, err
	}
	env := rules.Env{Today: Today(p.Now(), orgTZ)}
	count, names := 0, []string{}
	for i := range people {
		if rules.Evaluate(r, EnginePerson(&people[i].PersonFields), env).Matched {
			count++
			if len(names) < sampleSize {
				names = append(names, people[i].DisplayName())
			}
		}
	}
	return count, names, nil
}

func (p *Planner) activePeople(ctx context.Context) ([]models.Person, error) {
	ids, err := p.Store.PlannableIDs(ctx)
	if err != nil {
		return nil, err
	}
	return p.Store.PeopleByIDs(ctx, ids)
}

// RuleImpact compares desired access under the current rules with the
// rules after a change: proposed replaces (or adds) the rule with its ID;
// a nil proposed with ruleID set deletes that rule.
func (p *Planner) RuleImpact(ctx context.Context, proposed *rules.Rule, ruleID int64) (rules.Impact, error) {
	w, err := p.load(ctx)
	if err != nil {
		return rules.Impact{}, err
	}
	after := make([]rules.Rule, 0, len(w.rules)+1)
	replaced := false
	for _, r := range w.rules {
		if r.ID == ruleID && ruleID != 0 {
			replaced = true
			if proposed != nil {
				after = append(after, *proposed)
			}
			continue
		}
		after = append(after, r)
	}
	if !replaced && proposed != nil {
		after = append(after, *proposed)
	}
	people, err := p.activePeople(ctx)
	if err != nil {
		return rules.Impact{}, err
	}
	var imp rules.Impact
	for i := range people {
		rp := EnginePerson(&people[i].PersonFields)
		imp.Add(rules.Resolve(w.rules, rp, w.env), rules.Resolve(after, rp, w.env))
	}
	return imp, nil
}

// ExplainPerson evaluates every rule, enabled or not, for one person, and
// resolves their desired access: the person page's "which rules match and
// why".
func (p *Planner) ExplainPerson(ctx context.Context, person *models.Person) ([]rules.RuleMatch, rules.Desired, error) {
	w, err := p.load(ctx)
	if err != nil {
		return nil, rules.Desired{}, err
	}
	rp := EnginePerson(&person.PersonFields)
	all := make([]rules.RuleMatch, 0, len(w.rules))
	for _, r := range w.rules {
		all = append(all, rules.RuleMatch{RuleID: r.ID, RuleName: r.Name, Priority: r.Priority, Evaluation: rules.Evaluate(r, rp, w.env)})
	}
	return all, rules.Resolve(w.rules, rp, w.env), nil
}
