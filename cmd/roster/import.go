package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
)

// importFile is `roster import --source NAME FILE.csv`: the same code
// path as an upload confirmed in the UI, run synchronously, including the
// planning of the people it touched (changes auto-approve rules decide are
// approved, their actions left for roster serve). Invalid rows are listed
// by line and nothing changes. The last line is the summary, with
// planned=N people.
func importFile(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sourceName := fs.String("source", "", "CSV source name")
	baseline := fs.String("baseline", "auto", "auto, on or off")
	if err := fs.Parse(args); err != nil {
		return &usageError{"import: " + err.Error()}
	}
	if *sourceName == "" || fs.NArg() != 1 {
		return &usageError{"import: usage: roster import --source NAME [--baseline auto|on|off] FILE.csv"}
	}
	var opts []hrsync.Option
	switch *baseline {
	case "auto": // a new source's first file is a baseline
	case "on", "off":
		opts = append(opts, hrsync.Baseline(*baseline == "on"))
	default:
		return &usageError{"import: --baseline is auto, on or off"}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return &usageError{"import: " + err.Error()}
	}
	defer f.Close()

	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := models.NewStore(db)
	src, err := store.EnsureCSVSource(ctx, models.CLIActor, *sourceName)
	if err != nil {
		return err
	}
	// The run's people are planned by the same jobs as in `roster serve`,
	// committed with the run; this process then works the planning queue
	// until they are done (a server running meanwhile may take some).
	client, closeJobs, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: logger, PlanOnly: true})
	if err != nil {
		return err
	}
	defer closeJobs()
	_, imports := services(store, logger)
	run, out, err := imports.ImportCSV(ctx, models.CLIActor, src, filepath.Base(path), f, opts...)
	if err != nil {
		return err
	}
	if len(out.RowErrors) > 0 {
		for _, e := range out.RowErrors {
			fmt.Fprintf(stderr, "%s: %s\n", path, e)
		}
		return fmt.Errorf("%s has %d invalid rows; nothing was imported", path, len(out.RowErrors))
	}
	planned, planErr := 0, error(nil)
	if out.Applied {
		if planned, planErr = planRun(ctx, client, store, run.ID); planErr != nil {
			fmt.Fprintf(stderr, "%s; the rest is planned by roster serve\n", planErr)
		}
	}
	if out.Held {
		fmt.Fprintf(stdout, "Held by the safety brake: %s. Confirm or discard run %d on the source's page.\n", out.HeldReason, run.ID)
	}
	fmt.Fprintf(stdout, "%s planned=%d\n", out.Summary(), planned)
	return nil
}

// planRun works the planning queue until a sync run's people are planned,
// then stops the client (and its logging) before the caller writes its
// output.
func planRun(ctx context.Context, client *jobs.Client, store *models.Store, syncRunID int64) (int, error) {
	return workPlanning(ctx, client, func() (*models.PlanRun, error) { return store.LatestPlanRun(ctx, false, syncRunID) })
}

// workPlanning starts the client, waits for the plan run find returns to
// end (none: nothing to wait for) and stops the client again.
func workPlanning(ctx context.Context, client *jobs.Client, find func() (*models.PlanRun, error)) (int, error) {
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return 0, fmt.Errorf("start planning: %w", err)
	}
	planned, err := waitPlanned(ctx, find, planWait)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = client.Stop(stopCtx)
	return planned, err
}

// planWait bounds how long `roster import` waits for its run's planning.
const planWait = 10 * time.Minute

// waitPlanned waits for a plan run and returns how many people it
// planned. No run (a sync run that touched nobody) is nothing to wait for.
func waitPlanned(ctx context.Context, find func() (*models.PlanRun, error), limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		pr, err := find()
		if errors.Is(err, models.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		switch {
		case pr.Status == models.PlanFailed:
			return pr.Done, fmt.Errorf("planning %d of %d people failed: %s", pr.Total-pr.Done, pr.Total, pr.Error)
		case !pr.Open():
			return pr.Done, nil
		case time.Now().After(deadline):
			return pr.Done, fmt.Errorf("%d of %d people planned after %s", pr.Done, pr.Total, limit)
		}
		select {
		case <-ctx.Done():
			return pr.Done, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
