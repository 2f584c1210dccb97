//go:build unix

package jobs

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile opens path (creating it) and takes an exclusive lock on it
// without waiting. The lock lasts until the file is closed or the process
// ends, however it ends.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("jobs: instance lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked)", errDatabaseInUse, path)
		}
		return nil, fmt.Errorf("jobs: instance lock %s: %w", path, err)
	}
	return f, nil
}
