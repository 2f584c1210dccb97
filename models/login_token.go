package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// LoginLinkTTL is how long a one-time sign-in link stays valid.
const LoginLinkTTL = 15 * time.Minute

// ErrLinkInvalid is any unusable sign-in link: unknown, used or expired.
// The three are not told apart to the person holding the link.
var ErrLinkInvalid = errors.New("this sign-in link is invalid, expired or already used")

// LoginToken is a one-time sign-in link. Only the SHA-256 of the token is
// stored; the token itself exists only in the link that was handed out.
type LoginToken struct {
	ID        int64
	AdminID   int64
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// TableName implements gorm's Tabler.
func (LoginToken) TableName() string { return "login_tokens" }

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateLoginToken issues a one-time sign-in token for an admin and
// returns it; it is valid for LoginLinkTTL and can be used once.
func (s *Store) CreateLoginToken(ctx context.Context, actor Actor, a *Admin) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now().UTC()
	lt := LoginToken{AdminID: a.ID, TokenHash: hashToken(token), ExpiresAt: now.Add(LoginLinkTTL), CreatedAt: now}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(&lt).Error; err != nil {
			return fmt.Errorf("store: create login token: %w", translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{
			Action: ActionLoginLinkIssued, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
			After: map[string]any{"expires_at": lt.ExpiresAt},
		})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// PeekLoginToken returns the admin a token would sign in, without using
// it, so the link page can say who is about to sign in.
func (s *Store) PeekLoginToken(ctx context.Context, token string) (*Admin, error) {
	var lt LoginToken
	if err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).First(&lt).Error; err != nil {
		return nil, ErrLinkInvalid
	}
	if lt.UsedAt != nil || !time.Now().Before(lt.ExpiresAt) {
		return nil, ErrLinkInvalid
	}
	return s.AdminByID(ctx, lt.AdminID)
}

// UseLoginToken consumes a token and returns its admin. A token works
// once: the conditional update makes two concurrent uses yield one
// success.
func (s *Store) UseLoginToken(ctx context.Context, token string) (*Admin, error) {
	var admin *Admin
	err := s.WithTx(ctx, func(tx *Store) error {
		var lt LoginToken
		if err := tx.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).First(&lt).Error; err != nil {
			if errors.Is(translate(err), ErrNotFound) {
				return ErrLinkInvalid
			}
			return fmt.Errorf("store: login token: %w", translate(err))
		}
		now := time.Now().UTC()
		if lt.UsedAt != nil || !now.Before(lt.ExpiresAt) {
			return ErrLinkInvalid
		}
		res := tx.db.WithContext(ctx).Model(&LoginToken{}).
			Where("id = ? AND used_at IS NULL", lt.ID).Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("store: use login token: %w", translate(res.Error))
		}
		if res.RowsAffected != 1 {
			return ErrLinkInvalid
		}
		a, err := tx.AdminByID(ctx, lt.AdminID)
		if err != nil {
			return err
		}
		admin = a
		return nil
	})
	return admin, err
}

// PurgeLoginTokens deletes tokens that expired before cutoff and returns
// how many it deleted.
func (s *Store) PurgeLoginTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", cutoff.UTC()).Delete(&LoginToken{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: purge login tokens: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
