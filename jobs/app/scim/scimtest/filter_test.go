package scimtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilters(t *testing.T) {
	t.Parallel()
	ada := map[string]any{
		"id": "1", "userName": "Ada@Example.com", "externalId": "E042", "active": true,
		"emails": []any{
			map[string]any{"value": "ada@example.com", "type": "work", "primary": true},
			map[string]any{"value": "ada@home.example", "type": "home"},
		},
		enterpriseURN: map[string]any{"employeeNumber": "42"},
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "ada@example.com"`, true},
		{`USERNAME eq "ADA@EXAMPLE.COM"`, true},
		{`externalId eq "e042"`, false}, // externalId is caseExact
		{`externalId eq "E042"`, true},
		{`emails.value eq "ada@home.example"`, true},
		{`emails[type eq "work"].value eq "ada@example.com"`, true},
		{`emails[type eq "work"].value eq "ada@home.example"`, false},
		{`emails[type eq "work" and primary eq true].value eq "ada@example.com"`, true},
		{`emails eq "ada@example.com"`, true},
		{`active eq true`, true},
		{`userName sw "ada" and not (active eq false)`, true},
		{`userName eq "x" or externalId eq "E042"`, true},
		{`title pr`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`, true},
		{`userName eq "o\"brien"`, false},
	}
	for _, tt := range tests {
		f, err := parseFilter(tt.filter)
		require.NoError(t, err, tt.filter)
		assert.Equal(t, tt.want, f.match(ada), tt.filter)
	}
	for _, bad := range []string{`userName`, `userName eq`, `userName gt "a"`, `(userName eq "a"`, `userName eq ada`} {
		_, err := parseFilter(bad)
		assert.Error(t, err, bad)
	}
}

func TestPatchOperations(t *testing.T) {
	t.Parallel()
	r := map[string]any{
		"userName": "ada", "name": map[string]any{"givenName": "Ada", "middleName": "B"},
		"members": []any{map[string]any{"value": "1"}, map[string]any{"value": "2"}},
	}
	require.NoError(t, apply(r, "replace", "name.familyName", "King"))
	require.NoError(t, apply(r, "replace", "", map[string]any{"Title": "Engineer", "name": map[string]any{"givenName": "Augusta"}}))
	require.NoError(t, apply(r, "add", "members", []any{map[string]any{"value": "2"}, map[string]any{"value": "3"}}))
	require.NoError(t, apply(r, "remove", `members[value eq "1"]`, nil))
	require.NoError(t, apply(r, "replace", enterpriseURN+":department", "Research"))
	require.NoError(t, apply(r, "replace", "USERNAME", "ada2"))
	assert.Equal(t, map[string]any{
		"USERNAME":    "ada2",
		"Title":       "Engineer",
		"name":        map[string]any{"givenName": "Augusta", "middleName": "B", "familyName": "King"},
		"members":     []any{map[string]any{"value": "2"}, map[string]any{"value": "3"}},
		enterpriseURN: map[string]any{"department": "Research"},
	}, r)

	var pe *patchError
	require.ErrorAs(t, apply(r, "remove", `members[value eq "9"]`, nil), &pe)
	assert.Equal(t, "noTarget", pe.scimType)
	require.ErrorAs(t, apply(r, "move", "title", "x"), &pe)
	assert.Equal(t, "invalidSyntax", pe.scimType)
}
