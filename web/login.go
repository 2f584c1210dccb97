package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/auth"
	webauth "github.com/rosterhq/roster/web/auth"
	"github.com/rosterhq/roster/web/failures"
)

// Session keys of an SSO attempt in progress.
const (
	sessionOIDCState    = "oidc_state"
	sessionOIDCNonce    = "oidc_nonce"
	sessionOIDCVerifier = "oidc_verifier"
	sessionOIDCNext     = "oidc_next"
)

// signInPage offers SSO, or explains how to get a one-time link when SSO
// is not configured.
func (s *Server) signInPage(c echo.Context) error {
	if currentAdmin(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	v := auth.SignInView{
		SSOEnabled: s.oidc != nil,
		StartURL:   "/auth/oidc/start?next=" + url.QueryEscape(safeNext(c.QueryParam("next"))),
		SignedOut:  c.QueryParam("signed_out") != "",
	}
	return render(c, http.StatusOK, auth.SignIn(s.page(c, "Sign in", ""), v))
}

// oidcStart begins the authorization code flow: state, nonce and the PKCE
// verifier stay in the server-side session, only the challenge leaves.
func (s *Server) oidcStart(c echo.Context) error {
	if s.oidc == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	flow, err := webauth.NewFlow()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s.sessions.Put(ctx, sessionOIDCState, flow.State)
	s.sessions.Put(ctx, sessionOIDCNonce, flow.Nonce)
	s.sessions.Put(ctx, sessionOIDCVerifier, flow.Verifier)
	s.sessions.Put(ctx, sessionOIDCNext, safeNext(c.QueryParam("next")))
	return c.Redirect(http.StatusFound, s.oidc.AuthCodeURL(flow))
}

// oidcCallback finishes the flow and signs in the admin with that email.
// Every refusal is audited and shown as a plain page.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	flow := webauth.Flow{
		State:    s.sessions.PopString(ctx, sessionOIDCState),
		Nonce:    s.sessions.PopString(ctx, sessionOIDCNonce),
		Verifier: s.sessions.PopString(ctx, sessionOIDCVerifier),
	}
	next := safeNext(s.sessions.PopString(ctx, sessionOIDCNext))
	if flow.State == "" {
		return s.denySignIn(c, "", "no sign-in in progress", "Sign-in expired",
			"This sign-in attempt is unknown or has expired. Start again from the sign-in page.")
	}
	id, err := s.oidc.Exchange(ctx, flow, c.QueryParams())
	if err != nil {
		s.logger.Warn("SSO sign-in failed", "error", err, "request_id", actor(c).RequestID)
		return s.denySignIn(c, webauth.AssertedEmail(err), err.Error(), "Sign-in failed", userMessage(err))
	}
	a, err := s.store.AdminByEmail(ctx, id.Email)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !a.Active()) {
		return s.denySignIn(c, id.Email, "not an active admin", "Not authorised",
			id.Email+" is not a Roster admin. Ask an owner to invite you.")
	}
	if err != nil {
		return err
	}
	return s.signIn(c, a, models.SignIn{Method: "sso", Issuer: id.Issuer, Subject: id.Subject, Name: id.Name}, id.Groups, next)
}

// userMessage is what the person signing in is told about a failed SSO
// exchange: the plain sentence of the matching error, never the IdP's raw
// response (which goes to the log and the audit trail).
func userMessage(err error) string {
	for _, e := range []error{webauth.ErrStateMismatch, webauth.ErrNonceMismatch, webauth.ErrEmailNotVerified,
		webauth.ErrNoEmail, webauth.ErrDomainNotAllowed, webauth.ErrIdPError} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "Your identity provider's answer could not be verified. Try again; if it keeps failing, ask an owner to check the SSO settings."
}

// syncRole applies ROSTER_OIDC_ROLE_MAP: when the admin's groups map to a
// role, that role is theirs. The last active owner is never demoted this
// way; the refusal is logged.
func (s *Server) syncRole(ctx context.Context, a *models.Admin, groups []string) error {
	role, ok := s.roleMap.RoleFor(groups)
	if !ok || role == a.Role {
		return nil
	}
	err := s.store.SetAdminRole(ctx, models.Actor{Email: "sso-groups"}, a.ID, role)
	if errors.Is(err, models.ErrLastOwner) {
		s.logger.Warn("SSO groups would demote the last owner; role kept", "admin", a.Email, "groups_role", role)
		return nil
	}
	if err != nil {
		return err
	}
	a.Role = role
	return nil
}

// signIn starts an admin's session: it records the sign-in (which checks
// the SSO identity binding), only then applies the groups' role, and
// starts a fresh session (new session token against fixation, new CSRF
// token) holding the admin id.
func (s *Server) signIn(c echo.Context, a *models.Admin, in models.SignIn, groups []string, next string) error {
	ctx := c.Request().Context()
	err := s.store.RecordSignIn(ctx, actor(c), a, in)
	if errors.Is(err, models.ErrIdentityMismatch) {
		return s.denySignIn(c, a.Email, err.Error(), "Not authorised",
			"This email address is linked to a different account at your identity provider. Ask an owner to check your Roster admin entry.")
	}
	if err != nil {
		return err
	}
	if err := s.syncRole(ctx, a, groups); err != nil {
		return err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionAdminID, a.ID)
	s.sessions.Put(ctx, sessionCSRF, rand.Text())
	s.logger.Info("signed in", "admin_id", a.ID, "method", in.Method)
	return c.Redirect(http.StatusSeeOther, next)
}

// denySignIn audits a refused sign-in and tells the person why. Repeats
// of the same refusal from one address are counted, not written one by
// one (failures.Recorder).
func (s *Server) denySignIn(c echo.Context, email, reason, title, message string) error {
	act := actor(c)
	act.Email = email
	if act.Email == "" {
		act.Email = "unknown"
	}
	if err := s.failures.Record(c.Request().Context(), failures.Failure{
		Action: models.ActionSignInFailed, Actor: act, SubjectType: "admin", SubjectLabel: email, Reason: reason,
	}); err != nil {
		return err
	}
	return render(c, http.StatusForbidden, auth.Denied(s.plainPage(c, title), auth.DeniedView{Title: title, Message: message}))
}

// signOut ends the session server-side.
func (s *Server) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if a := currentAdmin(c); a != nil {
		if err := s.store.Audit(ctx, actor(c), models.AuditEntry{
			Action: models.ActionSignOut, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
		}); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}

// safeNext keeps post-sign-in redirects on Roster: a path on this host,
// never "//host", a scheme, a backslash or control characters (browsers
// drop tabs and newlines, so "/\t/evil.example" would become "//evil.example").
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	return next
}
