package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
)

// accounts is `roster accounts import --app NAME FILE.csv`: an app's
// current accounts, matched to people and recorded as the upload on the
// app's Accounts tab does, then the people whose access changed planned
// (roster serve carries out what is approved). Invalid rows are listed by
// line and nothing changes. The last line is the summary:
// matched=N ambiguous=N not_in_hr=N terminated_active=N.
func accounts(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	const use = "accounts: usage: roster accounts import --app NAME FILE.csv"
	if len(args) == 0 || args[0] != "import" {
		return &usageError{use}
	}
	fs := flag.NewFlagSet("accounts import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	appName := fs.String("app", "", "app name")
	if err := fs.Parse(args[1:]); err != nil {
		return &usageError{"accounts import: " + err.Error()}
	}
	if strings.TrimSpace(*appName) == "" || fs.NArg() != 1 {
		return &usageError{use}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return &usageError{"accounts import: " + err.Error()}
	}
	defer f.Close()
	list, err := reconcile.ParseCSV(f)
	var fe *reconcile.FileError
	if errors.As(err, &fe) {
		for _, p := range fe.Problems {
			fmt.Fprintf(stderr, "%s: %s\n", path, p)
		}
		return fmt.Errorf("%s has %d problem(s); nothing was imported", path, len(fe.Problems))
	}
	if err != nil {
		return err
	}

	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := models.NewStore(db)
	app, err := store.AppByName(ctx, *appName)
	if errors.Is(err, models.ErrNotFound) {
		return &usageError{fmt.Sprintf("accounts import: there is no app named %q", *appName)}
	}
	if err != nil {
		return err
	}
	return recordAccounts(ctx, db, store, logger, app, list, stdout, stderr)
}

// recordAccounts applies an app's full list of accounts with
// reconcile.Reconciler, plans the people whose access changed, and
// prints the summary, its last line matched=N ambiguous=N not_in_hr=N
// terminated_active=N. roster accounts import and roster reconcile share
// it.
func recordAccounts(ctx context.Context, db *models.DB, store *models.Store, logger *slog.Logger, app *models.App,
	list []reconcile.Account, stdout, stderr io.Writer) error {
	client, closeJobs, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: logger, PlanOnly: true})
	if err != nil {
		return err
	}
	defer closeJobs()
	rec := &reconcile.Reconciler{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanAccounts}
	sum, err := rec.Apply(ctx, models.CLIActor, app, list, time.Now())
	if err != nil {
		return err
	}
	planned := 0
	if sum.PlanRunID != 0 {
		planned, err = workPlanning(ctx, client, func() (*models.PlanRun, error) { return store.PlanRunByID(ctx, sum.PlanRunID) })
		if err != nil {
			fmt.Fprintf(stderr, "%s; the rest is planned by roster serve\n", err)
		}
	}
	if len(sum.Unknown) > 0 {
		fmt.Fprintf(stdout, "Entitlements not in %s's catalogue (kept on the accounts, granting nothing): %s\n", app.Name, strings.Join(sum.Unknown, ", "))
	}
	fmt.Fprintf(stdout, "%s: %d accounts read, %d gone since the last reconciliation, %d people planned again.\n", app.Name, sum.Seen, sum.Gone, planned)
	fmt.Fprintln(stdout, sum.Line())
	return nil
}
