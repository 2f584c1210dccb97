// Command roster runs Roster, the HR-driven provisioning service: the web
// server with its in-process job runner (serve, the default), database
// migrations (migrate), break-glass sign-in links (login-link) and
// SQLite backups (backup).
//
// main only wires things together: configuration from the environment,
// the database, migrations, the River client and the web server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2 // bad command line or configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// run is the whole program, callable from tests: it returns the exit
// code. ctx ends the server (SIGINT/SIGTERM in main). stdin is only read
// by app add, for a secret; it may be nil.
func run(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || (len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help")) {
		usage(stdout)
		return exitOK
	}
	cfg, err := loadConfig(env)
	if err != nil {
		fmt.Fprintln(stderr, "roster:", err)
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "roster: serve takes no arguments (got %q); see roster --help\n", args[0])
			return exitUsage
		}
		err = serve(ctx, cfg, logger)
	case "migrate":
		err = migrate(ctx, cfg, logger)
	case "login-link":
		err = loginLink(ctx, cfg, logger, args, stdout)
	case "import":
		err = importFile(ctx, cfg, logger, args, stdout, stderr)
	case "accounts":
		err = accounts(ctx, cfg, logger, args, stdout, stderr)
	case "app":
		err = appCommand(ctx, cfg, logger, args, env, stdin, stdout)
	case "reconcile":
		err = reconcileApp(ctx, cfg, logger, args, stdout, stderr)
	case "sample-data":
		err = sampleData(ctx, cfg, logger, args, stdout)
	case "backup":
		err = backup(ctx, cfg, logger, args, stdout)
	default:
		fmt.Fprintf(stderr, "roster: unknown command %q; see roster --help\n", cmd)
		return exitUsage
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "roster:", err)
		return exitUsage
	default:
		logger.Error("roster stopped", "error", err)
		return exitFailed
	}
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usage(w io.Writer) {
	fmt.Fprint(w, `Roster keeps your company's apps in step with your HR system.

Usage:
  roster [serve]                     start the web server and background jobs
  roster migrate                     apply database migrations and exit
  roster login-link --email EMAIL [--role owner|admin|approver|viewer]
                                     create the admin if missing and print a one-time
                                     sign-in link (valid 15 minutes) as the last line
  roster import --source NAME [--baseline auto|on|off] FILE.csv
                                     import a CSV snapshot into the CSV source NAME (created if
                                     missing), as an upload and its confirmation would; a new
                                     source's first file is a baseline (people already employed
                                     are current staff, not joiners) unless --baseline says; the
                                     last line is joiners=N existing=N movers=N leavers=N rehires=N
                                     unchanged=N held=B planned=N
  roster accounts import --app NAME FILE.csv
                                     record app NAME's current accounts from a CSV file (columns
                                     account_id, email, phone, employee_number, name, status,
                                     entitlements), match them to people and plan what changed; the
                                     last line is matched=N ambiguous=N not_in_hr=N terminated_active=N
  roster app add --kind scim --name NAME --base-url URL [--oauth-token-url URL --oauth-client-id ID
                 [--scopes a,b]] [--deprovision disable|delete] [--on-not-found gone|recreate]
                                     add a SCIM 2.0 app and its connection, sealed; the bearer token
                                     (or OAuth client secret) is read from ROSTER_SCIM_TOKEN (or
                                     ROSTER_SCIM_CLIENT_SECRET) or one line of standard input, never a
                                     flag; the last line is app=NAME id=N kind=scim
  roster reconcile --app NAME        read app NAME's accounts from the app itself (kinds that list
                                     accounts: scim), match them to people and plan what changed, as
                                     accounts import does; the last line is matched=N ambiguous=N
                                     not_in_hr=N terminated_active=N
  roster sample-data                 load a made-up company into an empty Roster (50 people, a
                                     webhook app calling the built-in sample receiver, a Laptop app,
                                     three rules); the last line is the summary
  roster backup FILE                 write a consistent copy of the SQLite database to FILE (new),
                                     safe while roster serve runs; the last line is backup=FILE bytes=N.
                                     Back up the secret key separately; PostgreSQL: use pg_dump
  roster help                        show this help

Configuration (environment variables):
`)
	for _, s := range settingsHelp {
		fmt.Fprintf(w, "  %s\n      %s\n", s[0], s[1])
	}
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDatabase connects and migrates. On SQLite it also makes sure the
// secret key exists.
func openDatabase(ctx context.Context, cfg *config, logger *slog.Logger) (*models.DB, error) {
	if cfg.dialect == models.SQLite {
		if err := cfg.ensureSecretKey(); err != nil {
			return nil, err
		}
		if cfg.keyGenerated {
			logger.Warn("generated a secret key for encrypting secrets at rest; back it up with the database",
				"file", cfg.keyFile)
		}
	}
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := migrations.Up(ctx, db.SQL, string(db.Dialect), logger); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, cfg *config, logger *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database is up to date", "dialect", db.Dialect)
	return nil
}

// loginLink is the bootstrap and break-glass path in: it works without
// SSO, from a shell on the server.
func loginLink(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("login-link", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "admin email")
	roleName := fs.String("role", "owner", "role if the admin is created")
	if err := fs.Parse(args); err != nil {
		return &usageError{"login-link: " + err.Error()}
	}
	if *email == "" {
		return &usageError{"login-link: --email is required"}
	}
	role, err := models.ParseRole(*roleName)
	if err != nil {
		return &usageError{"login-link: " + err.Error()}
	}
	if _, err := models.NormalizeEmail(*email); err != nil {
		return &usageError{"login-link: " + err.Error()}
	}
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := models.NewStore(db)
	a, created, err := store.EnsureAdmin(ctx, models.CLIActor, *email, role)
	if err != nil {
		return err
	}
	link, err := issueLoginLink(ctx, cfg, store, models.CLIActor, a)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Created %s as %s.\n", a.Email, a.Role)
	} else if !a.Active() {
		fmt.Fprintf(stdout, "Warning: %s is disabled; the link will be refused until an owner enables them.\n", a.Email)
	}
	fmt.Fprintf(stdout, "One-time sign-in link for %s (%s), valid for %s:\n", a.Email, a.Role, models.LoginLinkTTL)
	fmt.Fprintln(stdout, link)
	return nil
}

func issueLoginLink(ctx context.Context, cfg *config, store *models.Store, act models.Actor, a *models.Admin) (string, error) {
	token, err := store.CreateLoginToken(ctx, act, a)
	if err != nil {
		return "", err
	}
	return cfg.baseURL.String() + "/login/link/" + token, nil
}
