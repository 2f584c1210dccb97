package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/views/errorpage"
)

// handleError is the one path by which errors reach a user. Client errors
// show their message; server errors are logged with the request id and
// shown as a plain page without internals.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		s.logger.Error("error after response started", "path", c.Request().URL.Path, "error", err)
		return
	}
	code := http.StatusInternalServerError
	var msg string
	var he *echo.HTTPError
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		code = http.StatusRequestEntityTooLarge // even when a handler wrapped it, as reading an upload does
	} else if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if code >= 500 {
		s.logger.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path,
			"request_id", reqID, "error", err)
	}
	v := errorpage.View{Code: code, Title: http.StatusText(code), Message: msg, RequestID: reqID, SignedIn: currentAdmin(c) != nil}
	switch code {
	case http.StatusNotFound:
		v.Title, v.Message = "Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."
	case http.StatusMethodNotAllowed:
		v.Message = "This address does not accept that kind of request."
	case http.StatusUnauthorized:
		v.Title = "Sign in first"
	case http.StatusForbidden:
		v.Title = "Not allowed"
	case http.StatusTooManyRequests:
		v.Title = "Too many attempts"
	case http.StatusRequestEntityTooLarge:
		v.Title = "Too large to accept"
		v.Message = "What you sent is larger than the " + bodyLimitText(s.cfg.BodyLimit) + " Roster accepts, so nothing was changed. " +
			"If it was a CSV file, split it or remove the columns Roster does not need, and upload it again."
	}
	if code >= 500 {
		v = serverErrorView(code, reqID, v.SignedIn)
	}
	if v.Message == "" {
		v.Message = http.StatusText(code)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	p := s.plainPage(c, v.Title)
	if rerr := render(c, code, errorpage.Page(p, v)); rerr != nil {
		s.logger.Error("render error page", "error", rerr)
	}
}

// bodyLimitText writes a body limit such as "10M" the way people read
// it: "10 MB".
func bodyLimitText(limit string) string {
	s := strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(limit)), "B")
	if n := len(s); n > 1 && strings.ContainsRune("KMGTP", rune(s[n-1])) {
		return s[:n-1] + " " + s[n-1:] + "B"
	}
	return s + " bytes"
}

// serverErrorView is the page for any server-side failure: no internals,
// just the request id to find them in the log.
func serverErrorView(code int, reqID string, signedIn bool) errorpage.View {
	return errorpage.View{Code: code, Title: "Something went wrong", RequestID: reqID, SignedIn: signedIn,
		Message: "Roster could not complete this request. The error has been logged; quote the request id below when you report it."}
}
