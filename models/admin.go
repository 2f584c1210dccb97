package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Role is what an admin may do. Roles are ordered: each includes the
// rights of the ones below it (owner > admin > approver > viewer).
type Role string

// Roles, highest first.
const (
	RoleOwner    Role = "owner"    // manages admins
	RoleAdmin    Role = "admin"    // manages sources, apps, rules, settings
	RoleApprover Role = "approver" // decides Team Updates
	RoleViewer   Role = "viewer"   // reads everything, changes nothing
)

// Roles lists every role, highest first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleApprover, RoleViewer}

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleApprover:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes the rights of min.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: use owner, admin, approver or viewer", s)
	}
	return r, nil
}

// Errors specific to admins.
var (
	// ErrLastOwner refuses a change that would leave no active owner.
	ErrLastOwner = errors.New("the last active owner cannot be removed, demoted or disabled")
	// ErrDisableSelf refuses an admin disabling themselves: another owner
	// must do it, so nobody locks themselves out by mistake.
	ErrDisableSelf = errors.New("you cannot disable yourself; ask another owner")
	// ErrIdentityMismatch refuses a sign-in whose OIDC subject differs from
	// the one this admin first signed in with (a recycled or spoofed email).
	ErrIdentityMismatch = errors.New("this email is bound to a different SSO identity")
)

// Admin is an operator of Roster.
type Admin struct {
	ID          int64
	Email       string
	Name        string
	Role        Role
	DisabledAt  *time.Time
	OIDCIssuer  *string `gorm:"column:oidc_issuer"`
	OIDCSubject *string `gorm:"column:oidc_subject"`
	LastLoginAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName implements gorm's Tabler.
func (Admin) TableName() string { return "admins" }

// Active reports whether the admin may sign in.
func (a *Admin) Active() bool { return a.DisabledAt == nil }

// Label is how the admin is shown in lists and the audit trail.
func (a *Admin) Label() string {
	if a.Name != "" {
		return a.Name + " <" + a.Email + ">"
	}
	return a.Email
}

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return "", fmt.Errorf("%q is not a valid email address", s)
	}
	return s, nil
}

// AdminByID returns the admin with the given ID.
func (s *Store) AdminByID(ctx context.Context, id int64) (*Admin, error) {
	var a Admin
	if err := s.db.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: admin %d: %w", id, translate(err))
	}
	return &a, nil
}

// AdminByEmail returns the admin with the given email address.
func (s *Store) AdminByEmail(ctx context.Context, email string) (*Admin, error) {
	var a Admin
	err := s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&a).Error
	if err != nil {
		return nil, fmt.Errorf("store: admin %q: %w", email, translate(err))
	}
	return &a, nil
}

// ListAdmins returns every admin, owners first, then by email.
func (s *Store) ListAdmins(ctx context.Context) ([]Admin, error) {
	var admins []Admin
	err := s.db.WithContext(ctx).
		Order("CASE role WHEN 'owner' THEN 1 WHEN 'admin' THEN 2 WHEN 'approver' THEN 3 ELSE 4 END, email").
		Find(&admins).Error
	if err != nil {
		return nil, fmt.Errorf("store: list admins: %w", translate(err))
	}
	return admins, nil
}

// CountAdmins returns how many admins exist, active or not.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Admin{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count admins: %w", translate(err))
	}
	return n, nil
}

// CreateAdmin adds an admin. An email already present is ErrConflict.
func (s *Store) CreateAdmin(ctx context.Context, actor Actor, email, name string, role Role) (*Admin, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, fmt.Errorf("unknown role %q", role)
	}
	a := &Admin{Email: email, Name: strings.TrimSpace(name), Role: role}
	err = s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(a).Error; err != nil {
			return fmt.Errorf("store: create admin %q: %w", email, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{
			Action: ActionAdminInvited, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
			After: map[string]any{"email": a.Email, "name": a.Name, "role": a.Role},
		})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// EnsureAdmin returns the admin with this email, creating it with role if
// missing. created reports whether it was created.
func (s *Store) EnsureAdmin(ctx context.Context, actor Actor, email string, role Role) (a *Admin, created bool, err error) {
	a, err = s.AdminByEmail(ctx, email)
	if err == nil {
		return a, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	a, err = s.CreateAdmin(ctx, actor, email, "", role)
	return a, err == nil, err
}

// SetAdminRole changes an admin's role. Demoting the last active owner is
// ErrLastOwner.
func (s *Store) SetAdminRole(ctx context.Context, actor Actor, id int64, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("unknown role %q", role)
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.lockAdmin(ctx, id)
		if err != nil {
			return err
		}
		if a.Role == role {
			return nil
		}
		if a.Role == RoleOwner && a.Active() {
			if err := tx.guardLastOwner(ctx, a.ID); err != nil {
				return err
			}
		}
		err = tx.db.WithContext(ctx).Model(&Admin{}).Where("id = ?", a.ID).
			Updates(map[string]any{"role": role, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: set role of admin %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{
			Action: ActionAdminRole, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
			Before: map[string]any{"role": a.Role}, After: map[string]any{"role": role},
		})
	})
}

// SetAdminDisabled disables or re-enables an admin. A disabled admin can
// no longer sign in and loses any open session at its next request.
// Disabling the last active owner is ErrLastOwner; disabling oneself is
// ErrDisableSelf.
func (s *Store) SetAdminDisabled(ctx context.Context, actor Actor, id int64, disabled bool) error {
	if disabled && actor.AdminID == id {
		return ErrDisableSelf
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.lockAdmin(ctx, id)
		if err != nil {
			return err
		}
		if a.Active() != disabled {
			return nil // already in the requested state
		}
		var at *time.Time
		action := ActionAdminEnabled
		if disabled {
			if a.Role == RoleOwner {
				if err := tx.guardLastOwner(ctx, a.ID); err != nil {
					return err
				}
			}
			now := time.Now().UTC()
			at, action = &now, ActionAdminDisabled
		}
		err = tx.db.WithContext(ctx).Model(&Admin{}).Where("id = ?", a.ID).
			Updates(map[string]any{"disabled_at": at, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: disable admin %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{
			Action: action, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
			Before: map[string]any{"disabled": !disabled}, After: map[string]any{"disabled": disabled},
		})
	})
}

// lockAdmin reads an admin for update. On PostgreSQL it locks every active
// owner row too, so that two concurrent demotions of two different owners
// cannot both pass the last-owner check. SQLite's write transactions
// (BEGIN IMMEDIATE) are already serialised.
func (s *Store) lockAdmin(ctx context.Context, id int64) (*Admin, error) {
	q := s.db.WithContext(ctx)
	if s.dialect == Postgres {
		var owners []Admin
		err := q.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("role = ? AND disabled_at IS NULL", RoleOwner).Order("id").Find(&owners).Error
		if err != nil {
			return nil, fmt.Errorf("store: lock owners: %w", translate(err))
		}
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var a Admin
	if err := q.First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: admin %d: %w", id, translate(err))
	}
	return &a, nil
}

// guardLastOwner returns ErrLastOwner unless another active owner than
// exceptID exists.
func (s *Store) guardLastOwner(ctx context.Context, exceptID int64) error {
	var others int64
	err := s.db.WithContext(ctx).Model(&Admin{}).
		Where("role = ? AND disabled_at IS NULL AND id <> ?", RoleOwner, exceptID).Count(&others).Error
	if err != nil {
		return fmt.Errorf("store: count owners: %w", translate(err))
	}
	if others == 0 {
		return ErrLastOwner
	}
	return nil
}

// SignIn describes a successful authentication.
type SignIn struct {
	Method  string // "sso" or "login_link"
	Issuer  string // SSO only: the OIDC issuer and subject
	Subject string
	Name    string // SSO only: the name the identity provider gives, if any
}

// RecordSignIn notes a successful sign-in and audits it. For SSO sign-ins
// (issuer and subject set) it binds the admin to that identity the first
// time and refuses a different identity afterwards. The check is made by
// the update itself, against the stored row, so two racing first sign-ins
// with different identities cannot both bind. An admin without a name
// takes the one the identity provider gives.
func (s *Store) RecordSignIn(ctx context.Context, actor Actor, a *Admin, in SignIn) error {
	return s.WithTx(ctx, func(tx *Store) error {
		now := time.Now().UTC()
		updates := map[string]any{"last_login_at": now, "updated_at": now}
		q := tx.db.WithContext(ctx).Model(&Admin{}).Where("id = ?", a.ID)
		if in.Subject != "" {
			updates["oidc_issuer"], updates["oidc_subject"] = in.Issuer, in.Subject
			q = q.Where("oidc_subject IS NULL OR (oidc_subject = ? AND oidc_issuer = ?)", in.Subject, in.Issuer)
		}
		if name := strings.TrimSpace(in.Name); a.Name == "" && name != "" && len(name) <= 200 {
			updates["name"] = name
		}
		res := q.Updates(updates)
		if err := res.Error; err != nil {
			if errors.Is(translate(err), ErrConflict) {
				return ErrIdentityMismatch // another admin already holds this identity
			}
			return fmt.Errorf("store: record sign-in of admin %d: %w", a.ID, translate(err))
		}
		if res.RowsAffected != 1 {
			return ErrIdentityMismatch
		}
		actor.AdminID, actor.Email = a.ID, a.Email
		return tx.Audit(ctx, actor, AuditEntry{
			Action: ActionSignIn, SubjectType: "admin", SubjectID: a.ID, SubjectLabel: a.Email,
			After: map[string]any{"method": in.Method},
		})
	})
}
