package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// digestPerson adds a person with the given dates.
func digestPerson(t *testing.T, db *models.DB, sourceID int64, n int, start, end string) *models.Person {
	t.Helper()
	p := &models.Person{SourceID: sourceID, PersonFields: models.PersonFields{
		ExternalID: fmt.Sprintf("G%03d", n), FirstName: "Digest", LastName: fmt.Sprintf("Person%d", n),
		WorkEmail: fmt.Sprintf("g%d@example.com", n), Status: models.StatusActive, StartDate: start, TerminationDate: end,
		Groups: []string{}, Custom: map[string]string{}}}
	p.Hash = p.PersonFields.Hash()
	require.NoError(t, db.Gorm.Create(p).Error)
	return p
}

func TestDigestPreference(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "a@example.com", models.RoleAdmin)
		b := createAdmin(t, store, "b@example.com", models.RoleViewer)
		c := createAdmin(t, store, "c@example.com", models.RoleOwner)
		o := createAdmin(t, store, "o@example.com", models.RoleOwner)
		require.NoError(t, store.SetDigestOptOut(ctx, tester, o.ID, true))
		require.NoError(t, store.SetAdminDisabled(ctx, models.Actor{AdminID: a.ID}, c.ID, true))

		out, err := store.DigestOptOut(ctx, a.ID)
		require.NoError(t, err)
		require.False(t, out, "everyone gets the digest by default")
		_, err = store.DigestOptOut(ctx, 9999)
		require.ErrorIs(t, err, models.ErrNotFound)

		require.NoError(t, store.SetDigestOptOut(ctx, tester, b.ID, true))
		out, err = store.DigestOptOut(ctx, b.ID)
		require.NoError(t, err)
		require.True(t, out)
		var audits int64
		require.NoError(t, db.Gorm.Table("audit_events").Where("action = ?", models.ActionDigestPreference).Count(&audits).Error)
		require.EqualValues(t, 2, audits)

		recipients, err := store.DigestRecipients(ctx)
		require.NoError(t, err)
		require.Len(t, recipients, 1, "not the opted-out, not the disabled")
		require.Equal(t, a.ID, recipients[0].ID)

		require.NoError(t, store.SetDigestOptOut(ctx, tester, b.ID, false))
		recipients, err = store.DigestRecipients(ctx)
		require.NoError(t, err)
		require.Len(t, recipients, 2)
	})
}

func TestDigestQueries(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)

		ages, err := store.QueueAges(ctx)
		require.NoError(t, err)
		require.Zero(t, ages[models.QueueInvite].Count)
		require.True(t, ages[models.QueueInvite].Oldest.IsZero())

		soon := digestPerson(t, db, src.ID, 1, "2026-11-27", "")
		today := digestPerson(t, db, src.ID, 2, "2026-11-25", "")
		digestPerson(t, db, src.ID, 3, "2026-12-09", "")           // too late
		digestPerson(t, db, src.ID, 4, "2026-11-01", "2026-11-20") // past
		leaver := digestPerson(t, db, src.ID, 5, "2020-01-01", "2026-12-02")

		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		for _, p := range []*models.Person{soon, today} {
			_, err := store.ReplaceOpenChange(ctx, p.ID, &models.Change{Kind: models.ChangeJoin, Why: "{}", EffectiveAt: at})
			require.NoError(t, err)
		}
		old := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("person_id = ?", today.ID).Update("created_at", old).Error)
		lc, err := store.ReplaceOpenChange(ctx, leaver.ID, &models.Change{Kind: models.ChangeLeave, Why: "{}", EffectiveAt: at})
		require.NoError(t, err)

		ages, err = store.QueueAges(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, ages[models.QueueInvite].Count)
		require.True(t, ages[models.QueueInvite].Oldest.Equal(old), "oldest is %v", ages[models.QueueInvite].Oldest)
		require.EqualValues(t, 1, ages[models.QueueTerminate].Count)
		require.Zero(t, ages[models.QueueUpdate].Count)

		n, err := store.FailedChangeCount(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("id = ?", lc.ID).Update("status", models.ChangeFailed).Error)
		n, err = store.FailedChangeCount(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		starts, err := store.UpcomingStarts(ctx, "2026-11-25", "2026-12-02")
		require.NoError(t, err)
		require.Len(t, starts, 2)
		require.Equal(t, today.ID, starts[0].ID, "soonest first")
		require.Equal(t, soon.ID, starts[1].ID)
		leaves, err := store.UpcomingLeaves(ctx, "2026-11-25", "2026-12-02")
		require.NoError(t, err)
		require.Len(t, leaves, 1)
		require.Equal(t, leaver.ID, leaves[0].ID)
	})
}
