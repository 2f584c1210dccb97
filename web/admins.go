package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/admins"
)

// roleOptions describes the roles on the Admins page.
var roleOptions = []admins.RoleOption{
	{Value: string(models.RoleOwner), Description: "everything, and manages admins"},
	{Value: string(models.RoleAdmin), Description: "manages sources, apps, rules and settings, and decides Team Updates"},
	{Value: string(models.RoleApprover), Description: "approves or rejects Team Updates"},
	{Value: string(models.RoleViewer), Description: "reads everything, changes nothing"},
}

// inviteForm is the invitation form as posted.
type inviteForm struct {
	Email string `form:"email"`
	Name  string `form:"name"`
	Role  string `form:"role"`
}

// Validate normalises the form and returns a message per invalid field.
func (f *inviteForm) Validate() map[string]string {
	errs := map[string]string{}
	email, err := models.NormalizeEmail(f.Email)
	switch {
	case strings.TrimSpace(f.Email) == "":
		errs["email"] = "Enter the email address they sign in with."
	case err != nil:
		errs["email"] = "Enter a valid email address, like name@company.com."
	default:
		f.Email = email
	}
	f.Name = strings.TrimSpace(f.Name)
	if utf8.RuneCountInString(f.Name) > 200 {
		errs["name"] = "Keep the name under 200 characters."
	}
	if role, err := models.ParseRole(f.Role); err != nil {
		errs["role"] = "Choose one of the roles."
	} else {
		f.Role = string(role)
	}
	return errs
}

// adminsPage lists admins; owners also get the forms.
func (s *Server) adminsPage(c echo.Context) error {
	return s.renderAdmins(c, http.StatusOK, admins.InviteForm{Role: string(models.RoleViewer)})
}

func (s *Server) renderAdmins(c echo.Context, status int, form admins.InviteForm) error {
	list, err := s.store.ListAdmins(c.Request().Context())
	if err != nil {
		return err
	}
	me := currentAdmin(c)
	v := admins.View{CanManage: me.Role.AtLeast(models.RoleOwner), Roles: roleOptions, Form: form}
	for _, a := range list {
		r := admins.Row{ID: a.ID, Email: a.Email, Name: a.Name, Role: string(a.Role), Disabled: !a.Active(), IsSelf: a.ID == me.ID}
		if a.LastLoginAt != nil {
			r.LastLogin = formatTime(*a.LastLoginAt)
		}
		v.Rows = append(v.Rows, r)
	}
	return render(c, status, admins.Page(s.page(c, "Admins", "admins"), v))
}

// adminsInvite adds an admin.
func (s *Server) adminsInvite(c echo.Context) error {
	var f inviteForm
	if err := c.Bind(&f); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	form := admins.InviteForm{Email: f.Email, Name: f.Name, Role: f.Role}
	if form.Errors = f.Validate(); len(form.Errors) > 0 {
		return s.renderAdmins(c, http.StatusUnprocessableEntity, form)
	}
	a, err := s.store.CreateAdmin(c.Request().Context(), actor(c), f.Email, f.Name, models.Role(f.Role))
	if errors.Is(err, models.ErrConflict) {
		form.Errors = map[string]string{"email": f.Email + " is already an admin."}
		return s.renderAdmins(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/admins", "success", a.Email+" was invited as "+string(a.Role)+".")
}

// adminsSetRole changes an admin's role.
func (s *Server) adminsSetRole(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	role, err := models.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.redirectWithFlash(c, "/admins", "error", "Choose one of the roles.")
	}
	return s.adminChange(c, id, "Role changed to "+string(role)+".", func(act models.Actor) error {
		return s.store.SetAdminRole(c.Request().Context(), act, id, role)
	})
}

// adminsDisable signs an admin out and keeps them out.
func (s *Server) adminsDisable(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.adminChange(c, id, "Admin disabled.", func(act models.Actor) error {
		return s.store.SetAdminDisabled(c.Request().Context(), act, id, true)
	})
}

// adminsEnable lets a disabled admin sign in again.
func (s *Server) adminsEnable(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.adminChange(c, id, "Admin enabled.", func(act models.Actor) error {
		return s.store.SetAdminDisabled(c.Request().Context(), act, id, false)
	})
}

// adminChange runs one change to an admin and reports it as a flash.
func (s *Server) adminChange(c echo.Context, id int64, done string, change func(models.Actor) error) error {
	err := change(actor(c))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, models.ErrLastOwner):
		return s.redirectWithFlash(c, "/admins", "error", "Roster needs at least one active owner: "+err.Error()+".")
	case errors.Is(err, models.ErrDisableSelf):
		return s.redirectWithFlash(c, "/admins", "error", "You cannot disable yourself. Ask another owner.")
	case err != nil:
		return err
	}
	return s.redirectWithFlash(c, "/admins", "success", done)
}

// pathID reads the :id path parameter.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}
