package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MatchKeys are the keys an app's accounts can be matched to people by
// (jobs/app/match), in the default order.
var MatchKeys = []string{"work_email", "personal_email", "phone", "employee_number"}

// ActionAppMatching records a change of an app's matching settings.
const ActionAppMatching = "app.matching_changed"

// Matching returns the app's match order and whether plus addressing is
// folded.
func (a *App) Matching() (order []string, plus bool) {
	if a.MatchOrder == "" {
		return slices.Clone(MatchKeys), a.MatchPlusAddressing
	}
	return strings.Split(a.MatchOrder, ","), a.MatchPlusAddressing
}

// ValidateMatchOrder checks an order an admin chose: one key at least,
// each a known key, none twice. It returns the problem in words, or "".
func ValidateMatchOrder(order []string) string {
	if len(order) == 0 {
		return "Choose at least one way to recognise people."
	}
	for i, k := range order {
		if !slices.Contains(MatchKeys, k) {
			return fmt.Sprintf("%q is not a key Roster matches by.", k)
		}
		if slices.Contains(order[:i], k) {
			return "Each key can be used once."
		}
	}
	return ""
}

// SetAppMatching stores how an app's accounts are matched, from the next
// reconciliation on, audited. An invalid order (ValidateMatchOrder) is
// refused and changes nothing.
func (s *Store) SetAppMatching(ctx context.Context, actor Actor, appID int64, order []string, plus bool) error {
	if msg := ValidateMatchOrder(order); msg != "" {
		return fmt.Errorf("store: matching of app %d: %s", appID, msg)
	}
	stored := strings.Join(order, ",")
	if stored == strings.Join(MatchKeys, ",") {
		stored = "" // the default, which follows it if it ever changes
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		if a.MatchOrder == stored && a.MatchPlusAddressing == plus {
			return nil
		}
		before, beforePlus := a.Matching()
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).Updates(map[string]any{
			"match_order": stored, "match_plus_addressing": plus, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: matching of app %d: %w", appID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppMatching, SubjectType: "app", SubjectID: appID, SubjectLabel: a.Name,
			Before: map[string]any{"order": before, "plus_addressing": beforePlus},
			After:  map[string]any{"order": order, "plus_addressing": plus}})
	})
}
