package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/auth"
)

// loginLinkPage shows who a one-time link signs in, with a button. Only
// the POST uses the link, so mail scanners that fetch it leave it intact.
func (s *Server) loginLinkPage(c echo.Context) error {
	a, err := s.store.PeekLoginToken(c.Request().Context(), c.Param("token"))
	if err != nil || !a.Active() {
		return s.invalidLink(c)
	}
	v := auth.LinkView{Email: a.Email, Action: c.Request().URL.Path}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return render(c, http.StatusOK, auth.LinkConfirm(s.page(c, "Sign in", ""), v))
}

// loginLinkUse consumes a one-time link and signs its admin in.
func (s *Server) loginLinkUse(c echo.Context) error {
	a, err := s.store.UseLoginToken(c.Request().Context(), c.Param("token"))
	if errors.Is(err, models.ErrLinkInvalid) {
		return s.invalidLink(c)
	}
	if err != nil {
		return err
	}
	if !a.Active() {
		return s.denySignIn(c, a.Email, "admin disabled", "Not authorised", a.Email+" has been disabled. Ask an owner to enable you again.")
	}
	return s.signIn(c, a, models.SignIn{Method: "login_link"}, nil, "/")
}

func (s *Server) invalidLink(c echo.Context) error {
	return s.denySignIn(c, "", "invalid sign-in link", "Link not valid",
		"This sign-in link is invalid, has expired or has already been used. Ask for a new one with roster login-link.")
}
