package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/models"
)

// Client is Roster's River client. Jobs are inserted through gorm's
// *sql.Tx, so that they commit or roll back with the writes beside them.
type Client = river.Client[*sql.Tx]

// Options tune the client; zero values take the defaults.
type Options struct {
	Logger     *slog.Logger
	MaxWorkers int // actions run at once (default defaultActionWorkers)
	// FetchPollInterval is how often an idle client looks for new work
	// (default 1s; on PostgreSQL new jobs are also announced by NOTIFY).
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches of the actions
	// queue (default actionFetchCooldown; River's own is 100 ms, which
	// bounds a queue at about ten fetches, so about 100 jobs, a second).
	FetchCooldown time.Duration
	// Sealer opens apps' encrypted settings (webhook URLs and secrets).
	Sealer *models.Sealer
	// Connectors are the app kinds Roster can act on (nil: kinds.All()).
	Connectors *connector.Registry
	// HTTPClient makes connectors' outbound calls (nil: one dialling
	// through Outbound).
	HTTPClient *http.Client
	// Outbound says where connectors' calls may go when HTTPClient is nil:
	// public https:// targets, and the private ranges it allows
	// (ROSTER_ALLOW_PRIVATE_TARGETS) and Roster's own address. Tests
	// calling httptest servers allow 127.0.0.0/8.
	Outbound outbound.Policy
	// RetryDelay is the wait before retry n of a failed action (default:
	// exponential from 10s, capped at an hour, with jitter). Tests shorten it.
	RetryDelay func(attempt int) time.Duration
	// MaxCalls and RetryWindow bound an action's tries: after this many
	// calls, or this long after the first (defaults 100 and 24 h), an
	// action still failing is Failed with the app's last answer, however
	// often the app asks to be called again later. Tests shorten them.
	MaxCalls    int
	RetryWindow time.Duration
	// OrderWait is the wait after the nth look finds an action's earlier
	// steps not done (default: 2 s doubling to a minute). Tests shorten it.
	OrderWait func(look int) time.Duration
	// Mail sends the outbox over SMTP; nil when ROSTER_SMTP_URL is not
	// set, and mail then stays in the outbox.
	Mail *mail.Sender
	// BaseURL is where Roster is reached (ROSTER_BASE_URL), for links in
	// mail such as the daily digest.
	BaseURL string
	// RescueAfter is how long a job may stay running before River takes
	// it for hung and runs it again (default 10 minutes: twice the job
	// timeout). Jobs bound themselves to at most it. Jobs of a process that
	// was killed do not wait for it: see Reclaim.
	RescueAfter time.Duration
	// Reclaim has this process requeue, before it starts and then while it
	// runs, the jobs a Roster process that is gone left running (see
	// presence.go) instead of waiting RescueAfter for them. `roster serve`
	// sets it; on SQLite it takes the database's instance lock, so a second
	// process on the same file is refused; on PostgreSQL it holds a
	// presence lock, takes it again when its connection drops, and starts
	// no job while it has none.
	Reclaim bool
	// PlanOnly works the planning queue alone, with no periodic jobs:
	// `roster import` plans what it imported and leaves actions to
	// `roster serve`. Web tests use it too.
	PlanOnly bool
	// PlanWorkers bounds the planning jobs run at once (default 2).
	PlanWorkers int
}

// WithDefaults fills the options left zero with their defaults.
func (opts Options) WithDefaults() Options {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxWorkers == 0 {
		opts.MaxWorkers = defaultActionWorkers
	}
	if opts.FetchCooldown == 0 {
		opts.FetchCooldown = actionFetchCooldown
	}
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = time.Second
	}
	if opts.PlanWorkers == 0 {
		opts.PlanWorkers = 2
	}
	if opts.RescueAfter == 0 {
		opts.RescueAfter = 2 * jobTimeout
	}
	return opts
}

// jobTimeout bounds a job whose worker sets no timeout of its own.
const jobTimeout = 5 * time.Minute

// NewClient builds the River client for db with every worker and periodic
// job registered, points the store's Enqueue at it, and has the store
// queue the welcome and IT alert mail when a change is done and the
// assignee's mail when a task is assigned. Close the returned
// function after the client has stopped.
func NewClient(ctx context.Context, db *models.DB, store *models.Store, opts Options) (*Client, func(), error) {
	opts = opts.WithDefaults()
	driver, closeDriver, err := newDriver(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	workers := river.NewWorkers()
	registerWorkers(workers, store, opts)
	id := clientID()
	cfg := &river.Config{
		ID:                   id,
		Logger:               opts.Logger,
		Queues:               queues(opts),
		Workers:              workers,
		PeriodicJobs:         periodicJobs(opts),
		FetchPollInterval:    opts.FetchPollInterval,
		JobTimeout:           min(jobTimeout, opts.RescueAfter),
		RescueStuckJobsAfter: opts.RescueAfter,
	}
	var p *presence
	if opts.Reclaim {
		if p, err = claimPresence(ctx, db, id, defaultPresenceTiming()); err != nil {
			closeDriver()
			return nil, nil, err
		}
		cfg.Middleware = []rivertype.Middleware{&presenceGate{p: p}}
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		if p != nil {
			p.close()
		}
		closeDriver()
		return nil, nil, fmt.Errorf("jobs: new client: %w", err)
	}
	closeAll := closeDriver
	if p != nil {
		if closeAll, err = reclaimFor(ctx, p, opts.Logger, closeDriver); err != nil {
			return nil, nil, err
		}
	}
	store.UseJobs(client)
	mailer := &Mailer{Store: store, Configured: opts.Mail != nil}
	store.OnChangesDone(mailer.ChangesDone)
	store.OnTaskAssigned((&TaskMail{Mailer: mailer, BaseURL: opts.BaseURL}).Assigned)
	return client, closeAll, nil
}

// Queues, one per kind of work, so that none starves another: a burst of
// 10,000 approved actions does not hold back the welcome mail of the
// first of them, nor planning, nor the sweep that settles lost actions.
// Actions run on River's default queue (jobs inserted before the queues
// were split are there too, and run as before).
const (
	QueueMail         = "mail"         // outbox sends, digests
	QueueHousekeeping = "housekeeping" // lost-action sweep, pruning, purges
)

// Queue sizes. Actions are I/O-bound calls to other systems, so many may
// wait on the network at once; each app's max_concurrency bounds what one
// app gets. The execute workers share their statements (batcher), so more
// of them make bigger batches rather than more statements: against a
// receiver that answers at once, 128 workers with a 10 ms cooldown ran
// 1.6x the actions of 32 with 20 ms, and 256 no more than 128. Mail is
// one SMTP server. Measurements: docs/benchmarks.md.
const (
	defaultActionWorkers = 128
	actionFetchCooldown  = 10 * time.Millisecond
	mailWorkers          = 4
	housekeepingWorkers  = 1
)

// queues are the queues this client works: everything, or planning
// alone for `roster import`.
func queues(opts Options) map[string]river.QueueConfig {
	q := map[string]river.QueueConfig{QueuePlan: {MaxWorkers: opts.PlanWorkers}}
	if !opts.PlanOnly {
		q[river.QueueDefault] = river.QueueConfig{MaxWorkers: opts.MaxWorkers, FetchCooldown: opts.FetchCooldown}
		q[QueueMail] = river.QueueConfig{MaxWorkers: mailWorkers}
		q[QueueHousekeeping] = river.QueueConfig{MaxWorkers: housekeepingWorkers}
	}
	return q
}

// reclaimFor requeues what clients that are gone left running, then
// keeps p's lock and keeps looking while the process runs. The returned
// function stops both, releases the presence and then calls closeDriver.
func reclaimFor(ctx context.Context, p *presence, logger *slog.Logger, closeDriver func()) (func(), error) {
	if _, err := p.reclaim(ctx, logger); err != nil {
		p.close()
		closeDriver()
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(runCtx, logger)
	}()
	return func() {
		stop()
		<-done
		p.close()
		closeDriver()
	}, nil
}

// clientID names this process's River client: host, process and a random
// part, so that a restarted process is a new client.
func clientID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "roster"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%s_%d_%x", host, os.Getpid(), b)
	if len(id) > 100 { // River allows fewer than 128 characters
		id = id[len(id)-100:]
	}
	return id
}

// newDriver picks River's driver for the dialect. On PostgreSQL a
// one-connection pgx pool carries LISTEN/NOTIFY, so jobs start as soon as
// they commit instead of at the next poll; everything else goes through
// the same *sql.DB as gorm.
func newDriver(ctx context.Context, db *models.DB) (riverdriver.Driver[*sql.Tx], func(), error) {
	if db.Dialect == models.SQLite {
		return riversqlite.New(db.SQL), func() {}, nil
	}
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: listener pool: %w", err)
	}
	cfg.MinConns, cfg.MaxConns = 0, 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: listener pool: %w", err)
	}
	return riverdatabasesql.NewWithPgxListener(db.SQL, pool), pool.Close, nil
}

// ConnectorEnv is what app connectors are opened with, for actions, Test
// connection and `roster reconcile` alike: one outbound HTTP client (so
// connections are reused) and its policy, the sealer of apps' settings,
// the store and the logger.
func ConnectorEnv(store *models.Store, opts Options) connector.Env {
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: opts.Outbound.Transport()}
	}
	return connector.Env{HTTP: hc, Outbound: opts.Outbound, Sealer: opts.Sealer, Store: store, Logger: opts.Logger}
}

// kindsOf is the app kinds of opts, every kind Roster has by default.
func kindsOf(opts Options) *connector.Registry {
	if opts.Connectors != nil {
		return opts.Connectors
	}
	return kinds.All()
}
