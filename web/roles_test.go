package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// pageRoutes are the pages every signed-in role may read.
var pageRoutes = []string{"/", "/activity", "/admins"}

// ownerAction is one owner-only POST, aimed at fresh targets, with a check
// of whether it took effect.
type ownerAction struct {
	name string
	path func(tg targets) string
	form url.Values
	done func(t *testing.T, srv *testServer, tg targets) bool
}

// targets are the admins and email an owner action is aimed at.
type targets struct {
	active, disabled *models.Admin
	inviteEmail      string
}

var ownerActions = []ownerAction{
	{name: "POST /admins", path: func(targets) string { return "/admins" },
		done: func(t *testing.T, srv *testServer, tg targets) bool {
			_, err := srv.Store.AdminByEmail(context.Background(), tg.inviteEmail)
			return err == nil
		}},
	{name: "POST /admins/:id/role", form: url.Values{"role": {"admin"}},
		path: func(tg targets) string { return fmt.Sprintf("/admins/%d/role", tg.active.ID) },
		done: func(t *testing.T, srv *testServer, tg targets) bool {
			return srv.admin(t, tg.active.ID).Role == models.RoleAdmin
		}},
	{name: "POST /admins/:id/disable",
		path: func(tg targets) string { return fmt.Sprintf("/admins/%d/disable", tg.active.ID) },
		done: func(t *testing.T, srv *testServer, tg targets) bool {
			return !srv.admin(t, tg.active.ID).Active()
		}},
	{name: "POST /admins/:id/enable",
		path: func(tg targets) string { return fmt.Sprintf("/admins/%d/enable", tg.disabled.ID) },
		done: func(t *testing.T, srv *testServer, tg targets) bool {
			return srv.admin(t, tg.disabled.ID).Active()
		}},
}

// newTargets creates an active and a disabled viewer to act on.
func newTargets(t *testing.T, srv *testServer) targets {
	t.Helper()
	tg := targets{active: srv.createAdmin(t, models.RoleViewer), disabled: srv.createAdmin(t, models.RoleViewer)}
	require.NoError(t, srv.Store.SetAdminDisabled(context.Background(), models.CLIActor, tg.disabled.ID, true))
	tg.inviteEmail = fmt.Sprintf("new-%d@example.com", tg.active.ID)
	return tg
}

func TestRoles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		for _, role := range models.Roles {
			t.Run(string(role), func(t *testing.T) {
				t.Parallel()
				b := srv.browser(t)
				b.signInAs(role)

				for _, path := range pageRoutes {
					p := b.get(path)
					p.requireStatus(http.StatusOK)
					badge := p.TestID("current-user").Find(`[data-testid="role-badge"]`).Text()
					require.Equal(t, string(role), badge, "GET %s shows who is signed in", path)
				}
				for _, a := range ownerActions {
					tg := newTargets(t, srv)
					form := url.Values{"email": {tg.inviteEmail}, "role": {"viewer"}}
					for k, v := range a.form {
						form[k] = v
					}
					p := b.post(a.path(tg), form)
					if role == models.RoleOwner {
						p.requireRedirect(http.StatusSeeOther, "/admins")
						require.True(t, a.done(t, srv, tg), "%s took effect", a.name)
						continue
					}
					p.requireStatus(http.StatusForbidden)
					require.Contains(t, p.Body, "It needs owner or above")
					require.False(t, a.done(t, srv, tg), "%s by %s changed nothing", a.name, role)
				}
			})
		}
	})
}

func TestRolesSignedOut(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	tg := newTargets(t, srv)

	for _, path := range append(pageRoutes, "/activity?action=admin.invited") {
		t.Run("GET "+path, func(t *testing.T) {
			t.Parallel()
			srv.browser(t).get(path).requireRedirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(path))
		})
	}
	t.Run("GET with htmx", func(t *testing.T) {
		t.Parallel()
		b := srv.browser(t)
		req := b.request(http.MethodGet, "/admins", nil)
		req.Header.Set("HX-Request", "true")
		p := b.do(req)
		p.requireStatus(http.StatusUnauthorized)
		require.Equal(t, "/login", p.Header.Get("HX-Redirect"))
	})
	for _, a := range ownerActions {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := srv.browser(t).post(a.path(tg), url.Values{"email": {tg.inviteEmail}, "role": {"admin"}})
			p.requireStatus(http.StatusUnauthorized)
			require.False(t, a.done(t, srv, tg))
		})
	}
}

func TestDisabledAdminLosesSession(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		owner := srv.browser(t)
		owner.signInAs(models.RoleOwner)
		viewer := srv.browser(t)
		v := viewer.signInAs(models.RoleViewer)
		viewer.get("/admins").requireStatus(http.StatusOK)
		session := viewer.cookie("roster_session")
		require.NotNil(t, session)

		owner.post(fmt.Sprintf("/admins/%d/disable", v.ID), nil).requireRedirect(http.StatusSeeOther, "/admins")

		viewer.get("/admins").requireRedirect(http.StatusSeeOther, "/login?next=%2Fadmins")
		viewer.requireSignedOut()

		// Enabling them again does not revive the old session.
		owner.post(fmt.Sprintf("/admins/%d/enable", v.ID), nil).requireRedirect(http.StatusSeeOther, "/admins")
		viewer.setCookie(session)
		viewer.requireSignedOut()
	})
}
