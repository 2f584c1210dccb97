package models

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster/rules"
)

// RuleCondition is one condition of a rule, as stored.
type RuleCondition struct {
	Attribute string `json:"attribute"`
	Operator  string `json:"operator"`
	Value     string `json:"value"`
}

// RuleGrant is one grant of a rule, as stored.
type RuleGrant struct {
	AppID         int64             `json:"app_id"`
	EntitlementID int64             `json:"entitlement_id"`
	Params        map[string]string `json:"params,omitempty"`
}

// Rule is a provisioning rule as stored. The rules package evaluates it;
// see rules.Rule for the meaning of each field.
type Rule struct {
	ID               int64
	Name             string
	Description      string
	Enabled          bool
	Priority         int
	Match            string
	Conditions       []RuleCondition `gorm:"serializer:json"`
	Grants           []RuleGrant     `gorm:"serializer:json"`
	JoinerOffsetDays int
	JoinerTime       string
	LeaverMode       string
	LeaverDays       int
	LeaverTime       string
	Approval         string
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// TableName implements gorm's Tabler.
func (Rule) TableName() string { return "rules" }

// Audit actions for rules.
const (
	ActionRuleCreated  = "rule.created"
	ActionRuleUpdated  = "rule.updated"
	ActionRuleEnabled  = "rule.enabled"
	ActionRuleDisabled = "rule.disabled"
	ActionRuleDeleted  = "rule.deleted"
)

// fillDefaults spells out the defaults the engine assumes for empty
// fields, so the stored rule says what it does.
func (r *Rule) fillDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&r.Match, "all")
	def(&r.LeaverMode, "at_date")
	def(&r.Approval, "review")
	def(&r.JoinerTime, "09:00")
	def(&r.LeaverTime, "17:00")
}

// ListRules returns every rule, highest priority first.
func (s *Store) ListRules(ctx context.Context) ([]Rule, error) {
	var out []Rule
	if err := s.db.WithContext(ctx).Order("priority DESC, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list rules: %w", translate(err))
	}
	return out, nil
}

// RuleByID returns one rule.
func (s *Store) RuleByID(ctx context.Context, id int64) (*Rule, error) {
	var r Rule
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, fmt.Errorf("store: rule %d: %w", id, translate(err))
	}
	return &r, nil
}

// checkNumbers refuses the numbers the engine's bounds rule out, so no
// caller can overflow the integer columns or plan dates centuries away.
func (r *Rule) checkNumbers() error {
	switch {
	case r.Priority < -rules.MaxPriority || r.Priority > rules.MaxPriority:
		return fmt.Errorf("priority %d is not within ±%d", r.Priority, rules.MaxPriority)
	case r.JoinerOffsetDays < -rules.MaxTimingDays || r.JoinerOffsetDays > rules.MaxTimingDays:
		return fmt.Errorf("joiner offset %d is not within ±%d days", r.JoinerOffsetDays, rules.MaxTimingDays)
	case r.LeaverDays < 0 || r.LeaverDays > rules.MaxTimingDays:
		return fmt.Errorf("leaver days %d are not from 0 to %d", r.LeaverDays, rules.MaxTimingDays)
	}
	return nil
}

// SaveRule creates a rule (ID 0) or replaces one, bumping its version.
// The caller has validated it; numbers out of bounds are refused here
// too. A name in use is ErrConflict.
func (s *Store) SaveRule(ctx context.Context, actor Actor, r *Rule) error {
	if err := r.checkNumbers(); err != nil {
		return fmt.Errorf("store: save rule %q: %w", r.Name, err)
	}
	r.fillDefaults()
	if r.Conditions == nil {
		r.Conditions = []RuleCondition{}
	}
	if r.Grants == nil {
		r.Grants = []RuleGrant{}
	}
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.lockPlanningInputs(ctx, true); err != nil {
			return err
		}
		now := time.Now().UTC()
		if r.ID == 0 {
			r.Version, r.CreatedAt, r.UpdatedAt = 1, now, now
			if err := tx.db.WithContext(ctx).Create(r).Error; err != nil {
				return fmt.Errorf("store: create rule %q: %w", r.Name, translate(err))
			}
			return tx.Audit(ctx, actor, AuditEntry{Action: ActionRuleCreated, SubjectType: "rule", SubjectID: r.ID, SubjectLabel: r.Name, After: r})
		}
		before, err := tx.RuleByID(ctx, r.ID)
		if err != nil {
			return err
		}
		r.Version, r.CreatedAt, r.UpdatedAt = before.Version+1, before.CreatedAt, now
		if err := tx.db.WithContext(ctx).Save(r).Error; err != nil {
			return fmt.Errorf("store: update rule %d: %w", r.ID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionRuleUpdated, SubjectType: "rule", SubjectID: r.ID, SubjectLabel: r.Name, Before: before, After: r})
	})
}

// SetRuleEnabled enables or disables a rule.
func (s *Store) SetRuleEnabled(ctx context.Context, actor Actor, id int64, enabled bool) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.lockPlanningInputs(ctx, true); err != nil {
			return err
		}
		r, err := tx.RuleByID(ctx, id)
		if err != nil || r.Enabled == enabled {
			return err
		}
		err = tx.db.WithContext(ctx).Model(&Rule{}).Where("id = ?", id).
			Updates(map[string]any{"enabled": enabled, "version": r.Version + 1, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: enable rule %d: %w", id, translate(err))
		}
		action := ActionRuleDisabled
		if enabled {
			action = ActionRuleEnabled
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: action, SubjectType: "rule", SubjectID: id, SubjectLabel: r.Name,
			Before: map[string]bool{"enabled": r.Enabled}, After: map[string]bool{"enabled": enabled}})
	})
}

// DeleteRule removes a rule. Grants it made stay, unattributed, until the
// planner revokes them.
func (s *Store) DeleteRule(ctx context.Context, actor Actor, id int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.lockPlanningInputs(ctx, true); err != nil {
			return err
		}
		r, err := tx.RuleByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.db.WithContext(ctx).Delete(&Rule{}, id).Error; err != nil {
			return fmt.Errorf("store: delete rule %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionRuleDeleted, SubjectType: "rule", SubjectID: id, SubjectLabel: r.Name, Before: r})
	})
}
