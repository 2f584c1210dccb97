package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/static"
	"github.com/rosterhq/roster/views/errorpage"
	"github.com/rosterhq/roster/views/layout"
	"github.com/rosterhq/roster/web/auth"
	"github.com/rosterhq/roster/web/failures"
)

// Config is the web server's share of Roster's configuration.
type Config struct {
	BaseURL *url.URL
	// SessionIdleTimeout signs an admin out after this long without a
	// request; SessionLifetime after this long in any case.
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	// BodyLimit caps request bodies, e.g. "10M".
	BodyLimit string
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed when
	// recording a client's address. Empty: the peer address is used.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is required as a bearer token on /metrics.
	MetricsToken string
	// PreviewTimeout bounds one rules live preview, waiting included
	// (default 5 s); PreviewConcurrency is how many run at once across
	// the server (default half the CPUs, at least one).
	PreviewTimeout     time.Duration
	PreviewConcurrency int
	// SignInRate (requests per second) and SignInBurst limit each client
	// address on the sign-in routes, per replica; zero takes
	// DefaultSignInRate and DefaultSignInBurst.
	SignInRate  float64
	SignInBurst int
}

// OIDC is the sign-in provider as the handlers use it (*auth.Provider).
type OIDC interface {
	AuthCodeURL(f auth.Flow) string
	Exchange(ctx context.Context, f auth.Flow, callback url.Values) (*auth.Identity, error)
}

// Deps are the server's collaborators, built by main.
type Deps struct {
	DB       *models.DB
	Store    *models.Store
	Logger   *slog.Logger
	OIDC     OIDC         // nil when SSO is not configured
	RoleMap  auth.RoleMap // optional group → role mapping
	Registry *prometheus.Registry
	// Ready reports whether the database answers and is fully migrated.
	Ready func(context.Context) error
	// Importer and Planner are the sync and planning services.
	Importer Importer
	Planner  Planner
	Decider  Decider
	// Replanner queues re-planning of everyone as jobs (rule edits, a new
	// time zone).
	Replanner Replanner
	// AppTester makes an app's "Test connection" call; nil hides the
	// button.
	AppTester AppTester
	// MailConfigured says whether SMTP is set up; without it mail stays
	// in the outbox.
	MailConfigured bool
	// Sealer encrypts the secrets admins set on apps, like a webhook's
	// signing secret.
	Sealer *models.Sealer
	// Connectors are the app kinds Roster can act on: the new-app form's
	// choices and what each app's page shows (nil: kinds.All()).
	Connectors *connector.Registry
	// Accounts matches and records apps' accounts (the Accounts tab's
	// uploads); nil records them without planning anyone.
	Accounts *reconcile.Reconciler
	// Reconciles queues "Reconcile now" for apps that list their own
	// accounts (*jobs.Reconciles); nil hides the button.
	Reconciles Reconciler
}

// Reconciler queues the reconciliation of an app from the app itself.
type Reconciler interface {
	ReconcileNow(ctx context.Context, actor models.Actor, app *models.App) error
}

// Server is Roster's HTTP server.
type Server struct {
	cfg            Config
	echo           *echo.Echo
	store          *models.Store
	sessions       *scs.SessionManager
	oidc           OIDC
	roleMap        auth.RoleMap
	logger         *slog.Logger
	metrics        *httpMetrics
	registry       *prometheus.Registry
	ready          func(context.Context) error
	importer       Importer
	planner        Planner
	replanner      Replanner
	decider        Decider
	appTester      AppTester
	kinds          *connector.Registry
	accounts       *reconcile.Reconciler
	reconciles     Reconciler
	mailConfigured bool
	sealer         *models.Sealer
	version        string
	previews       *previewGate
	stopGC         func()
	signInLimit    *signInLimiter
	failures       *failures.Recorder
	closeOnce      sync.Once
}

// New builds the server and its route table.
func New(cfg Config, deps Deps) *Server {
	if cfg.SessionIdleTimeout == 0 {
		cfg.SessionIdleTimeout = 2 * time.Hour
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "10M"
	}
	if deps.Connectors == nil {
		deps.Connectors = kinds.All()
	}
	if deps.Accounts == nil {
		deps.Accounts = &reconcile.Reconciler{Store: deps.Store}
	}
	s := &Server{
		cfg:            cfg,
		echo:           echo.New(),
		store:          deps.Store,
		oidc:           deps.OIDC,
		roleMap:        deps.RoleMap,
		logger:         deps.Logger,
		registry:       deps.Registry,
		ready:          deps.Ready,
		importer:       deps.Importer,
		planner:        deps.Planner,
		replanner:      deps.Replanner,
		decider:        deps.Decider,
		appTester:      deps.AppTester,
		kinds:          deps.Connectors,
		accounts:       deps.Accounts,
		reconciles:     deps.Reconciles,
		mailConfigured: deps.MailConfigured,
		sealer:         deps.Sealer,
		version:        static.Version(),
		previews:       newPreviewGate(cfg.PreviewTimeout, cfg.PreviewConcurrency),
		signInLimit:    newSignInLimiter(cfg.SignInRate, cfg.SignInBurst),
		failures:       failures.New(deps.Store, failures.Options{Logger: deps.Logger}),
	}
	s.sessions, s.stopGC = s.newSessionManager(deps.DB)
	s.metrics = newHTTPMetrics(deps.Registry)
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Close stops the session store's background clean-up and writes the
// counts of repeated sign-in failures still held in memory; call it once
// no request is in flight and before the database closes. Calling it
// again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.stopGC()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.failures.Close(ctx); err != nil {
			s.logger.Error("audit repeated sign-in failures at shutdown", "error", err)
		}
	})
}

// newSessionManager keeps sessions in the same database as everything
// else, so a restart or a second replica keeps everyone signed in. The
// store is wrapped in a quietStore, so a page that only reads does not
// write its session on every request.
func (s *Server) newSessionManager(db *models.DB) (*scs.SessionManager, func()) {
	cfg := s.cfg
	sm := scs.New()
	sm.IdleTimeout = cfg.SessionIdleTimeout
	sm.Lifetime = cfg.SessionLifetime
	sm.Cookie.Name = "roster_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	if s.secureCookies() {
		// __Host-: the browser accepts the cookie only from this origin over
		// https, for Path=/ and without a Domain, so a sibling subdomain or a
		// plain-HTTP answer cannot plant or overwrite it.
		sm.Cookie.Name = "__Host-roster_session"
		sm.Cookie.Secure = true
	}
	sm.ErrorFunc = s.sessionError
	if db.Dialect == models.Postgres {
		st := postgresstore.NewWithCleanupInterval(db.SQL, 10*time.Minute)
		sm.Store = newQuietStore(st, sm.Codec)
		return sm, st.StopCleanup
	}
	st := sqlite3store.NewWithCleanupInterval(db.SQL, 10*time.Minute)
	sm.Store = newQuietStore(st, sm.Codec)
	return sm, st.StopCleanup
}

// sessionError handles a failure to load or save a session (the database
// is down, say) like any other server error: logged with the request id,
// shown as the plain error page.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	reqID := w.Header().Get(echo.HeaderXRequestID)
	s.logger.Error("session store failed", "method", r.Method, "path", r.URL.Path, "request_id", reqID, "error", err)
	w.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	w.WriteHeader(http.StatusInternalServerError)
	v := serverErrorView(http.StatusInternalServerError, reqID, false)
	_ = errorpage.Page(layout.Page{Title: v.Title, Version: s.version}, v).Render(r.Context(), w)
}

func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
