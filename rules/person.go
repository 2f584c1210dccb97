package rules

import (
	"slices"
	"strings"
)

// Attribute names the engine itself reads.
const (
	// GroupsAttribute is the one multi-valued attribute: Person.Groups.
	GroupsAttribute     = "groups"
	startDateAttr       = "start_date"
	terminationDateAttr = "termination_date"
)

// Person is what rules see of a person: attribute name → value.
type Person struct {
	// Attributes holds the standard attributes (see StandardAttributes;
	// dates as YYYY-MM-DD) and custom attributes by their column name.
	Attributes map[string]string
	// Groups is the multi-valued "groups" attribute. When it is nil,
	// Attributes["groups"] is read as a ";"-separated list instead.
	Groups []string
}

// StandardAttributes returns the names of the attributes every person has,
// in the order the rule editor lists them.
func StandardAttributes() []string {
	return []string{
		"employee_id", "first_name", "last_name", "preferred_name", "work_email", "personal_email", "phone",
		"title", "department", "team", "division", "cost_center", "manager_id", "location", "country",
		"timezone", "employment_type", "status", startDateAttr, terminationDateAttr, GroupsAttribute,
	}
}

// Value returns an attribute's value, "" when missing; for "groups" the
// groups joined with ";". Names match exactly first, then ignoring case and
// surrounding spaces.
func (p Person) Value(attr string) string {
	if isGroups(attr) {
		return strings.Join(p.groups(), ";")
	}
	if v, ok := p.Attributes[attr]; ok {
		return v
	}
	return p.Attributes[foldName(attr)]
}

// groups returns the person's non-blank groups, trimmed.
func (p Person) groups() []string {
	raw := p.Groups
	if raw == nil {
		if s := p.Attributes[GroupsAttribute]; s != "" {
			raw = strings.Split(s, ";")
		}
	}
	out := make([]string, 0, len(raw))
	for _, g := range raw {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func isGroups(attr string) bool { return foldName(attr) == GroupsAttribute }

func foldName(attr string) string { return strings.ToLower(strings.TrimSpace(attr)) }

// FieldChange is one attribute's change in an HR event.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// DiffAttributes lists the attributes that differ between two versions of
// a person, sorted by field. Groups compare as a set; a missing attribute
// and an empty one are the same.
func DiffAttributes(old, new Person) []FieldChange {
	var out []FieldChange
	seen := map[string]bool{GroupsAttribute: true}
	for _, attrs := range []map[string]string{old.Attributes, new.Attributes} {
		for k := range attrs {
			if seen[k] {
				continue
			}
			seen[k] = true
			if o, n := old.Attributes[k], new.Attributes[k]; o != n {
				out = append(out, FieldChange{Field: k, Old: o, New: n})
			}
		}
	}
	og, ng := sortedGroups(old), sortedGroups(new)
	if og != ng {
		out = append(out, FieldChange{Field: GroupsAttribute, Old: og, New: ng})
	}
	slices.SortFunc(out, func(a, b FieldChange) int { return strings.Compare(a.Field, b.Field) })
	return out
}

func sortedGroups(p Person) string {
	g := p.groups()
	slices.Sort(g)
	return strings.Join(slices.Compact(g), ";")
}
