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

// SetAppConcurrency sets how many of an app's actions one Roster process
// runs at once, and audits the change. Manual apps make no calls.
func (s *Store) SetAppConcurrency(ctx context.Context, actor Actor, appID int64, n int) error {
	if msg := ValidateConcurrency(n); msg != "" {
		return fmt.Errorf("store: concurrency of app %d: %s", appID, msg)
	}
	return s.setAppNumber(ctx, actor, appID, "max_concurrency", ActionAppConcurrency, n, func(a *App) (int, error) {
		if a.Kind == AppManual { // whether a kind calls its app is its connector's to say; the page asks it
			return 0, fmt.Errorf("store: app %d is a %s app, it makes no calls: %w", appID, a.Kind, ErrNotFound)
		}
		return a.MaxConcurrency, nil
	})
}

// setAppNumber sets one of an app's numeric settings, its column, to n
// and audits the change as action with the column's old and new values;
// an unchanged value writes nothing. current reads the value from the app,
// or refuses the app.
func (s *Store) setAppNumber(ctx context.Context, actor Actor, appID int64, column, action string, n int,
	current func(*App) (int, error)) error {
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		old, err := current(a)
		if err != nil || old == n {
			return err
		}
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).
			Updates(map[string]any{column: n, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: %s of app %d: %w", column, appID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: action, SubjectType: "app", SubjectID: appID, SubjectLabel: a.Name,
			Before: map[string]any{column: old}, After: map[string]any{column: n}})
	})
}
