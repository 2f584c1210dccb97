package models

import (
	"context"
	"fmt"
	"time"
)

// ActionAppConcurrency records a change to how many of an app's actions
// run at once.
const ActionAppConcurrency = "app.concurrency_updated"

// MaxAppConcurrency is the most calls at once an app may be allowed.
const MaxAppConcurrency = 64

// ValidateConcurrency returns the message for an invalid limit, or "".
func ValidateConcurrency(n int) string {
	if n < 1 || n > MaxAppConcurrency {
		return fmt.Sprintf("Choose a number from 1 to %d.", MaxAppConcurrency)
	}
	return ""
}

// SetAppConcurrency sets how many of a webhook app's actions one Roster
// process runs at once, and audits the change.
func (s *Store) SetAppConcurrency(ctx context.Context, actor Actor, appID int64, n int) error {
	if msg := ValidateConcurrency(n); msg != "" {
		return fmt.Errorf("store: concurrency of app %d: %s", appID, msg)
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		if a.Kind == AppManual { // whether a kind calls its app is its connector's to say; the page asks it
			return fmt.Errorf("store: app %d is a %s app, it makes no calls: %w", appID, a.Kind, ErrNotFound)
		}
		if a.MaxConcurrency == n {
			return nil
		}
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).
			Updates(map[string]any{"max_concurrency": n, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: concurrency of app %d: %w", appID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppConcurrency, SubjectType: "app", SubjectID: appID,
			SubjectLabel: a.Name, Before: map[string]any{"max_concurrency": a.MaxConcurrency},
			After: map[string]any{"max_concurrency": n}})
	})
}
