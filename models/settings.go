package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Setting keys.
const (
	// SettingOrgTimezone is the IANA time zone used for people without one.
	SettingOrgTimezone = "org_timezone"
	// SettingWelcomeAddress is which of a new hire's addresses gets the
	// welcome mail: WelcomeWork (the default) or WelcomePersonal. The
	// other one is used when the chosen one is empty.
	SettingWelcomeAddress = "welcome_address"
	// SettingAlertAddresses is a comma-separated list of addresses that
	// get an IT/security alert for every change carried out; empty (the
	// default) sends none.
	SettingAlertAddresses = "alert_addresses"
)

// Values of SettingWelcomeAddress.
const (
	WelcomeWork     = "work"
	WelcomePersonal = "personal"
)

// setting is one row of the settings table.
type setting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (setting) TableName() string { return "settings" }

// Setting returns a setting's value, or def when it is not set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var row setting
	err := s.db.WithContext(ctx).Where("key = ?", key).First(&row).Error
	if errors.Is(translate(err), ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, translate(err))
	}
	return row.Value, nil
}

// Settings returns the values of keys in one read, each set key's value
// or else the key's default in defaults.
func (s *Store) Settings(ctx context.Context, defaults map[string]string) (map[string]string, error) {
	keys := make([]string, 0, len(defaults))
	out := make(map[string]string, len(defaults))
	for k, def := range defaults {
		keys = append(keys, k)
		out[k] = def
	}
	var rows []setting
	if err := s.db.WithContext(ctx).Where("key IN ?", keys).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: settings: %w", translate(err))
	}
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// SetSetting stores a setting and audits the change.
func (s *Store) SetSetting(ctx context.Context, actor Actor, key, value string) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if err := tx.lockPlanningInputs(ctx, true); err != nil {
			return err
		}
		old, err := tx.Setting(ctx, key, "")
		if err != nil {
			return err
		}
		row := setting{Key: key, Value: value, UpdatedAt: time.Now().UTC()}
		err = tx.db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return fmt.Errorf("store: set %s: %w", key, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSettingChanged, SubjectType: "setting", SubjectLabel: key,
			Before: map[string]string{key: old}, After: map[string]string{key: value}})
	})
}
