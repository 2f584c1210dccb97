package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/rosterhq/roster/models"
)

// importFile is `roster import --source NAME FILE.csv`: the same code
// path as an upload confirmed in the UI, run synchronously. Invalid rows
// are listed by line and nothing changes.
func importFile(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sourceName := fs.String("source", "", "CSV source name")
	if err := fs.Parse(args); err != nil {
		return &usageError{"import: " + err.Error()}
	}
	if *sourceName == "" || fs.NArg() != 1 {
		return &usageError{"import: usage: roster import --source NAME FILE.csv"}
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
	_, imports := services(store)
	run, out, err := imports.ImportCSV(ctx, models.CLIActor, src, filepath.Base(path), f)
	if err != nil {
		return err
	}
	if len(out.RowErrors) > 0 {
		for _, e := range out.RowErrors {
			fmt.Fprintf(stderr, "%s: %s\n", path, e)
		}
		return fmt.Errorf("%s has %d invalid rows; nothing was imported", path, len(out.RowErrors))
	}
	if out.Held {
		fmt.Fprintf(stdout, "Held by the safety brake: %s. Confirm or discard run %d on the source's page.\n", out.HeldReason, run.ID)
	}
	fmt.Fprintln(stdout, out.Summary())
	return nil
}
