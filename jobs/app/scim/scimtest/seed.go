package scimtest

import (
	"fmt"
	"strings"
)

// User is a user to seed the server with.
type User struct {
	UserName   string
	ExternalID string
	GivenName  string
	FamilyName string
	Email      string // the primary work address
	Inactive   bool
}

func (u User) resource() map[string]any {
	r := map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": u.UserName,
		"active":   !u.Inactive,
	}
	if u.ExternalID != "" {
		r["externalId"] = u.ExternalID
	}
	if u.GivenName != "" || u.FamilyName != "" {
		r["name"] = map[string]any{"givenName": u.GivenName, "familyName": u.FamilyName}
		r["displayName"] = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	if u.Email != "" {
		r["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	return r
}

// AddUser stores u as if it had been created, and returns its id.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users.add(u.resource())["id"].(string)
}

// AddUsers stores n users named user00001@example.com... (externalId
// E00001...) and returns their ids in order.
func (s *Server) AddUsers(n int) []string {
	ids := make([]string, n)
	for i := range n {
		ids[i] = s.AddUser(User{
			UserName:   fmt.Sprintf("user%05d@example.com", i+1),
			ExternalID: fmt.Sprintf("E%05d", i+1),
			GivenName:  "User",
			FamilyName: fmt.Sprintf("%05d", i+1),
			Email:      fmt.Sprintf("user%05d@example.com", i+1),
		})
	}
	return ids
}

// User returns a copy of the user with id, as the server holds it.
func (s *Server) User(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users.byID[id]
	if !ok {
		return nil, false
	}
	return deepCopy(r), true
}

// UserByName returns a copy of the user whose userName is name, compared
// without case.
func (s *Server) UserByName(name string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.users.all(nil) {
		if strings.EqualFold(stringOf(get(r, "userName")), name) {
			return deepCopy(r), true
		}
	}
	return nil, false
}

// UserCount is how many users the server holds.
func (s *Server) UserCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users.order)
}

// AddGroup stores a group with the given members (user ids) and returns
// its id.
func (s *Server) AddGroup(displayName string, memberIDs ...string) string {
	members := make([]any, len(memberIDs))
	for i, id := range memberIDs {
		members[i] = map[string]any{"value": id, "type": "User"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups.add(map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": displayName,
		"members":     members,
	})
	return g["id"].(string)
}

// Members are the ids of the group's members, in the order they joined.
func (s *Server) Members(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups.byID[groupID]
	if !ok {
		return nil
	}
	var ids []string
	list, _ := get(g, "members").([]any)
	for _, m := range list {
		if mm, ok := m.(map[string]any); ok {
			ids = append(ids, stringOf(get(mm, "value")))
		}
	}
	return ids
}
