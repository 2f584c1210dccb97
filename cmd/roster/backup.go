package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/rosterhq/roster/models"
)

// backup is `roster backup FILE`: a consistent copy of the SQLite
// database, taken with VACUUM INTO, so it is safe while roster serve runs
// (it takes a read snapshot and does not need serve's lock). FILE must not
// exist; it is created readable by its owner only, like the database.
// PostgreSQL is backed up with pg_dump (README, Backups). The last line is
// backup=FILE bytes=N.
func backup(ctx context.Context, cfg *config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return &usageError{"backup: usage: roster backup FILE"}
	}
	if cfg.dialect != models.SQLite {
		return &usageError{"backup: roster backup copies SQLite databases; back up PostgreSQL with " +
			"pg_dump --format=custom (see Backups in the README), and keep ROSTER_SECRET_KEY with it"}
	}
	dbPath := models.SQLitePath(cfg.DatabaseURL)
	if _, err := os.Stat(dbPath); err != nil {
		return &usageError{fmt.Sprintf("backup: no database at %s (ROSTER_DATABASE_URL)", dbPath)}
	}
	target := args[0]
	// O_EXCL both refuses an existing FILE and makes it private; VACUUM
	// INTO accepts an empty file.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return &usageError{fmt.Sprintf("backup: %s already exists; choose a new file", target)}
	}
	if err != nil {
		return &usageError{"backup: " + err.Error()}
	}
	if err := f.Close(); err != nil {
		return err
	}
	size, err := vacuumInto(ctx, cfg.DatabaseURL, target)
	if err != nil {
		os.Remove(target)
		return fmt.Errorf("backup %s to %s: %w", dbPath, target, err)
	}
	logger.Info("database backed up", "database", dbPath, "backup", target, "bytes", size)
	fmt.Fprintf(stdout, "Backed up %s to %s.\n", dbPath, target)
	fmt.Fprintln(stdout, keyAdvice(cfg, dbPath))
	fmt.Fprintf(stdout, "backup=%s bytes=%d\n", target, size)
	return nil
}

// vacuumInto writes a consistent copy of the open SQLite database to the
// empty file target and returns its size. It opens the database without
// migrating it: the backup is of the database as it is.
func vacuumInto(ctx context.Context, databaseURL, target string) (int64, error) {
	db, err := models.Open(ctx, databaseURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	// The file name is a bound parameter: VACUUM INTO takes any string
	// expression, so no quoting of the path is needed.
	if _, err := db.SQL.ExecContext(ctx, "VACUUM INTO ?", target); err != nil {
		return 0, err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// keyAdvice says where the secret key is: the backup is useless without
// it.
func keyAdvice(cfg *config, dbPath string) string {
	const why = "without it encrypted app settings cannot be read"
	if cfg.SecretKey != "" {
		return "The secret key is ROSTER_SECRET_KEY: keep it with the backup; " + why + "."
	}
	keyFile := dbPath + ".key"
	if abs, err := filepath.Abs(keyFile); err == nil {
		keyFile = abs
	}
	if _, err := os.Stat(keyFile); err != nil {
		return "No secret key file at " + keyFile + " yet (Roster creates it when it first starts); " +
			"once it exists, back it up with the database: " + why + "."
	}
	return "Back up the key file " + keyFile + " separately; " + why + "."
}
