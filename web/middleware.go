package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/rosterhq/roster/models"
)

// Keys of values kept in the server-side session.
const (
	sessionAdminID = "admin_id"
	sessionFlash   = "flash"
	sessionCSRF    = "csrf_token"
)

// Keys of values kept on the echo context for one request.
const (
	ctxAdmin   = "admin"
	ctxSession = "session"
)

// hasSession reports whether this request went through loadSession.
func hasSession(c echo.Context) bool { return c.Get(ctxSession) != nil }

// skipInfra is true for requests that need no session, CSRF or sign-in:
// static files, probes, metrics and the built-in sample receiver's hook
// (/sample-receiver/..., called by Roster's own webhook job and
// authenticated by its signature; the page /sample-receiver is not
// under the prefix and needs sign-in as usual).
func skipInfra(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") ||
		strings.HasPrefix(p, "/sample-receiver/")
}

// contentSecurityPolicy allows nothing but Roster's own origin: no inline
// script or style, no framing, forms post only to Roster.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := s.secureCookies()
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// noStore keeps signed-in pages out of shared and browser caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// requestLogger writes one slog line per request.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogRoutePath: true, LogStatus: true, LogLatency: true,
		LogRequestID: true, LogRemoteIP: true, LogError: true, HandleError: false,
		Skipper: skipInfra,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case v.Status >= 400:
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", v.URIPath), slog.String("route", v.RoutePath),
				slog.Int("status", v.Status), slog.Duration("duration", v.Latency),
				slog.String("request_id", v.RequestID), slog.String("ip", v.RemoteIP),
			}
			if a := currentAdmin(c); a != nil {
				attrs = append(attrs, slog.Int64("admin_id", a.ID))
			}
			s.logger.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

// loadSession loads the scs session around the rest of the chain. Errors
// are rendered inside it, so the session is saved before any body is
// written.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipInfra(c) {
			return next(c)
		}
		c.Set(ctxSession, true)
		s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.SetRequest(r)
			c.SetResponse(echo.NewResponse(w, c.Echo()))
			if err := next(c); err != nil {
				c.Error(err)
			}
		})).ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// secureCookies is true when Roster is served over https.
func (s *Server) secureCookies() bool { return s.cfg.BaseURL != nil && s.cfg.BaseURL.Scheme == "https" }

// errCSRF is the answer to a state-changing request that fails the CSRF
// check (why, for the logs); the handler never runs.
func errCSRF(why string) error {
	return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from Roster. Reload the page and try again.").
		SetInternal(errors.New("csrf: " + why))
}

// csrf protects every state-changing request. Browsers that send fetch
// metadata are judged by it: same-origin (or a typed-in URL) passes,
// cross-site is refused, same-site (a sibling subdomain) must still
// carry the token. Otherwise the token is required: forms send it in the
// _csrf field, htmx requests in the X-CSRF-Token header (static/app.js).
// The token lives in the server-side session, never in a cookie of its
// own, so a cookie planted by a sibling subdomain or over plain HTTP
// cannot supply it.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipInfra(c) {
			return next(c)
		}
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderCookie)
		req := c.Request()
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next(c)
		}
		switch req.Header.Get(echo.HeaderSecFetchSite) {
		case "same-origin", "none":
			return next(c)
		case "cross-site":
			return errCSRF("cross-site request")
		}
		want := s.sessions.GetString(req.Context(), sessionCSRF)
		got := req.Header.Get(echo.HeaderXCSRFToken)
		if got == "" {
			var err error
			if got, err = formToken(req); err != nil {
				return err
			}
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return errCSRF("token missing or not this session's")
		}
		return next(c)
	}
}

// formToken reads a form's _csrf field. A body past the body limit is
// answered as too large, not as a form without a token.
func formToken(req *http.Request) (string, error) {
	if err := req.ParseMultipartForm(32 << 20); errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return "", err
	}
	return req.FormValue("_csrf"), nil
}

// csrfToken is this session's CSRF token for forms and the csrf-token
// meta tag, created on first need; "" for requests without a session.
func (s *Server) csrfToken(c echo.Context) string {
	if !hasSession(c) {
		return ""
	}
	ctx := c.Request().Context()
	if t := s.sessions.GetString(ctx, sessionCSRF); t != "" {
		return t
	}
	t := rand.Text()
	s.sessions.Put(ctx, sessionCSRF, t)
	return t
}

// loadAdmin puts the signed-in admin, if any, on the context. A session
// whose admin has been disabled or removed is destroyed on the spot.
func (s *Server) loadAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !hasSession(c) {
			return next(c)
		}
		ctx := c.Request().Context()
		id := s.sessions.GetInt64(ctx, sessionAdminID)
		if id == 0 {
			return next(c)
		}
		a, err := s.store.AdminByID(ctx, id)
		switch {
		case errors.Is(err, models.ErrNotFound) || (err == nil && !a.Active()):
			if err := s.sessions.Destroy(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			c.Set(ctxAdmin, a)
		}
		return next(c)
	}
}

// requireRole lets through signed-in admins whose role includes min.
// Anyone else is sent to sign in (pages) or refused (everything else).
func requireRole(min models.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a := currentAdmin(c)
			if a == nil {
				req := c.Request()
				if req.Method == http.MethodGet && req.Header.Get("HX-Request") == "" {
					return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(req.URL.RequestURI()))
				}
				if req.Header.Get("HX-Request") != "" {
					c.Response().Header().Set("HX-Redirect", "/login")
				}
				return echo.NewHTTPError(http.StatusUnauthorized, "Sign in first.")
			}
			if !a.Role.AtLeast(min) {
				return echo.NewHTTPError(http.StatusForbidden, "Your role ("+string(a.Role)+") does not allow this. It needs "+string(min)+" or above.")
			}
			return next(c)
		}
	}
}

// currentAdmin returns the signed-in admin, or nil.
func currentAdmin(c echo.Context) *models.Admin {
	a, _ := c.Get(ctxAdmin).(*models.Admin)
	return a
}

// actor is who the audit trail records for this request.
func actor(c echo.Context) models.Actor {
	act := models.Actor{IP: c.RealIP(), RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if a := currentAdmin(c); a != nil {
		act.AdminID, act.Email = a.ID, a.Email
	}
	return act
}
