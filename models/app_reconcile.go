package models

import (
	"context"
	"fmt"
	"time"
)

// MaxReconcileEveryMinutes bounds an app's reconciliation interval: a
// week.
const MaxReconcileEveryMinutes = 7 * 24 * 60

// ActionAppReconcileEvery records a change of how often an app is
// reconciled.
const ActionAppReconcileEvery = "app.reconcile_every_changed"

// ValidateReconcileEvery checks an interval an admin typed; "" when fine.
func ValidateReconcileEvery(minutes int) string {
	if minutes < 0 || minutes > MaxReconcileEveryMinutes {
		return fmt.Sprintf("Enter a number of minutes from 0 (only when asked) to %d (a week).", MaxReconcileEveryMinutes)
	}
	return ""
}

// SetAppReconcileEvery sets how often an app's accounts are listed,
// audited.
func (s *Store) SetAppReconcileEvery(ctx context.Context, actor Actor, appID int64, minutes int) error {
	if msg := ValidateReconcileEvery(minutes); msg != "" {
		return fmt.Errorf("store: reconcile interval of app %d: %s", appID, msg)
	}
	return s.setAppNumber(ctx, actor, appID, "reconcile_every_minutes", ActionAppReconcileEvery, minutes,
		func(a *App) (int, error) { return a.ReconcileEveryMinutes, nil })
}

// SetAppReconciled records how an app's last listing went: its summary
// line, or why it failed (errText; the summary of the last success is
// kept then).
func (s *Store) SetAppReconciled(ctx context.Context, appID int64, at time.Time, summary, errText string) error {
	fields := map[string]any{"reconciled_at": at.UTC(), "reconcile_error": errText}
	if errText == "" {
		fields["reconcile_summary"] = summary
	}
	if err := s.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).Updates(fields).Error; err != nil {
		return fmt.Errorf("store: app %d reconciled: %w", appID, translate(err))
	}
	return nil
}

// AppsDueForReconcile returns the apps of these kinds whose interval has
// passed since their last listing (or that never had one), by id.
func (s *Store) AppsDueForReconcile(ctx context.Context, kinds []AppKind, now time.Time) ([]App, error) {
	var apps []App
	if len(kinds) == 0 {
		return nil, nil
	}
	if err := s.db.WithContext(ctx).Where("kind IN ? AND reconcile_every_minutes > 0", kinds).Order("id").Find(&apps).Error; err != nil {
		return nil, fmt.Errorf("store: apps due for reconciliation: %w", translate(err))
	}
	out := apps[:0]
	for _, a := range apps {
		if a.ReconciledAt == nil || !now.Before(a.ReconciledAt.Add(time.Duration(a.ReconcileEveryMinutes)*time.Minute)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// ActionAppReconcileRequested records an admin's "Reconcile now".
const ActionAppReconcileRequested = "app.reconcile_requested"
