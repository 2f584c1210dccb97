package models_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func createLoginToken(t *testing.T, store *models.Store, a *models.Admin) string {
	t.Helper()
	token, err := store.CreateLoginToken(context.Background(), tester, a)
	require.NoError(t, err)
	require.NotEmpty(t, token)
	return token
}

// loginTokenIDs returns the IDs of the stored tokens, oldest first.
func loginTokenIDs(t *testing.T, db *models.DB) []int64 {
	t.Helper()
	rows, err := db.SQL.Query("SELECT id FROM login_tokens ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

func setTokenExpiry(t *testing.T, db *models.DB, id int64, at time.Time) {
	t.Helper()
	res := db.Gorm.Exec("UPDATE login_tokens SET expires_at = ? WHERE id = ?", at.UTC(), id)
	require.NoError(t, res.Error)
	require.EqualValues(t, 1, res.RowsAffected)
}

func TestCreateLoginTokenStoresOnlyItsHash(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		trail := newAuditTrail(t, store)

		token := createLoginToken(t, store, a)
		require.GreaterOrEqual(t, len(token), 43, "a token carries at least 256 bits")
		require.NotEqual(t, token, createLoginToken(t, store, a), "tokens are random")
		require.Len(t, trail.since(), 2, "each issued link is audited")

		var (
			adminID   int64
			tokenHash string
			usedAt    *time.Time
		)
		row := db.SQL.QueryRow("SELECT admin_id, token_hash, used_at FROM login_tokens ORDER BY id LIMIT 1")
		require.NoError(t, row.Scan(&adminID, &tokenHash, &usedAt))
		require.Equal(t, a.ID, adminID)
		require.Nil(t, usedAt)
		require.NotEqual(t, token, tokenHash)
		require.NotContains(t, tokenHash, token)
		sum := sha256.Sum256([]byte(token))
		require.Equal(t, hex.EncodeToString(sum[:]), tokenHash, "only the SHA-256 of the token is stored")

		var stored models.LoginToken
		require.NoError(t, db.Gorm.Where("token_hash = ?", tokenHash).First(&stored).Error)
		require.WithinDuration(t, time.Now().Add(models.LoginLinkTTL), stored.ExpiresAt, time.Minute)
	})
}

func TestCreateLoginTokenIsAudited(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		trail := newAuditTrail(t, store)

		createLoginToken(t, store, a)
		ev := trail.one()
		require.Equal(t, models.ActionLoginLinkIssued, ev.Action)
		require.Equal(t, tester.Email, ev.ActorEmail)
		require.Equal(t, "admin", ev.SubjectType)
		require.Equal(t, "alice@example.com", ev.SubjectLabel)
		require.Nil(t, ev.Before)
		require.NotNil(t, ev.After)
		require.Contains(t, *ev.After, `"expires_at"`)
	})
}

func TestLoginTokenWorksOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		token := createLoginToken(t, store, a)

		// Peeking says who would sign in, and can be repeated.
		for range 2 {
			peeked, err := store.PeekLoginToken(ctx, token)
			require.NoError(t, err)
			require.Equal(t, a.ID, peeked.ID)
			require.Equal(t, "alice@example.com", peeked.Email)
		}

		used, err := store.UseLoginToken(ctx, token)
		require.NoError(t, err)
		require.Equal(t, a.ID, used.ID)

		var usedAt *time.Time
		require.NoError(t, db.SQL.QueryRow("SELECT used_at FROM login_tokens").Scan(&usedAt))
		require.NotNil(t, usedAt)
		require.WithinDuration(t, time.Now(), *usedAt, time.Minute)

		_, err = store.UseLoginToken(ctx, token)
		require.ErrorIs(t, err, models.ErrLinkInvalid)
		_, err = store.PeekLoginToken(ctx, token)
		require.ErrorIs(t, err, models.ErrLinkInvalid)
	})
}

func TestLoginTokensAreIndependent(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		alice := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		bob := createAdmin(t, store, "bob@example.com", models.RoleViewer)
		aliceToken := createLoginToken(t, store, alice)
		bobToken := createLoginToken(t, store, bob)

		got, err := store.UseLoginToken(ctx, bobToken)
		require.NoError(t, err)
		require.Equal(t, bob.ID, got.ID)
		got, err = store.UseLoginToken(ctx, aliceToken)
		require.NoError(t, err)
		require.Equal(t, alice.ID, got.ID)
	})
}

func TestExpiredLoginTokenIsInvalid(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		token := createLoginToken(t, store, a)
		require.NoError(t, db.Gorm.Exec("UPDATE login_tokens SET expires_at = ?", time.Now().UTC().Add(-time.Minute)).Error)

		_, err := store.PeekLoginToken(ctx, token)
		require.ErrorIs(t, err, models.ErrLinkInvalid)
		_, err = store.UseLoginToken(ctx, token)
		require.ErrorIs(t, err, models.ErrLinkInvalid)

		var usedAt *time.Time
		require.NoError(t, db.SQL.QueryRow("SELECT used_at FROM login_tokens").Scan(&usedAt))
		require.Nil(t, usedAt, "an expired token is not marked used")
	})
}

func TestUnknownLoginTokenIsInvalid(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		token := createLoginToken(t, store, a)

		for _, unknown := range []string{"", "not-a-token", token + "x", token[:len(token)-1]} {
			_, err := store.PeekLoginToken(ctx, unknown)
			require.ErrorIs(t, err, models.ErrLinkInvalid, "peek %q", unknown)
			_, err = store.UseLoginToken(ctx, unknown)
			require.ErrorIs(t, err, models.ErrLinkInvalid, "use %q", unknown)
		}

		// The stored hash itself is not a token either.
		var tokenHash string
		require.NoError(t, db.SQL.QueryRow("SELECT token_hash FROM login_tokens").Scan(&tokenHash))
		_, err := store.UseLoginToken(ctx, tokenHash)
		require.ErrorIs(t, err, models.ErrLinkInvalid)

		_, err = store.UseLoginToken(ctx, token)
		require.NoError(t, err, "failed attempts must not consume the real token")
	})
}

func TestConcurrentUsesOfOneLoginTokenYieldOneSignIn(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)

		for round := range 3 {
			token := createLoginToken(t, store, a)
			const clicks = 5
			admins := make([]*models.Admin, clicks)
			errs := make([]error, clicks)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range clicks {
				wg.Go(func() {
					<-start
					admins[i], errs[i] = store.UseLoginToken(ctx, token)
				})
			}
			close(start)
			wg.Wait()

			var successes int
			for i, err := range errs {
				switch {
				case err == nil:
					successes++
					require.Equal(t, a.ID, admins[i].ID)
				case !errors.Is(err, models.ErrLinkInvalid):
					require.NoError(t, err, "round %d: use %d", round, i)
				}
			}
			require.Equal(t, 1, successes, "round %d: errors %v", round, errs)
		}
	})
}

func TestPurgeLoginTokens(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleAdmin)
		longAgo := createLoginToken(t, store, a)
		atCutoff := createLoginToken(t, store, a)
		recent := createLoginToken(t, store, a)
		valid := createLoginToken(t, store, a)
		ids := loginTokenIDs(t, db)
		require.Len(t, ids, 4)

		cutoff := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		setTokenExpiry(t, db, ids[0], cutoff.Add(-24*time.Hour))
		setTokenExpiry(t, db, ids[1], cutoff) // not before the cutoff: kept
		setTokenExpiry(t, db, ids[2], time.Now().Add(-time.Minute))

		n, err := store.PurgeLoginTokens(ctx, cutoff)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, ids[1:], loginTokenIDs(t, db))

		// A cutoff given in another time zone means the same instant.
		n, err = store.PurgeLoginTokens(ctx, cutoff.Add(time.Second).In(time.FixedZone("UTC+5", 5*3600)))
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, ids[2:], loginTokenIDs(t, db))

		n, err = store.PurgeLoginTokens(ctx, time.Now())
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, ids[3:], loginTokenIDs(t, db))

		n, err = store.PurgeLoginTokens(ctx, time.Now())
		require.NoError(t, err)
		require.Zero(t, n)

		for _, gone := range []string{longAgo, atCutoff, recent} {
			_, err := store.UseLoginToken(ctx, gone)
			require.ErrorIs(t, err, models.ErrLinkInvalid)
		}
		_, err = store.UseLoginToken(ctx, valid)
		require.NoError(t, err)
		require.Equal(t, 1, countRows(t, db, "login_tokens"), "a used but unexpired token is kept until it expires")
	})
}
