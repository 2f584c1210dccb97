package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web"
	"github.com/rosterhq/roster/web/auth"
)

// serve runs the web server and the job runner until ctx ends, then
// stops accepting requests, lets in-flight requests and jobs finish within
// the shutdown timeout, and returns nil.
func serve(ctx context.Context, cfg *config, logger *slog.Logger) error {
	start := time.Now()
	// Listen first: a taken port is reported before any database work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (ROSTER_ADDR): %w", cfg.Addr, err)
	}
	defer ln.Close()
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := models.NewStore(db)

	if err := bootstrapOwner(ctx, cfg, store, logger); err != nil {
		return err
	}

	var provider *auth.Provider
	if cfg.OIDCIssuer != "" {
		provider, err = auth.NewProvider(ctx, auth.Config{
			Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL:   cfg.baseURL.String() + "/auth/oidc/callback",
			AllowedDomain: cfg.OIDCAllowedDomain, GroupsClaim: cfg.OIDCGroupsClaim, Scopes: cfg.OIDCScopes,
		})
		if err != nil {
			return fmt.Errorf("SSO: %w", err)
		}
	}

	sealer, err := models.NewSealer(cfg.secretKey)
	if err != nil {
		return err
	}
	var sender *mail.Sender
	if cfg.mail != nil {
		sender = mail.NewSender(*cfg.mail)
		logger.Info("mail: " + cfg.mail.String())
	} else {
		logger.Info("mail: not configured; messages stay in the Outbox")
	}
	connectors := kinds.All() // the app kinds Roster can act on, for the job runner and the app pages alike
	jobOpts := jobs.Options{Logger: logger, Sealer: sealer, Connectors: connectors, Mail: sender, BaseURL: cfg.baseURL.String(),
		RescueAfter: cfg.RescueAfter, Reclaim: true, Outbound: cfg.outbound(ctx)}
	client, closeJobs, err := jobs.NewClient(ctx, db, store, jobOpts)
	if err != nil {
		return err
	}
	defer closeJobs()

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobs.NewMetricsCollector(db, logger))

	plan, imports := services(store, logger)
	deps := web.Deps{
		DB: db, Store: store, Logger: logger, RoleMap: cfg.roleMap, Registry: registry,
		Ready:          func(ctx context.Context) error { return migrations.Check(ctx, db.SQL, string(db.Dialect)) },
		Planner:        plan,
		Importer:       imports,
		Decider:        &jobs.Decisions{Store: store, Replan: plan.PlanPeople},
		Replanner:      &jobs.Planning{Store: store},
		AppTester:      jobs.NewAppTests(store, jobOpts),
		Accounts:       &reconcile.Reconciler{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanAccounts},
		Reconciles:     &jobs.Reconciles{Store: store, Kinds: connectors},
		MailConfigured: cfg.mail != nil,
		Sealer:         sealer,
		Connectors:     connectors,
	}
	if provider != nil {
		deps.OIDC = provider
	}
	handler := web.New(web.Config{
		BaseURL: cfg.baseURL, SessionIdleTimeout: cfg.SessionIdleTimeout, SessionLifetime: cfg.SessionLifetime,
		TrustedProxies: cfg.trustedProxies, MetricsToken: cfg.MetricsToken, BodyLimit: cfg.BodyLimit,
		SignInRate: cfg.SignInRate, SignInBurst: cfg.SignInBurst,
	}, deps)
	defer handler.Close() // after shutdown and before db.Close: writes held failure counts

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Jobs run on a context of their own: a signal stops the client
	// gracefully below rather than cancelling jobs mid-flight.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job runner: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("roster is running", "url", cfg.baseURL.String(), "addr", ln.Addr().String(),
		"database", db.Dialect, "sso", provider != nil, "startup", time.Since(start).Round(time.Millisecond))

	select {
	case err = <-serveErr:
		err = fmt.Errorf("web server: %w", err)
	case <-ctx.Done():
		err = nil
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdown(srv, client, cfg.ShutdownTimeout, logger)
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

// services builds the planner and the import path: every applied sync
// run queues the re-planning of the people it touched in the transaction
// that applies it (the planning jobs, jobs/planning.go), and changes
// rules auto-approve are approved as they are planned.
func services(store *models.Store, logger *slog.Logger) (*planner.Planner, *jobs.Imports) {
	plan := planner.New(store)
	plan.Approve = (&jobs.Decisions{Store: store}).AutoApprove
	syncer := &hrsync.Syncer{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanSyncRun, Logger: logger}
	return plan, &jobs.Imports{Syncer: syncer}
}

// shutdown drains the web server and the job runner at the same time,
// under one deadline. Requests still open at the deadline are cut off;
// jobs still running are cancelled, and River runs them again at the next
// start (workers are idempotent).
func shutdown(srv *http.Server, client *jobs.Client, timeout time.Duration, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.Shutdown(ctx); err != nil {
			logger.Warn("requests still open at the shutdown timeout; closing them", "error", err)
			srv.Close()
		}
	}()
	go func() {
		defer wg.Done()
		if err := client.Stop(ctx); err != nil {
			logger.Warn("jobs still running at the shutdown timeout; cancelling them (they run again at the next start)", "error", err)
			cancelCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = client.StopAndCancel(cancelCtx)
		}
	}()
	wg.Wait()
}

// bootstrapOwner gives a fresh installation its first way in: with no
// admins at all, it creates the owner ROSTER_OWNER_EMAIL and logs a
// one-time sign-in link.
func bootstrapOwner(ctx context.Context, cfg *config, store *models.Store, logger *slog.Logger) error {
	n, err := store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	a, _, err := store.EnsureAdmin(ctx, models.SystemActor, cfg.OwnerEmail, models.RoleOwner)
	if err != nil {
		return err
	}
	link, err := issueLoginLink(ctx, cfg, store, models.SystemActor, a)
	if err != nil {
		return err
	}
	logger.Warn("no admins yet: sign in as the first owner with this one-time link (valid 15 minutes; "+
		"later, use roster login-link --email EMAIL)", "owner", a.Email, "link", link)
	return nil
}
