package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/kinds"
	"github.com/rosterhq/roster/models"
)

// reconcileApp is `roster reconcile --app NAME`: the app's accounts read
// from the app through its connector (opened as roster serve opens it,
// through the same outbound policy), then matched, recorded and planned
// as `roster accounts import` does. Kinds that cannot list accounts are
// refused. The last line is matched=N ambiguous=N not_in_hr=N
// terminated_active=N.
func reconcileApp(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	const use = "reconcile: usage: roster reconcile --app NAME"
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	appName := fs.String("app", "", "app name")
	if err := fs.Parse(args); err != nil {
		return &usageError{"reconcile: " + err.Error()}
	}
	if strings.TrimSpace(*appName) == "" || fs.NArg() != 0 {
		return &usageError{use}
	}
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := models.NewStore(db)
	app, err := store.AppByName(ctx, *appName)
	if errors.Is(err, models.ErrNotFound) {
		return &usageError{fmt.Sprintf("reconcile: there is no app named %q", *appName)}
	}
	if err != nil {
		return err
	}
	kind, ok := kinds.All().Lookup(app.Kind)
	if !ok || !kind.ListsAccounts {
		return &usageError{fmt.Sprintf("reconcile: %s is a %s app, which cannot list its accounts; import them with roster accounts import --app %q FILE.csv", app.Name, app.Kind, app.Name)}
	}
	sealer, err := models.NewSealer(cfg.secretKey)
	if err != nil {
		return err
	}
	env := jobs.ConnectorEnv(store, jobs.Options{Logger: logger, Sealer: sealer, Outbound: cfg.outbound(ctx)})
	list, err := jobs.ListAppAccounts(ctx, kinds.All(), env, app)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	return recordAccounts(ctx, db, store, logger, app, list, stdout, stderr)
}
