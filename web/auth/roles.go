package auth

import (
	"fmt"
	"strings"

	"github.com/rosterhq/roster/models"
)

// RoleMap maps IdP group names to Roster roles, so access can be managed
// in the IdP instead of one admin at a time.
type RoleMap map[string]models.Role

// ParseRoleMap reads a mapping like "roster-owners=owner, it=approver".
// An empty value means no mapping. Group names are case-sensitive, as IdPs
// treat them. Errors name the entry so the operator can find the typo.
func ParseRoleMap(s string) (RoleMap, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := RoleMap{}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue // tolerate "a=owner," and "a=owner,,b=admin"
		}
		group, roleName, ok := strings.Cut(entry, "=")
		group = strings.TrimSpace(group)
		if !ok || group == "" {
			return nil, fmt.Errorf("role map entry %q: want group=role", entry)
		}
		role, err := models.ParseRole(roleName)
		if err != nil {
			return nil, fmt.Errorf("role map entry %q: %w", entry, err)
		}
		if prev, dup := m[group]; dup && prev != role {
			return nil, fmt.Errorf("role map entry %q: group %q is already mapped to %s", entry, group, prev)
		}
		m[group] = role
	}
	return m, nil
}

// RoleFor returns the highest role among the groups, since a person in
// several mapped groups should get the most any of them grants.
func (m RoleMap) RoleFor(groups []string) (models.Role, bool) {
	var best models.Role
	for _, g := range groups {
		if r, ok := m[g]; ok && r.Valid() && !best.AtLeast(r) {
			best = r
		}
	}
	return best, best != ""
}
