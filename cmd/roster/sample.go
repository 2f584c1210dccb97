package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/sample"
	"github.com/rosterhq/roster/models"
)

// sampleData is `roster sample-data`: what the dashboard's "Load sample
// data" button does, from a shell. It refuses once Roster has people or
// sources.
func sampleData(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("sample-data takes no arguments (got %q)", args[0])}
	}
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	sealer, err := models.NewSealer(cfg.secretKey)
	if err != nil {
		return err
	}
	store := models.NewStore(db)
	// Jobs are only queued here (the sample's import queues its people's
	// planning, which Load does at once anyway); roster serve runs them.
	_, closeJobs, err := jobs.NewClient(ctx, db, store, jobs.Options{Logger: logger, PlanOnly: true})
	if err != nil {
		return err
	}
	defer closeJobs()
	plan, imports := services(store, logger)
	sum, err := sample.Load(ctx, sample.Deps{Store: store, Sealer: sealer, Importer: imports, PlanEveryone: plan.PlanEveryone},
		cfg.baseURL.String(), models.CLIActor)
	if errors.Is(err, sample.ErrNotEmpty) {
		return fmt.Errorf("sample-data: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum)
	return nil
}
