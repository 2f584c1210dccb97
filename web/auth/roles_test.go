package auth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/auth"
)

func TestParseRoleMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    auth.RoleMap
		wantErr string // a fragment of the error, which must name the entry
	}{
		{in: "", want: nil},
		{in: "  \t", want: nil},
		{in: "roster-owners=owner,roster-admins=admin, it=approver", want: auth.RoleMap{
			"roster-owners": models.RoleOwner, "roster-admins": models.RoleAdmin, "it": models.RoleApprover,
		}},
		{in: " Staff = Viewer ", want: auth.RoleMap{"Staff": models.RoleViewer}},
		{in: "a=owner,,b=admin,", want: auth.RoleMap{"a": models.RoleOwner, "b": models.RoleAdmin}},
		{in: "a=owner,a=owner", want: auth.RoleMap{"a": models.RoleOwner}},
		{in: "cn=admins,ou=groups=admin", wantErr: `"cn=admins"`}, // commas split entries, even inside a DN
		{in: "roster-owners", wantErr: `"roster-owners"`},
		{in: "a=owner, =admin", wantErr: `"=admin"`},
		{in: "a=owner,b=superuser", wantErr: `"b=superuser"`},
		{in: "a=", wantErr: `"a="`},
		{in: "a=owner,a=viewer", wantErr: `"a=viewer"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ParseRoleMap(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRoleFor(t *testing.T) {
	t.Parallel()
	m := auth.RoleMap{
		"owners":    models.RoleOwner,
		"admins":    models.RoleAdmin,
		"approvers": models.RoleApprover,
		"staff":     models.RoleViewer,
	}
	tests := []struct {
		name   string
		m      auth.RoleMap
		groups []string
		want   models.Role
		wantOK bool
	}{
		{name: "one match", m: m, groups: []string{"approvers"}, want: models.RoleApprover, wantOK: true},
		{name: "highest wins whatever the order", m: m, groups: []string{"staff", "owners", "admins"}, want: models.RoleOwner, wantOK: true},
		{name: "unmapped groups ignored", m: m, groups: []string{"sales", "staff"}, want: models.RoleViewer, wantOK: true},
		{name: "names are case-sensitive", m: m, groups: []string{"Owners"}},
		{name: "no match", m: m, groups: []string{"sales"}},
		{name: "no groups", m: m},
		{name: "nil map", groups: []string{"owners"}},
		{name: "invalid role in a hand-built map", m: auth.RoleMap{"x": "root"}, groups: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.m.RoleFor(tt.groups)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
