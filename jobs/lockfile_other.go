//go:build !unix

package jobs

import (
	"fmt"
	"os"
)

// lockFile opens path (creating it). Where flock does not exist the file
// is opened exclusively by the operating system's own rules only: run one
// Roster process per SQLite database.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("jobs: instance lock: %w", err)
	}
	return f, nil
}
