package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// EmailStatus is where a message in the outbox is.
type EmailStatus string

// Email statuses.
const (
	// EmailPending waits to be sent: no SMTP server is configured yet, or
	// its job has not run or is retrying after a temporary failure.
	EmailPending EmailStatus = "pending"
	EmailSent    EmailStatus = "sent"
	// EmailFailed was refused for good (a 5xx to its recipients or its
	// content); it is not tried again.
	EmailFailed EmailStatus = "failed"
)

// Email is one message in the outbox. It is written before anything is
// sent, in the transaction of whatever caused it, so a restart loses
// nothing: a job sends it, or it stays pending for the Outbox page.
type Email struct {
	ID int64
	// Kind says what the mail is for, e.g. welcome, alert or digest.
	Kind string
	// To holds the recipients, each "addr" or "Name <addr>".
	To       []string `gorm:"column:to_addrs;serializer:json"`
	Subject  string
	TextBody string
	HTMLBody string `gorm:"column:html_body"`
	Status   EmailStatus
	Attempts int
	// LastError is the latest failure, temporary or permanent.
	LastError string
	// DedupeKey, when set, makes queueing the same mail twice a no-op,
	// e.g. "digest:admin:12:2026-11-25".
	DedupeKey *string
	CreatedAt time.Time
	SentAt    *time.Time
}

// TableName implements gorm's Tabler.
func (Email) TableName() string { return "emails" }

// SendFunc inserts the job that sends an email, in the transaction that
// queues it. A nil SendFunc inserts none: the email stays pending.
type SendFunc func(tx *Store, e *Email) error

// validate refuses an email that could never be sent.
func (e *Email) validate() error {
	var errs []string
	if strings.TrimSpace(e.Kind) == "" {
		errs = append(errs, "no kind")
	}
	if len(e.To) == 0 {
		errs = append(errs, "no recipient")
	}
	if strings.TrimSpace(e.Subject) == "" {
		errs = append(errs, "no subject")
	}
	if e.TextBody == "" && e.HTMLBody == "" {
		errs = append(errs, "no body")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, ", "))
	}
	return nil
}

// QueueEmail writes e to the outbox as pending and calls send in the same
// transaction to insert its job, so the email and its job commit or roll
// back together. When e.DedupeKey is already in the outbox nothing is
// written, send is not called and queued is false.
func (s *Store) QueueEmail(ctx context.Context, e *Email, send SendFunc) (queued bool, err error) {
	if err := e.validate(); err != nil {
		return false, fmt.Errorf("store: queue %s email: %w", e.Kind, err)
	}
	if e.DedupeKey != nil && *e.DedupeKey == "" {
		e.DedupeKey = nil
	}
	err = s.WithTx(ctx, func(tx *Store) error {
		e.pending(time.Now())
		res := tx.db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true,
		}).Create(e)
		if res.Error != nil {
			return fmt.Errorf("store: queue %s email: %w", e.Kind, translate(res.Error))
		}
		if res.RowsAffected == 0 {
			e.ID = 0
			return nil
		}
		queued = true
		if send != nil {
			return send(tx, e)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return queued, nil
}

// pending readies e to be inserted as a new outbox mail, created now
// unless it says when.
func (e *Email) pending(now time.Time) {
	e.ID, e.Status, e.Attempts, e.LastError, e.SentAt = 0, EmailPending, 0, "", nil
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	e.CreatedAt = e.CreatedAt.UTC()
}

// QueueEmails is QueueEmail for many mails in one transaction and a
// fixed number of statements (the mail of a batch of completed changes):
// each must have a dedupe key, and those whose key is already in the
// outbox are skipped. send, when set, runs once for the mails queued. It
// returns the mails it queued.
func (s *Store) QueueEmails(ctx context.Context, es []*Email, send func(tx *Store, queued []*Email) error) ([]*Email, error) {
	keys := make([]string, 0, len(es))
	for _, e := range es {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("store: queue %s email: %w", e.Kind, err)
		}
		if e.DedupeKey == nil || *e.DedupeKey == "" {
			return nil, fmt.Errorf("store: queue %s email: a batch of mail needs a dedupe key for each", e.Kind)
		}
		keys = append(keys, *e.DedupeKey)
	}
	var queued []*Email
	err := s.WithTx(ctx, func(tx *Store) error {
		queued = nil
		db := tx.db.WithContext(ctx)
		seen := make(map[string]bool, len(keys))
		for chunk := range slices.Chunk(keys, 1000) {
			var found []string
			if err := db.Model(&Email{}).Where("dedupe_key IN ?", chunk).Pluck("dedupe_key", &found).Error; err != nil {
				return fmt.Errorf("store: queue email: %w", translate(err))
			}
			for _, k := range found {
				seen[k] = true
			}
		}
		now := time.Now().UTC()
		for _, e := range es {
			if seen[*e.DedupeKey] {
				continue
			}
			seen[*e.DedupeKey] = true
			e.pending(now)
			queued = append(queued, e)
		}
		if len(queued) == 0 {
			return nil
		}
		// Read and write share the transaction; a mail another one queued
		// meanwhile makes this insert fail and the batch roll back.
		if err := db.CreateInBatches(queued, 100).Error; err != nil {
			return fmt.Errorf("store: queue %d emails: %w", len(queued), translate(err))
		}
		if send != nil {
			return send(tx, queued)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queued, nil
}

// EmailByID returns one email.
func (s *Store) EmailByID(ctx context.Context, id int64) (*Email, error) {
	var e Email
	if err := s.db.WithContext(ctx).First(&e, id).Error; err != nil {
		return nil, fmt.Errorf("store: email %d: %w", id, translate(err))
	}
	return &e, nil
}

// ListEmails returns the outbox newest first, limit at a time: emails of
// this status ("" for all) with an ID below beforeID (0 for the newest).
// more says whether older ones follow.
func (s *Store) ListEmails(ctx context.Context, status EmailStatus, beforeID int64, limit int) (emails []Email, more bool, err error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	q := s.db.WithContext(ctx).Model(&Email{})
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	if err := q.Order("id DESC").Limit(limit + 1).Find(&emails).Error; err != nil {
		return nil, false, fmt.Errorf("store: list emails: %w", translate(err))
	}
	if len(emails) > limit {
		return emails[:limit], true, nil
	}
	return emails, false, nil
}

// PendingEmailIDs returns up to limit pending emails, oldest first.
func (s *Store) PendingEmailIDs(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Email{}).Where("status = ?", EmailPending).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: pending emails: %w", translate(err))
	}
	return ids, nil
}

// MarkEmailSent records that the server accepted the email.
func (s *Store) MarkEmailSent(ctx context.Context, id int64, now time.Time) error {
	return s.updateEmail(ctx, id, map[string]any{
		"status": EmailSent, "sent_at": now.UTC(), "attempts": attemptsPlusOne(), "last_error": "",
	})
}

// RecordEmailFailure counts a failed attempt. A permanent failure marks
// the email failed; a temporary one leaves it pending for the next try.
func (s *Store) RecordEmailFailure(ctx context.Context, id int64, errText string, permanent bool) error {
	fields := map[string]any{"attempts": attemptsPlusOne(), "last_error": errText}
	if permanent {
		fields["status"] = EmailFailed
	}
	return s.updateEmail(ctx, id, fields)
}

func attemptsPlusOne() clause.Expr { return clause.Expr{SQL: "attempts + 1"} }

func (s *Store) updateEmail(ctx context.Context, id int64, fields map[string]any) error {
	res := s.db.WithContext(ctx).Model(&Email{}).Where("id = ?", id).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("store: update email %d: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update email %d: %w", id, ErrNotFound)
	}
	return nil
}
