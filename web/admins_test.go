package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestAdminsInvite(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		owner := b.signInAs(models.RoleOwner)

		p := b.post("/admins", url.Values{"email": {" New.Person@Example.com "}, "name": {"New Person"}, "role": {"approver"}})
		p.requireRedirect(http.StatusSeeOther, "/admins")

		p = b.get("/admins")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "new.person@example.com was invited as approver.", p.Flash("success"))
		row := p.TestID("admin-row-new.person@example.com")
		require.Equal(t, 1, row.Length())
		require.Contains(t, row.Text(), "New Person")
		require.Equal(t, "approver", row.Find(`[data-testid="role-select"] option[selected]`).AttrOr("value", ""))
		require.Empty(t, b.get("/admins").TestID("flash-success").Nodes, "a flash is shown once")

		a, err := srv.Store.AdminByEmail(context.Background(), "new.person@example.com")
		require.NoError(t, err)
		require.Equal(t, models.RoleApprover, a.Role)
		invited := srv.auditEvents(t, models.ActionAdminInvited)
		require.NotEmpty(t, invited)
		require.Equal(t, owner.Email, invited[0].ActorEmail)
		require.Equal(t, "new.person@example.com", invited[0].SubjectLabel)
		require.NotNil(t, invited[0].ActorID)
		require.Equal(t, owner.ID, *invited[0].ActorID)
	})
}

func TestAdminsInviteInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		form      url.Values
		wantField string // input whose .field holds the message
		wantError string
	}{
		{name: "invalid email", form: url.Values{"email": {"not-an-email"}, "name": {"Kept Name"}, "role": {"admin"}},
			wantField: "invite-email", wantError: "Enter a valid email address"},
		{name: "empty email", form: url.Values{"email": {"  "}, "name": {"Kept Name"}, "role": {"admin"}},
			wantField: "invite-email", wantError: "Enter the email address they sign in with."},
		{name: "duplicate email", form: url.Values{"email": {"TAKEN@example.com"}, "name": {"Kept Name"}, "role": {"admin"}},
			wantField: "invite-email", wantError: "taken@example.com is already an admin."},
		{name: "unknown role", form: url.Values{"email": {"someone@example.com"}, "name": {"Kept Name"}, "role": {"superuser"}},
			wantField: "invite-role", wantError: "Choose one of the roles."},
		{name: "long name", form: url.Values{"email": {"someone@example.com"}, "name": {strings.Repeat("n", 201)}, "role": {"admin"}},
			wantField: "invite-name", wantError: "Keep the name under 200 characters."},
	}
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		_, err := srv.Store.CreateAdmin(context.Background(), models.CLIActor, "taken@example.com", "", models.RoleViewer)
		require.NoError(t, err)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { // not parallel: counts admins
				b := srv.browser(t)
				b.signInAs(models.RoleOwner)
				before, err := srv.Store.CountAdmins(context.Background())
				require.NoError(t, err)

				p := b.post("/admins", tt.form)
				p.requireStatus(http.StatusUnprocessableEntity)

				field := p.Doc().Find("#" + tt.wantField).Parent()
				require.Contains(t, field.Find(".field-error").Text(), tt.wantError, "the message is next to the field")
				require.Equal(t, 1, p.Doc().Find(".field-error").Length(), "only the invalid field has a message")
				form := p.TestID("invite-form")
				require.Equal(t, tt.form.Get("email"), form.Find(`input[name="email"]`).AttrOr("value", ""), "input kept")
				require.Equal(t, tt.form.Get("name"), form.Find(`input[name="name"]`).AttrOr("value", ""), "input kept")
				require.Equal(t, 1, p.TestID("admins-table").Length(), "the page around the form is complete")

				after, err := srv.Store.CountAdmins(context.Background())
				require.NoError(t, err)
				require.Equal(t, before, after, "nothing was created")
			})
		}
	})
}

func TestAdminsInviteRoleCase(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)

	p := b.post("/admins", url.Values{"email": {"cased@example.com"}, "role": {"Admin"}})
	p.requireRedirect(http.StatusSeeOther, "/admins")
	a, err := srv.Store.AdminByEmail(context.Background(), "cased@example.com")
	require.NoError(t, err)
	require.Equal(t, models.RoleAdmin, a.Role)
}

func TestAdminsPageViewer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	v := b.signInAs(models.RoleViewer)

	p := b.get("/admins")
	p.requireStatus(http.StatusOK)
	require.Empty(t, p.TestID("invite-form").Nodes, "only owners see the invitation form")
	require.Empty(t, p.TestID("role-select").Nodes)
	require.Empty(t, p.TestID("disable").Nodes)
	row := p.TestID("admin-row-" + v.Email)
	require.Contains(t, row.Text(), "(you)")
	require.Equal(t, "viewer", strings.TrimSpace(row.Find(`[data-testid="role-badge"]`).Text()))
}

func TestAdminsUnknownTarget(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)

	for _, path := range []string{"/admins/999999/role", "/admins/999999/disable", "/admins/0/enable", "/admins/abc/disable"} {
		p := b.post(path, url.Values{"role": {"viewer"}})
		p.requireStatus(http.StatusNotFound)
		require.Equal(t, 1, p.TestID("error-page").Length(), path)
	}
}

func TestAdminsSetRoleInvalid(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)
	target := srv.createAdmin(t, models.RoleViewer)

	b.post(fmt.Sprintf("/admins/%d/role", target.ID), url.Values{"role": {"root"}}).
		requireRedirect(http.StatusSeeOther, "/admins")
	require.Equal(t, "Choose one of the roles.", b.get("/admins").Flash("error"))
	require.Equal(t, models.RoleViewer, srv.admin(t, target.ID).Role)
}

func TestLastOwner(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		owner := b.signInAs(models.RoleOwner)
		rolePath := fmt.Sprintf("/admins/%d/role", owner.ID)
		disablePath := fmt.Sprintf("/admins/%d/disable", owner.ID)

		for _, try := range []struct {
			path string
			form url.Values
			want string // the flash; disabling oneself may be refused for that reason first
		}{
			{rolePath, url.Values{"role": {"admin"}}, "Roster needs at least one active owner"},
			{disablePath, nil, ""},
		} {
			b.post(try.path, try.form).requireRedirect(http.StatusSeeOther, "/admins")
			p := b.get("/admins")
			p.requireStatus(http.StatusOK)
			require.NotEmpty(t, p.Flash("error"), try.path)
			require.Contains(t, p.Flash("error"), try.want, try.path)
			a := srv.admin(t, owner.ID)
			require.Equal(t, models.RoleOwner, a.Role, try.path)
			require.True(t, a.Active(), try.path)
		}
		require.Empty(t, srv.auditEvents(t, models.ActionAdminRole))
		require.Empty(t, srv.auditEvents(t, models.ActionAdminDisabled))

		// A second owner, invited but never signed in, makes stepping down possible.
		b.post("/admins", url.Values{"email": {"second-owner@example.com"}, "role": {"owner"}}).
			requireRedirect(http.StatusSeeOther, "/admins")
		b.post(rolePath, url.Values{"role": {"admin"}}).requireRedirect(http.StatusSeeOther, "/admins")
		p := b.get("/admins")
		p.requireStatus(http.StatusOK)
		require.Equal(t, "Role changed to admin.", p.Flash("success"))
		require.Empty(t, p.TestID("invite-form").Nodes, "no longer an owner")
		require.Equal(t, models.RoleAdmin, srv.admin(t, owner.ID).Role)
		changed := srv.auditEvents(t, models.ActionAdminRole)
		require.Len(t, changed, 1)
		require.Equal(t, owner.Email, changed[0].ActorEmail)

		// Now an admin, they may no longer manage admins.
		second, err := srv.Store.AdminByEmail(context.Background(), "second-owner@example.com")
		require.NoError(t, err)
		b.post(fmt.Sprintf("/admins/%d/disable", second.ID), nil).requireStatus(http.StatusForbidden)
		require.True(t, srv.admin(t, second.ID).Active())
	})
}

func TestOwnerDisablesOwner(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		first := srv.browser(t)
		first.signInAs(models.RoleOwner)
		second := srv.browser(t)
		o := second.signInAs(models.RoleOwner)

		first.post(fmt.Sprintf("/admins/%d/disable", o.ID), nil).requireRedirect(http.StatusSeeOther, "/admins")
		require.Equal(t, "Admin disabled.", first.get("/admins").Flash("success"))
		require.False(t, srv.admin(t, o.ID).Active())
		second.get("/admins").requireRedirect(http.StatusSeeOther, "/login?next=%2Fadmins")
		require.Len(t, srv.auditEvents(t, models.ActionAdminDisabled), 1)
	})
}

func TestAdminsInviteNameLength(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)

	name := strings.Repeat("é", 150) // 150 characters, 300 bytes
	p := b.post("/admins", url.Values{"email": {"long.name@example.com"}, "name": {name}, "role": {"viewer"}})
	p.requireRedirect(http.StatusSeeOther, "/admins")
}
