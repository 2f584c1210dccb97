package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SampleReceiverCall is one call the built-in sample receiver got, by
// idempotency key; Duplicates counts the repeats of the same key.
type SampleReceiverCall struct {
	ID             int64
	IdempotencyKey string
	Op             string
	Person         string
	Entitlement    string
	Duplicates     int
	ReceivedAt     time.Time
	LastAt         time.Time
}

// TableName implements gorm's Tabler.
func (SampleReceiverCall) TableName() string { return "sample_receiver_calls" }

// RecordSampleCall stores a call the sample receiver accepted; a key seen
// before only bumps its duplicate count and duplicate is true.
func (s *Store) RecordSampleCall(ctx context.Context, c SampleReceiverCall, at time.Time) (duplicate bool, err error) {
	c.ID, c.Duplicates, c.ReceivedAt, c.LastAt = 0, 0, at.UTC(), at.UTC()
	err = s.db.WithContext(ctx).Create(&c).Error
	if err == nil {
		return false, nil
	}
	if !errors.Is(translate(err), ErrConflict) {
		return false, fmt.Errorf("store: record sample call: %w", translate(err))
	}
	err = s.db.WithContext(ctx).Model(&SampleReceiverCall{}).Where("idempotency_key = ?", c.IdempotencyKey).
		Updates(map[string]any{"duplicates": gorm.Expr("duplicates + 1"), "last_at": at.UTC()}).Error
	if err != nil {
		return true, fmt.Errorf("store: record sample call: %w", translate(err))
	}
	return true, nil
}

// ListSampleCalls returns the sample receiver's calls, newest first, at
// most limit.
func (s *Store) ListSampleCalls(ctx context.Context, limit int) ([]SampleReceiverCall, error) {
	var out []SampleReceiverCall
	if err := s.db.WithContext(ctx).Order("received_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list sample calls: %w", translate(err))
	}
	return out, nil
}

// SampleTaskAssignee picks who the sample Laptop app's tasks go to: the
// acting admin when they can take tasks (the dashboard button), else the
// first active owner, else the first active admin or approver (the
// command line). Nil when nobody can.
func (s *Store) SampleTaskAssignee(ctx context.Context, actor Actor) (*Admin, error) {
	if actor.AdminID != 0 {
		a, err := s.AdminByID(ctx, actor.AdminID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err == nil && a.CanTakeTasks() {
			return a, nil
		}
	}
	var a Admin
	err := s.db.WithContext(ctx).Where("disabled_at IS NULL AND role IN ?", []Role{RoleOwner, RoleAdmin, RoleApprover}).
		Order("CASE role WHEN 'owner' THEN 1 WHEN 'admin' THEN 2 ELSE 3 END, id").First(&a).Error
	if errors.Is(translate(err), ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: sample task assignee: %w", translate(err))
	}
	return &a, nil
}
