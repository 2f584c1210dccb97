package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/static"
)

// routes is Roster's whole HTTP surface, grouped by who may call it.
//
// Every request except static files, probes and metrics carries a
// session and passes the CSRF check (a sign-in request over its rate
// limit is refused before either); role groups nest, each admitting its
// role and every role above it (owner > admin > approver > viewer).
func (s *Server) routes() {
	e := s.echo
	e.Use(
		middleware.RequestID(),
		middleware.Recover(),
		s.requestLogger(),
		s.metrics.middleware,
		s.securityHeaders,
		s.signInLimit.middleware(),
		s.loadSession,
		s.loadAdmin,
		// Before the first reader of a body (csrf reads a form's token),
		// after the admin is known so that its 413 page is the signed-in one.
		middleware.BodyLimit(s.cfg.BodyLimit),
		s.csrf,
	)

	// Infrastructure: no session, no sign-in.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler())
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler(static.FS))))
	e.POST("/sample-receiver/hook", s.sampleReceiverHook)

	// Public: signing in and out. The sign-in routes share one rate limit
	// per client address (signInLimit, ahead of loadSession above, so a
	// refused request writes no session row).
	signIn := group(e, noStore).limitedBy(s.signInLimit)
	signIn.GET("/login", s.signInPage)
	signIn.GET("/auth/oidc/start", s.oidcStart)
	signIn.GET("/auth/oidc/callback", s.oidcCallback)
	signIn.GET("/login/link/:token", s.loginLinkPage)
	signIn.POST("/login/link/:token", s.loginLinkUse)
	public := group(e, noStore)
	public.POST("/logout", s.signOut)

	// Viewer and above: read everything.
	viewer := group(e, noStore, requireRole(models.RoleViewer))
	viewer.GET("/", s.dashboard)
	viewer.GET("/activity", s.activity)
	viewer.GET("/outbox", s.outboxPage)
	viewer.GET("/admins", s.adminsPage)
	viewer.GET("/team-updates", s.teamUpdates)
	viewer.GET("/team-updates/:id/why", s.teamUpdateWhy)
	viewer.GET("/people", s.peoplePage)
	viewer.GET("/people/:id", s.personPage)
	viewer.GET("/sources", s.sourcesPage)
	viewer.GET("/sources/template.csv", s.sourceTemplate)
	viewer.GET("/sources/:id", s.sourcePage)
	viewer.GET("/sources/:id/runs/:run", s.syncRunPage)
	viewer.GET("/apps", s.appsPage)
	viewer.GET("/apps/:id", s.appPage)
	viewer.GET("/apps/:id/accounts", s.appAccountsPage)
	viewer.GET("/apps/:id/accounts/template.csv", s.accountsTemplate)
	viewer.GET("/rules", s.rulesPage)
	viewer.GET("/rules/planning", s.rulesPlanning)
	viewer.GET("/rules/new", s.ruleNew)
	viewer.GET("/rules/:id", s.ruleEdit)
	viewer.GET("/rules/builder/condition", s.ruleConditionRow)
	viewer.GET("/rules/builder/grant", s.ruleGrantRow)
	viewer.GET("/rules/builder/entitlements", s.ruleEntitlementOptions)
	viewer.POST("/rules/builder/preview", s.rulePreview)
	viewer.GET("/settings", s.settingsPage)
	viewer.POST("/settings/digest", s.digestPreference)
	viewer.GET("/tasks", s.tasksPage)
	viewer.GET("/sample-receiver", s.sampleReceiverPage)

	// Approver and above: decide Team Updates, do manual tasks.
	approver := group(e, noStore, requireRole(models.RoleApprover))
	approver.POST("/team-updates/approve", s.teamUpdatesApprove)
	approver.POST("/team-updates/reject", s.teamUpdatesReject)
	approver.POST("/tasks/:id/done", s.taskDone)
	approver.POST("/tasks/:id/undone", s.taskUndone)

	// Admin: sources, apps, rules and settings.
	admin := group(e, noStore, requireRole(models.RoleAdmin))
	admin.POST("/sources", s.sourceCreate)
	admin.POST("/sources/:id/upload", s.sourceUpload)
	admin.POST("/sources/:id/brake", s.sourceBrake)
	admin.POST("/sources/:id/runs/:run/confirm", s.syncRunConfirm)
	admin.POST("/sources/:id/runs/:run/discard", s.syncRunDiscard)
	admin.POST("/apps", s.appCreate)
	admin.POST("/apps/:id", s.appUpdate)
	admin.POST("/apps/:id/webhook", s.appWebhookSave)
	admin.POST("/apps/:id/concurrency", s.appConcurrencySave)
	admin.POST("/apps/:id/test", s.appTest)
	admin.POST("/apps/:id/tasks", s.appTasksSave)
	admin.POST("/apps/:id/accounts/upload", s.accountsUpload)
	admin.GET("/apps/:id/accounts/uploads/:upload", s.accountsPreview)
	admin.POST("/apps/:id/accounts/uploads/:upload/apply", s.accountsApply)
	admin.POST("/apps/:id/accounts/uploads/:upload/discard", s.accountsDiscard)
	admin.POST("/apps/:id/accounts/matching", s.accountsMatching)
	admin.POST("/apps/:id/accounts/reconcile", s.accountsReconcileNow)
	admin.POST("/apps/:id/accounts/schedule", s.accountsSchedule)
	admin.POST("/apps/:id/accounts/:account/link", s.accountLink)
	admin.POST("/apps/:id/accounts/:account/service", s.accountService)
	admin.POST("/apps/:id/entitlements", s.entitlementCreate)
	admin.POST("/apps/:id/entitlements/:ent", s.entitlementUpdate)
	admin.POST("/rules/review", s.ruleReview)
	admin.POST("/rules/save", s.ruleSave)
	admin.POST("/rules/:id/enable", s.ruleEnable)
	admin.POST("/rules/:id/disable", s.ruleDisable)
	admin.POST("/rules/:id/delete", s.ruleDelete)
	admin.POST("/settings", s.settingsSave)
	admin.POST("/team-updates/actions/:id/retry", s.actionRetry)
	admin.POST("/tasks/:id/assign", s.taskAssign)
	admin.POST("/sample-data", s.sampleDataLoad)

	// Owner: manage who operates Roster.
	owner := group(e, noStore, requireRole(models.RoleOwner))
	owner.POST("/admins", s.adminsInvite)
	owner.POST("/admins/:id/role", s.adminsSetRole)
	owner.POST("/admins/:id/disable", s.adminsDisable)
	owner.POST("/admins/:id/enable", s.adminsEnable)
}

// routeGroup attaches middleware to each of its routes. Unlike echo.Group
// it adds no catch-all route, so an unknown path is a plain 404 for
// everyone instead of a sign-in redirect or a 403 from some group.
type routeGroup struct {
	e     *echo.Echo
	mw    []echo.MiddlewareFunc
	limit *signInLimiter // nil: not rate-limited
}

func group(e *echo.Echo, mw ...echo.MiddlewareFunc) routeGroup { return routeGroup{e: e, mw: mw} }

// limitedBy puts the group's routes under l, whose middleware runs in
// the chain every request takes.
func (g routeGroup) limitedBy(l *signInLimiter) routeGroup { g.limit = l; return g }

func (g routeGroup) GET(path string, h echo.HandlerFunc)  { g.add(http.MethodGet, path, h) }
func (g routeGroup) POST(path string, h echo.HandlerFunc) { g.add(http.MethodPost, path, h) }

func (g routeGroup) add(method, path string, h echo.HandlerFunc) {
	if g.limit != nil {
		g.limit.add(method, path)
	}
	g.e.Add(method, path, h, g.mw...)
}
