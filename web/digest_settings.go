package web

import (
	"github.com/labstack/echo/v4"
)

// digestPreference opts the signed-in admin into or out of the daily
// digest. Every admin, viewers included, decides for themselves.
func (s *Server) digestPreference(c echo.Context) error {
	want := c.FormValue("digest") == "on"
	if err := s.store.SetDigestOptOut(c.Request().Context(), actor(c), currentAdmin(c).ID, !want); err != nil {
		return err
	}
	msg := "You will get the daily digest."
	if !want {
		msg = "You will no longer get the daily digest."
	}
	return s.redirectWithFlash(c, "/settings", "success", msg)
}
