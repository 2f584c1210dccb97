package web

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// Limits on what the builder accepts, so a crafted form cannot make the
// server build huge rules.
const (
	maxRuleRows     = 100
	maxRowIndex     = 1_000_000
	maxRuleName     = 200
	maxRuleDesc     = 500
	defaultPriority = "0"
)

// ruleForm is the rule builder's form as posted. Rows keep the index they
// have in the field names (conditions.3.operator), which only grows as
// rows are added, so messages land next to the right row after removals.
type ruleForm struct {
	ID              int64
	Version         int
	Name            string
	Description     string
	Priority        string
	Enabled         bool
	Match           string
	Conditions      []ruleConditionInput
	Grants          []ruleGrantInput
	JoinerDays      string
	JoinerDirection string
	JoinerTime      string
	LeaverMode      string
	LeaverDays      string
	LeaverTime      string
	Approval        string
}

// ruleConditionInput is one condition row as posted.
type ruleConditionInput struct {
	Index     int
	Attribute string
	Operator  string
	Value     string
}

// blank reports whether the row was never filled in.
func (c ruleConditionInput) blank() bool { return c.Attribute == "" && c.Value == "" }

// ruleGrantInput is one grant row as posted.
type ruleGrantInput struct {
	Index         int
	AppID         string
	EntitlementID string
	Params        map[string]string
}

func (g ruleGrantInput) blank() bool { return g.AppID == "" && g.EntitlementID == "" }

// newRuleForm is the builder's starting point: one empty row of each.
func newRuleForm() ruleForm {
	return ruleForm{
		Priority: defaultPriority, Enabled: true, Match: string(rules.MatchAll),
		Conditions: []ruleConditionInput{{Operator: string(rules.Equals)}},
		Grants:     []ruleGrantInput{{}},
		JoinerDays: "0", JoinerDirection: "after", JoinerTime: rules.DefaultJoinerTime,
		LeaverMode: string(rules.LeaveAtDate), LeaverTime: rules.DefaultLeaverTime,
		Approval: string(rules.ApprovalReview),
	}
}

// parseRuleForm reads the builder's fields, rows by index.
func parseRuleForm(v url.Values) ruleForm {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := ruleForm{
		Name: get("name"), Description: get("description"), Priority: get("priority"),
		Enabled: v.Get("enabled") != "", Match: get("match"),
		JoinerDays: get("joiner_days"), JoinerDirection: get("joiner_direction"), JoinerTime: get("joiner_time"),
		LeaverMode: get("leaver_mode"), LeaverDays: get("leaver_days"), LeaverTime: get("leaver_time"),
		Approval: get("approval"),
	}
	f.ID, _ = strconv.ParseInt(get("id"), 10, 64)
	f.Version, _ = strconv.Atoi(get("version"))
	f.Conditions, f.Grants = parseRuleRows(v)
	return f
}

// parseRuleRows collects conditions.N.* and grants.N.* fields into rows,
// ordered by N.
func parseRuleRows(v url.Values) ([]ruleConditionInput, []ruleGrantInput) {
	conds := map[int]*ruleConditionInput{}
	grants := map[int]*ruleGrantInput{}
	for key, vals := range v {
		kind, rest, ok := strings.Cut(key, ".")
		if !ok || len(vals) == 0 || (kind != "conditions" && kind != "grants") {
			continue
		}
		num, name, ok := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i > maxRowIndex {
			continue
		}
		val := strings.TrimSpace(vals[0])
		if kind == "conditions" {
			c := conds[i]
			if c == nil {
				if len(conds) >= maxRuleRows {
					continue
				}
				c = &ruleConditionInput{Index: i}
				conds[i] = c
			}
			switch name {
			case "attribute":
				c.Attribute = val
			case "operator":
				c.Operator = val
			case "value":
				c.Value = val
			}
			continue
		}
		g := grants[i]
		if g == nil {
			if len(grants) >= maxRuleRows {
				continue
			}
			g = &ruleGrantInput{Index: i, Params: map[string]string{}}
			grants[i] = g
		}
		switch {
		case name == "app_id":
			g.AppID = val
		case name == "entitlement_id":
			g.EntitlementID = val
		case strings.HasPrefix(name, "params."):
			if p := strings.TrimPrefix(name, "params."); p != "" {
				g.Params[p] = val
			}
		}
	}
	return ruleRowsSorted(conds, func(c ruleConditionInput) int { return c.Index }),
		ruleRowsSorted(grants, func(g ruleGrantInput) int { return g.Index })
}

func ruleRowsSorted[T any](m map[int]*T, index func(T) int) []T {
	out := make([]T, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(index(a), index(b)) })
	return out
}

// ruleFormFrom is a stored (or reviewed) rule back in the builder.
func ruleFormFrom(r *models.Rule) ruleForm {
	f := ruleForm{
		ID: r.ID, Version: r.Version, Name: r.Name, Description: r.Description,
		Priority: strconv.Itoa(r.Priority), Enabled: r.Enabled, Match: cmp.Or(r.Match, string(rules.MatchAll)),
		JoinerDays: strconv.Itoa(ruleAbsDays(r.JoinerOffsetDays)), JoinerDirection: "after", JoinerTime: r.JoinerTime,
		LeaverMode: cmp.Or(r.LeaverMode, string(rules.LeaveAtDate)), LeaverTime: r.LeaverTime,
		Approval: cmp.Or(r.Approval, string(rules.ApprovalReview)),
	}
	if r.JoinerOffsetDays < 0 {
		f.JoinerDirection = "before"
	}
	if r.LeaverMode == string(rules.LeaveDaysAfter) {
		f.LeaverDays = strconv.Itoa(r.LeaverDays)
	}
	for i, c := range r.Conditions {
		f.Conditions = append(f.Conditions, ruleConditionInput{Index: i, Attribute: c.Attribute, Operator: c.Operator, Value: c.Value})
	}
	for i, g := range r.Grants {
		params := map[string]string{}
		for k, v := range g.Params {
			params[k] = v
		}
		f.Grants = append(f.Grants, ruleGrantInput{Index: i, AppID: strconv.FormatInt(g.AppID, 10),
			EntitlementID: strconv.FormatInt(g.EntitlementID, 10), Params: params})
	}
	return f
}

func ruleAbsDays(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ruleErrors are messages by form field: name, priority, ...,
// conditions.<index>.value, grants.<index>.params.<name>.
type ruleErrors map[string]string

func (e ruleErrors) add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// rule converts the form to a stored rule, leaving out rows never filled
// in. It checks what the engine cannot (numbers, lengths) and what the
// engine's Validate finds; the ruleCatalogue is checked by the caller.
// conds and grants map each rule row back to its form index.
func (f ruleForm) rule() (r *models.Rule, conds, grants []int, errs ruleErrors) {
	errs = ruleErrors{}
	r = &models.Rule{ID: f.ID, Version: f.Version, Name: f.Name, Description: f.Description, Enabled: f.Enabled,
		Match: f.Match, Approval: f.Approval, JoinerTime: f.JoinerTime, LeaverMode: f.LeaverMode}
	if utf8.RuneCountInString(f.Name) > maxRuleName {
		errs.add("name", fmt.Sprintf("Keep the name under %d characters.", maxRuleName))
	}
	if utf8.RuneCountInString(f.Description) > maxRuleDesc {
		errs.add("description", fmt.Sprintf("Keep the description under %d characters.", maxRuleDesc))
	}
	var err error
	if r.Priority, err = strconv.Atoi(cmp.Or(f.Priority, defaultPriority)); err != nil || r.Priority < -rules.MaxPriority || r.Priority > rules.MaxPriority {
		errs.add("priority", rulePriorityMessage)
	}
	var ok bool
	if r.JoinerOffsetDays, ok = ruleDays(f.JoinerDays); !ok {
		errs.add("joiner", ruleDaysMessage)
	}
	if f.JoinerDirection == "before" {
		r.JoinerOffsetDays = -r.JoinerOffsetDays
	}
	switch rules.LeaverMode(f.LeaverMode) {
	case rules.LeaveDaysAfter:
		if r.LeaverDays, ok = ruleDays(f.LeaverDays); !ok {
			errs.add("leaver", ruleDaysMessage)
		}
		r.LeaverTime = f.LeaverTime
	case rules.LeaveImmediately:
	default:
		r.LeaverTime = f.LeaverTime
	}
	for _, c := range f.Conditions {
		if c.blank() {
			continue
		}
		value := c.Value
		switch op := rules.Operator(c.Operator); {
		case !op.TakesValue():
			value = ""
		case value == "" && (op == rules.Equals || op == rules.NotEquals):
			// The engine reads this as "is (not) empty"; the builder asks
			// for that operator instead, as its preview does.
			errs.add(fmt.Sprintf("conditions.%d.value", c.Index), "Enter a value, or choose “is empty” or “is not empty”.")
		}
		r.Conditions = append(r.Conditions, models.RuleCondition{Attribute: c.Attribute, Operator: c.Operator, Value: value})
		conds = append(conds, c.Index)
	}
	for _, g := range f.Grants {
		if g.blank() {
			continue
		}
		app, _ := strconv.ParseInt(g.AppID, 10, 64)
		ent, _ := strconv.ParseInt(g.EntitlementID, 10, 64)
		params := map[string]string{}
		for k, v := range g.Params {
			if v != "" {
				params[k] = v
			}
		}
		r.Grants = append(r.Grants, models.RuleGrant{AppID: app, EntitlementID: ent, Params: params})
		grants = append(grants, g.Index)
	}
	ruleEngineErrors(planner.EngineRule(r), conds, grants, errs)
	return r, conds, grants, errs
}

// ruleDays reads a number of days; "" is 0.
func ruleDays(s string) (int, bool) {
	n, err := strconv.Atoi(cmp.Or(s, "0"))
	return n, err == nil && n >= 0 && n <= rules.MaxTimingDays
}

var (
	ruleDaysMessage     = fmt.Sprintf("Enter a whole number of days from 0 to %d.", rules.MaxTimingDays)
	rulePriorityMessage = fmt.Sprintf("Enter a whole number from %s to %s, like 10. Higher wins.",
		thousands(-rules.MaxPriority), thousands(rules.MaxPriority))
)

// ruleEngineErrors files the engine's validation problems under the form's
// field names, in the builder's words.
func ruleEngineErrors(r rules.Rule, conds, grants []int, errs ruleErrors) {
	for _, fe := range rules.FieldErrors(r.Validate()) {
		parts := strings.Split(fe.Field, ".")
		msg := ruleSentence(fe.Message)
		switch {
		case len(parts) == 3 && parts[0] == "conditions":
			pos, _ := strconv.Atoi(parts[1])
			if pos < len(conds) {
				if parts[2] == "attribute" {
					msg = "Choose an attribute."
				}
				errs.add(fmt.Sprintf("conditions.%d.%s", conds[pos], parts[2]), msg)
			}
		case len(parts) == 3 && parts[0] == "grants":
			pos, _ := strconv.Atoi(parts[1])
			if pos >= len(grants) {
				continue
			}
			switch {
			case parts[2] == "app_id":
				msg = "Choose an app."
			case parts[2] == "entitlement_id" && strings.HasSuffix(fe.Message, "no entitlement"):
				msg = "Choose an entitlement."
			}
			errs.add(fmt.Sprintf("grants.%d.%s", grants[pos], parts[2]), msg)
		case fe.Field == "name":
			errs.add("name", "Give the rule a name.")
		case fe.Field == "grants":
			errs.add("grants", "Add at least one grant: an app and one of its entitlements.")
		case parts[0] == "joiner":
			errs.add("joiner", "Enter a time of day like 09:00.")
		case parts[0] == "leaver":
			errs.add("leaver", msg)
		default:
			errs.add(parts[0], msg)
		}
	}
}

// sentence turns an engine message ("condition 2: \"is one of\" needs a
// list") into one for the row it is shown next to.
func ruleSentence(msg string) string {
	for _, prefix := range []string{"condition ", "grant "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			if _, after, found := strings.Cut(rest, ": "); found {
				msg = after
			}
		}
	}
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// previewRule is the form as the live preview evaluates it: only
// conditions complete enough to mean something; ignored counts the rest
// that have been started.
func (f ruleForm) previewRule() (r rules.Rule, ignored int) {
	r = rules.Rule{Name: "preview", Enabled: true, Match: rules.Match(f.Match)}
	if r.Match != rules.MatchAny {
		r.Match = rules.MatchAll
	}
	for _, c := range f.Conditions {
		if c.blank() {
			continue
		}
		cond := rules.Condition{Attribute: c.Attribute, Operator: rules.Operator(c.Operator), Value: c.Value}
		if !ruleConditionComplete(cond) {
			ignored++
			continue
		}
		r.Conditions = append(r.Conditions, cond)
	}
	return r, ignored
}

// ruleConditionComplete reports whether a condition is valid and, for
// operators that compare, has a value to compare with.
func ruleConditionComplete(c rules.Condition) bool {
	if c.Attribute == "" || !c.Operator.Valid() || (c.Operator.TakesValue() && c.Value == "") {
		return false
	}
	probe := rules.Rule{Name: "probe", Conditions: []rules.Condition{c}, Grants: []rules.Grant{{AppID: 1, EntitlementID: 1}}}
	return probe.Validate() == nil
}
