package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// tester is the actor of the mutations under test; its fields are checked
// on the audit events they write.
var tester = models.Actor{Email: "tester@example.com", IP: "192.0.2.10", RequestID: "req-42"}

func createAdmin(t *testing.T, store *models.Store, email string, role models.Role) *models.Admin {
	t.Helper()
	a, err := store.CreateAdmin(context.Background(), tester, email, "", role)
	require.NoError(t, err)
	return a
}

func reloadAdmin(t *testing.T, store *models.Store, id int64) *models.Admin {
	t.Helper()
	a, err := store.AdminByID(context.Background(), id)
	require.NoError(t, err)
	return a
}

func activeOwners(t *testing.T, store *models.Store) []string {
	t.Helper()
	admins, err := store.ListAdmins(context.Background())
	require.NoError(t, err)
	var owners []string
	for _, a := range admins {
		if a.Role == models.RoleOwner && a.Active() {
			owners = append(owners, a.Email)
		}
	}
	return owners
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    models.Role
		wantErr bool
	}{
		{in: "owner", want: models.RoleOwner},
		{in: " Admin ", want: models.RoleAdmin},
		{in: "APPROVER", want: models.RoleApprover},
		{in: "viewer", want: models.RoleViewer},
		{in: "", wantErr: true},
		{in: "superuser", wantErr: true},
	}
	for _, tt := range tests {
		got, err := models.ParseRole(tt.in)
		if tt.wantErr {
			require.Error(t, err, "ParseRole(%q)", tt.in)
			continue
		}
		require.NoError(t, err, "ParseRole(%q)", tt.in)
		require.Equal(t, tt.want, got)
	}
}

func TestRoleAtLeast(t *testing.T) {
	t.Parallel()
	require.True(t, models.RoleOwner.AtLeast(models.RoleAdmin))
	require.True(t, models.RoleAdmin.AtLeast(models.RoleAdmin))
	require.True(t, models.RoleApprover.AtLeast(models.RoleViewer))
	require.False(t, models.RoleViewer.AtLeast(models.RoleApprover))
	require.False(t, models.RoleAdmin.AtLeast(models.RoleOwner))
	require.False(t, models.Role("root").AtLeast(models.RoleViewer), "an unknown role has no rights")
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "alice@example.com", want: "alice@example.com"},
		{in: "  Alice@Example.COM\n", want: "alice@example.com"},
		{in: "", wantErr: true},
		{in: "alice", wantErr: true},
		{in: "alice@", wantErr: true},
		{in: "Alice <alice@example.com>", wantErr: true},
		{in: "alice@example.com, bob@example.com", wantErr: true},
	}
	for _, tt := range tests {
		got, err := models.NormalizeEmail(tt.in)
		if tt.wantErr {
			require.Error(t, err, "NormalizeEmail(%q)", tt.in)
			continue
		}
		require.NoError(t, err, "NormalizeEmail(%q)", tt.in)
		require.Equal(t, tt.want, got)
	}
}

func TestCreateAdmin(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		trail := newAuditTrail(t, store)

		a, err := store.CreateAdmin(ctx, tester, "  Alice@Example.COM ", "  Alice Liddell ", models.RoleAdmin)
		require.NoError(t, err)
		require.NotZero(t, a.ID)
		require.Equal(t, "alice@example.com", a.Email)
		require.Equal(t, "Alice Liddell", a.Name)
		require.Equal(t, models.RoleAdmin, a.Role)
		require.True(t, a.Active())

		stored := reloadAdmin(t, store, a.ID)
		require.Equal(t, "alice@example.com", stored.Email)
		require.Equal(t, "Alice Liddell", stored.Name)
		require.Equal(t, models.RoleAdmin, stored.Role)
		require.Nil(t, stored.DisabledAt)
		require.Nil(t, stored.OIDCSubject)
		require.Nil(t, stored.LastLoginAt)
		require.WithinDuration(t, time.Now(), stored.CreatedAt, time.Minute)

		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminInvited, actor: tester, subjectID: a.ID, label: "alice@example.com",
			after: `{"email":"alice@example.com","name":"Alice Liddell","role":"admin"}`,
		})

		byEmail, err := store.AdminByEmail(ctx, " ALICE@example.com ")
		require.NoError(t, err)
		require.Equal(t, a.ID, byEmail.ID)
	})
}

func TestCreateAdminRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		trail := newAuditTrail(t, store)
		tests := []struct {
			name  string
			email string
			role  models.Role
		}{
			{name: "empty email", email: "", role: models.RoleViewer},
			{name: "no domain", email: "alice", role: models.RoleViewer},
			{name: "display name", email: "Alice <alice@example.com>", role: models.RoleViewer},
			{name: "unknown role", email: "alice@example.com", role: "superuser"},
			{name: "empty role", email: "alice@example.com", role: ""},
		}
		for _, tt := range tests {
			_, err := store.CreateAdmin(ctx, tester, tt.email, "", tt.role)
			require.Error(t, err, tt.name)
			require.NotErrorIs(t, err, models.ErrConflict, tt.name)
		}
		n, err := store.CountAdmins(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a rejected admin must not be stored")
		trail.none()
	})
}

func TestCreateAdminDuplicateEmailConflicts(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		trail := newAuditTrail(t, store)

		_, err := store.CreateAdmin(ctx, tester, " ALICE@example.com", "", models.RoleViewer)
		require.ErrorIs(t, err, models.ErrConflict)

		n, err := store.CountAdmins(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		trail.none()
	})
}

func TestListAdminsOrdersOwnersFirst(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		createAdmin(t, store, "a-viewer@example.com", models.RoleViewer)
		createAdmin(t, store, "b-approver@example.com", models.RoleApprover)
		createAdmin(t, store, "c-admin@example.com", models.RoleAdmin)
		createAdmin(t, store, "z-owner@example.com", models.RoleOwner)
		createAdmin(t, store, "d-admin@example.com", models.RoleAdmin)
		createAdmin(t, store, "m-owner@example.com", models.RoleOwner)

		admins, err := store.ListAdmins(ctx)
		require.NoError(t, err)
		var emails []string
		for _, a := range admins {
			emails = append(emails, a.Email)
		}
		require.Equal(t, []string{
			"m-owner@example.com", "z-owner@example.com",
			"c-admin@example.com", "d-admin@example.com",
			"b-approver@example.com",
			"a-viewer@example.com",
		}, emails)

		n, err := store.CountAdmins(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 6, n)
	})
}

func TestMissingAdminIsNotFound(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleOwner)

		_, err := store.AdminByID(ctx, a.ID+1000)
		require.ErrorIs(t, err, models.ErrNotFound)
		_, err = store.AdminByEmail(ctx, "nobody@example.com")
		require.ErrorIs(t, err, models.ErrNotFound)
		require.ErrorIs(t, store.SetAdminRole(ctx, tester, a.ID+1000, models.RoleViewer), models.ErrNotFound)
		require.ErrorIs(t, store.SetAdminDisabled(ctx, tester, a.ID+1000, true), models.ErrNotFound)
	})
}

func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		trail := newAuditTrail(t, store)

		first, created, err := store.EnsureAdmin(ctx, models.CLIActor, "Owner@Example.com", models.RoleOwner)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "owner@example.com", first.Email)
		require.Equal(t, models.RoleOwner, first.Role)
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminInvited, actor: models.CLIActor, subjectID: first.ID, label: "owner@example.com",
			after: `{"email":"owner@example.com","name":"","role":"owner"}`,
		})

		// A second call, even asking for another role, returns the admin as it is.
		second, created, err := store.EnsureAdmin(ctx, models.CLIActor, " owner@example.com ", models.RoleViewer)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, first.ID, second.ID)
		require.Equal(t, models.RoleOwner, second.Role)
		trail.none()

		n, err := store.CountAdmins(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		_, created, err = store.EnsureAdmin(ctx, models.CLIActor, "not an email", models.RoleOwner)
		require.Error(t, err)
		require.False(t, created)
	})
}

func TestSetAdminRole(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		createAdmin(t, store, "owner@example.com", models.RoleOwner)
		a := createAdmin(t, store, "alice@example.com", models.RoleViewer)
		trail := newAuditTrail(t, store)

		require.NoError(t, store.SetAdminRole(ctx, tester, a.ID, models.RoleApprover))
		require.Equal(t, models.RoleApprover, reloadAdmin(t, store, a.ID).Role)
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminRole, actor: tester, subjectID: a.ID, label: "alice@example.com",
			before: anyJSON, after: `{"role":"approver"}`, // before: see TestRoleChangeAuditRecordsPreviousRole
		})

		// Setting the role it already has changes and audits nothing.
		require.NoError(t, store.SetAdminRole(ctx, tester, a.ID, models.RoleApprover))
		trail.none()

		require.Error(t, store.SetAdminRole(ctx, tester, a.ID, "root"))
		require.Equal(t, models.RoleApprover, reloadAdmin(t, store, a.ID).Role)
		trail.none()
	})
}

// The audit event of a role change must say what the role was.
func TestRoleChangeAuditRecordsPreviousRole(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		a := createAdmin(t, store, "alice@example.com", models.RoleViewer)
		trail := newAuditTrail(t, store)
		require.NoError(t, store.SetAdminRole(context.Background(), tester, a.ID, models.RoleApprover))
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminRole, actor: tester, subjectID: a.ID, label: "alice@example.com",
			before: `{"role":"viewer"}`, after: `{"role":"approver"}`,
		})
	})
}

func TestSetAdminDisabled(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		createAdmin(t, store, "owner@example.com", models.RoleOwner)
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		trail := newAuditTrail(t, store)

		require.NoError(t, store.SetAdminDisabled(ctx, tester, a.ID, true))
		stored := reloadAdmin(t, store, a.ID)
		require.False(t, stored.Active())
		require.WithinDuration(t, time.Now(), *stored.DisabledAt, time.Minute)
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminDisabled, actor: tester, subjectID: a.ID, label: "alice@example.com",
			before: `{"disabled":false}`, after: `{"disabled":true}`,
		})

		// Disabling a disabled admin changes and audits nothing.
		require.NoError(t, store.SetAdminDisabled(ctx, tester, a.ID, true))
		trail.none()

		require.NoError(t, store.SetAdminDisabled(ctx, tester, a.ID, false))
		require.True(t, reloadAdmin(t, store, a.ID).Active())
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminEnabled, actor: tester, subjectID: a.ID, label: "alice@example.com",
			before: `{"disabled":true}`, after: `{"disabled":false}`,
		})

		require.NoError(t, store.SetAdminDisabled(ctx, tester, a.ID, false))
		trail.none()
	})
}

func TestLastOwnerCannotBeDemotedOrDisabled(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		owner := createAdmin(t, store, "owner@example.com", models.RoleOwner)
		createAdmin(t, store, "admin@example.com", models.RoleAdmin) // an active non-owner does not count
		before := reloadAdmin(t, store, owner.ID)
		trail := newAuditTrail(t, store)

		for _, role := range []models.Role{models.RoleAdmin, models.RoleApprover, models.RoleViewer} {
			require.ErrorIs(t, store.SetAdminRole(ctx, tester, owner.ID, role), models.ErrLastOwner)
		}
		require.ErrorIs(t, store.SetAdminDisabled(ctx, tester, owner.ID, true), models.ErrLastOwner)

		stored := reloadAdmin(t, store, owner.ID)
		require.Equal(t, models.RoleOwner, stored.Role)
		require.True(t, stored.Active())
		require.True(t, before.UpdatedAt.Equal(stored.UpdatedAt), "a refused change must not touch the row")
		trail.none()
	})
}

func TestSecondOwnerCanBeDemotedThenLastIsProtected(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		first := createAdmin(t, store, "first@example.com", models.RoleOwner)
		second := createAdmin(t, store, "second@example.com", models.RoleOwner)
		trail := newAuditTrail(t, store)

		require.NoError(t, store.SetAdminRole(ctx, tester, first.ID, models.RoleAdmin))
		require.Equal(t, models.RoleAdmin, reloadAdmin(t, store, first.ID).Role)
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminRole, actor: tester, subjectID: first.ID, label: "first@example.com",
			before: anyJSON, after: `{"role":"admin"}`, // before: see TestRoleChangeAuditRecordsPreviousRole
		})

		require.ErrorIs(t, store.SetAdminRole(ctx, tester, second.ID, models.RoleAdmin), models.ErrLastOwner)
		require.ErrorIs(t, store.SetAdminDisabled(ctx, tester, second.ID, true), models.ErrLastOwner)
		require.Equal(t, []string{"second@example.com"}, activeOwners(t, store))
		trail.none()

		// Promoting someone again lifts the protection.
		require.NoError(t, store.SetAdminRole(ctx, tester, first.ID, models.RoleOwner))
		require.NoError(t, store.SetAdminDisabled(ctx, tester, second.ID, true))
		require.Equal(t, []string{"first@example.com"}, activeOwners(t, store))
	})
}

func TestDisabledOwnerIsNotAnActiveOwner(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		kept := createAdmin(t, store, "kept@example.com", models.RoleOwner)
		away := createAdmin(t, store, "away@example.com", models.RoleOwner)
		trail := newAuditTrail(t, store)

		require.NoError(t, store.SetAdminDisabled(ctx, tester, away.ID, true))
		trail.one()

		// away is still an owner, but disabled: kept is the last active one.
		require.Equal(t, models.RoleOwner, reloadAdmin(t, store, away.ID).Role)
		require.ErrorIs(t, store.SetAdminRole(ctx, tester, kept.ID, models.RoleAdmin), models.ErrLastOwner)
		require.ErrorIs(t, store.SetAdminDisabled(ctx, tester, kept.ID, true), models.ErrLastOwner)
		stored := reloadAdmin(t, store, kept.ID)
		require.Equal(t, models.RoleOwner, stored.Role)
		require.True(t, stored.Active())
		trail.none()

		// Re-enabling the disabled owner makes it count again.
		require.NoError(t, store.SetAdminDisabled(ctx, tester, away.ID, false))
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionAdminEnabled, actor: tester, subjectID: away.ID, label: "away@example.com",
			before: `{"disabled":true}`, after: `{"disabled":false}`,
		})
		require.NoError(t, store.SetAdminRole(ctx, tester, kept.ID, models.RoleAdmin))
		require.Equal(t, []string{"away@example.com"}, activeOwners(t, store))
	})
}

func TestDisabledOwnerCanBeDemoted(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		createAdmin(t, store, "kept@example.com", models.RoleOwner)
		away := createAdmin(t, store, "away@example.com", models.RoleOwner)
		require.NoError(t, store.SetAdminDisabled(ctx, tester, away.ID, true))

		require.NoError(t, store.SetAdminRole(ctx, tester, away.ID, models.RoleViewer))
		stored := reloadAdmin(t, store, away.ID)
		require.Equal(t, models.RoleViewer, stored.Role)
		require.False(t, stored.Active())
		require.Equal(t, []string{"kept@example.com"}, activeOwners(t, store))
	})
}

// Two owners demoting each other at the same moment must not leave the
// instance without an owner: the store serialises the last-owner check.
func TestConcurrentOwnerDemotionsKeepOneOwner(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		owners := []*models.Admin{
			createAdmin(t, store, "one@example.com", models.RoleOwner),
			createAdmin(t, store, "two@example.com", models.RoleOwner),
		}
		trail := newAuditTrail(t, store)

		for round := range 10 {
			errs := make([]error, len(owners))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, o := range owners {
				wg.Go(func() {
					<-start
					errs[i] = store.SetAdminRole(ctx, tester, o.ID, models.RoleAdmin)
				})
			}
			close(start)
			wg.Wait()

			demoted := -1
			for i, err := range errs {
				switch {
				case err == nil:
					require.Equal(t, -1, demoted, "round %d: both owners were demoted", round)
					demoted = i
				case !errors.Is(err, models.ErrLastOwner):
					require.NoError(t, err, "round %d: owner %d", round, i)
				}
			}
			require.NotEqual(t, -1, demoted, "round %d: neither demotion succeeded: %v", round, errs)
			require.Len(t, activeOwners(t, store), 1, "round %d", round)
			ev := trail.one()
			require.Equal(t, models.ActionAdminRole, ev.Action)

			// Restore both owners for the next round.
			require.NoError(t, store.SetAdminRole(ctx, tester, owners[demoted].ID, models.RoleOwner))
			trail.one()
		}
	})
}

func TestRecordSignInBindsIdentity(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		const issuer = "https://idp.example.com"
		created := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		trail := newAuditTrail(t, store)
		visitor := models.Actor{IP: "198.51.100.7", RequestID: "req-sso-1"}

		require.NoError(t, store.RecordSignIn(ctx, visitor, reloadAdmin(t, store, created.ID), models.SignIn{Method: "sso", Issuer: issuer, Subject: "sub-1"}))
		first := reloadAdmin(t, store, created.ID)
		require.NotNil(t, first.OIDCIssuer)
		require.NotNil(t, first.OIDCSubject)
		require.Equal(t, issuer, *first.OIDCIssuer)
		require.Equal(t, "sub-1", *first.OIDCSubject)
		require.NotNil(t, first.LastLoginAt)
		require.WithinDuration(t, time.Now(), *first.LastLoginAt, time.Minute)

		// The signing-in admin is the actor of its own sign-in.
		ev := trail.one()
		requireEvent(t, ev, wantEvent{
			action: models.ActionSignIn, actor: models.Actor{Email: "alice@example.com", IP: visitor.IP, RequestID: visitor.RequestID},
			subjectID: created.ID, label: "alice@example.com", after: `{"method":"sso"}`,
		})
		require.NotNil(t, ev.ActorID)
		require.Equal(t, created.ID, *ev.ActorID)

		// Another subject, or the same subject from another issuer, is refused.
		require.ErrorIs(t, store.RecordSignIn(ctx, visitor, first, models.SignIn{Method: "sso", Issuer: issuer, Subject: "sub-2"}), models.ErrIdentityMismatch)
		require.ErrorIs(t, store.RecordSignIn(ctx, visitor, first, models.SignIn{Method: "sso", Issuer: "https://evil.example.com", Subject: "sub-1"}), models.ErrIdentityMismatch)
		refused := reloadAdmin(t, store, created.ID)
		require.Equal(t, "sub-1", *refused.OIDCSubject)
		require.Equal(t, issuer, *refused.OIDCIssuer)
		require.Equal(t, first.LastLoginAt.UnixMicro(), refused.LastLoginAt.UnixMicro())
		trail.none()

		// The bound identity signs in again.
		require.NoError(t, store.RecordSignIn(ctx, visitor, refused, models.SignIn{Method: "sso", Issuer: issuer, Subject: "sub-1"}))
		again := reloadAdmin(t, store, created.ID)
		require.Equal(t, "sub-1", *again.OIDCSubject)
		require.False(t, again.LastLoginAt.Before(*first.LastLoginAt))
		require.Equal(t, models.ActionSignIn, trail.one().Action)

		// A sign-in link carries no identity and leaves the binding alone.
		require.NoError(t, store.RecordSignIn(ctx, visitor, again, models.SignIn{Method: "link", Issuer: "", Subject: ""}))
		require.Equal(t, "sub-1", *reloadAdmin(t, store, created.ID).OIDCSubject)
		requireEvent(t, trail.one(), wantEvent{
			action: models.ActionSignIn, actor: models.Actor{Email: "alice@example.com", IP: visitor.IP, RequestID: visitor.RequestID},
			subjectID: created.ID, label: "alice@example.com", after: `{"method":"link"}`,
		})
	})
}

func TestRecordSignInRefusesIdentityOfAnotherAdmin(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		const issuer = "https://idp.example.com"
		alice := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		bob := createAdmin(t, store, "bob@example.com", models.RoleAdmin)
		require.NoError(t, store.RecordSignIn(ctx, models.Actor{}, alice, models.SignIn{Method: "sso", Issuer: issuer, Subject: "sub-alice"}))
		trail := newAuditTrail(t, store)

		require.ErrorIs(t, store.RecordSignIn(ctx, models.Actor{}, bob, models.SignIn{Method: "sso", Issuer: issuer, Subject: "sub-alice"}), models.ErrIdentityMismatch)
		stored := reloadAdmin(t, store, bob.ID)
		require.Nil(t, stored.OIDCSubject)
		require.Nil(t, stored.LastLoginAt)
		trail.none()
	})
}

// RecordSignIn must compare against the identity stored in the database,
// not against the caller's copy of the admin, which may have been read
// before another sign-in bound it.
func TestRecordSignInChecksStoredIdentity(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		loaded := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		stale := *loaded // read before the first sign-in bound an identity

		require.NoError(t, store.RecordSignIn(ctx, models.Actor{}, loaded, models.SignIn{Method: "sso", Issuer: "https://idp.example.com", Subject: "sub-1"}))
		err := store.RecordSignIn(ctx, models.Actor{}, &stale, models.SignIn{Method: "sso", Issuer: "https://idp.example.com", Subject: "sub-2"})
		require.ErrorIs(t, err, models.ErrIdentityMismatch)
		require.Equal(t, "sub-1", *reloadAdmin(t, store, loaded.ID).OIDCSubject)
	})
}

func TestAdminCannotDisableThemselves(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		first := createAdmin(t, store, "first@example.com", models.RoleOwner)
		second := createAdmin(t, store, "second@example.com", models.RoleOwner)
		self := models.Actor{AdminID: first.ID, Email: first.Email}

		require.ErrorIs(t, store.SetAdminDisabled(ctx, self, first.ID, true), models.ErrDisableSelf)
		require.True(t, reloadAdmin(t, store, first.ID).Active())

		require.NoError(t, store.SetAdminDisabled(ctx, self, second.ID, true), "disabling someone else works")
		require.False(t, reloadAdmin(t, store, second.ID).Active())
	})
}
