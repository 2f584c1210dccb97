package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/views/layout"
)

// render writes a templ component with a status code.
func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// page builds the shell's view model for this request, consuming any
// pending flash messages.
func (s *Server) page(c echo.Context, title, active string) layout.Page {
	return s.pageWithToken(c, title, active, s.csrfToken(c))
}

// plainPage is page for a page without forms that strangers reach (an
// error, a refused sign-in): it carries the session's CSRF token if
// there is one but creates none, so such a request from a client without
// a session writes no session row.
func (s *Server) plainPage(c echo.Context, title string) layout.Page {
	var token string
	if hasSession(c) {
		token = s.sessions.GetString(c.Request().Context(), sessionCSRF)
	}
	return s.pageWithToken(c, title, "", token)
}

func (s *Server) pageWithToken(c echo.Context, title, active, token string) layout.Page {
	p := layout.Page{Title: title, Active: active, Version: s.version, CSRF: token}
	if a := currentAdmin(c); a != nil {
		p.User = &layout.User{Email: a.Email, Name: a.Name, Role: string(a.Role)}
		p.Banners = s.banners(c)
	}
	if hasSession(c) {
		if raw := s.sessions.PopString(c.Request().Context(), sessionFlash); raw != "" {
			kind, msg, _ := strings.Cut(raw, "|")
			p.Flashes = append(p.Flashes, layout.Flash{Kind: kind, Message: msg})
		}
	}
	return p
}

// banners are the standing warnings every signed-in page shows: sync runs
// the brake is holding.
func (s *Server) banners(c echo.Context) []layout.Banner {
	held, err := s.store.HeldSyncRuns(c.Request().Context())
	if err != nil {
		s.logger.Warn("banners: held sync runs", "error", err)
		return nil
	}
	var out []layout.Banner
	for _, r := range held {
		link := fmt.Sprintf("/sources/%d/runs/%d", r.SourceID, r.ID)
		if c.Request().URL.Path == link {
			continue // the run's own page says it in full
		}
		out = append(out, layout.Banner{
			Message:  fmt.Sprintf("A sync run was held by the safety brake: %s. Nothing from it has been applied.", r.HeldReason),
			Link:     link,
			LinkText: "Review it",
		})
	}
	return out
}

// formatTime is how every page shows a moment: UTC, to the minute.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// flash keeps a message for the next page this session sees.
func (s *Server) flash(c echo.Context, kind, msg string) {
	s.sessions.Put(c.Request().Context(), sessionFlash, kind+"|"+msg)
}

// redirectWithFlash is the end of a successful POST (Post/Redirect/Get).
func (s *Server) redirectWithFlash(c echo.Context, to, kind, msg string) error {
	s.flash(c, kind, msg)
	return c.Redirect(http.StatusSeeOther, to)
}
