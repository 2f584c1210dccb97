package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func newEmail(subject string) *models.Email {
	return &models.Email{Kind: "test", To: []string{"Lovelace, Ada <ada@example.com>"}, Subject: subject,
		TextBody: "Hello", HTMLBody: "<p>Hello</p>"}
}

func TestQueueEmail(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		var sentIDs []int64
		send := func(tx *models.Store, e *models.Email) error {
			sentIDs = append(sentIDs, e.ID)
			return nil
		}
		e := newEmail("Welcome")
		queued, err := store.QueueEmail(ctx, e, send)
		require.NoError(t, err)
		require.True(t, queued)
		require.NotZero(t, e.ID)
		require.Equal(t, []int64{e.ID}, sentIDs, "send sees the new row's id")

		got, err := store.EmailByID(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, models.EmailPending, got.Status)
		require.Equal(t, []string{"Lovelace, Ada <ada@example.com>"}, got.To, "a comma in a name survives")
		require.Equal(t, "<p>Hello</p>", got.HTMLBody)
		require.Nil(t, got.DedupeKey)

		t.Run("without a dedupe key every email is queued", func(t *testing.T) {
			queued, err := store.QueueEmail(ctx, newEmail("Welcome"), nil)
			require.NoError(t, err)
			require.True(t, queued)
		})

		t.Run("a dedupe key queues once", func(t *testing.T) {
			sentIDs = nil
			key := "digest:admin:12:2026-11-25"
			first := newEmail("Digest")
			first.DedupeKey = &key
			queued, err := store.QueueEmail(ctx, first, send)
			require.NoError(t, err)
			require.True(t, queued)
			second := newEmail("Digest again")
			second.DedupeKey = &key
			queued, err = store.QueueEmail(ctx, second, send)
			require.NoError(t, err)
			require.False(t, queued)
			require.Zero(t, second.ID)
			require.Equal(t, []int64{first.ID}, sentIDs, "no job for the duplicate")
		})

		t.Run("an unsendable email is refused", func(t *testing.T) {
			_, err := store.QueueEmail(ctx, &models.Email{Kind: "test", Subject: "x", TextBody: "x"}, nil)
			require.ErrorContains(t, err, "no recipient")
		})
	})
}

func TestQueueEmailRollsBackWithItsJob(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		boom := errors.New("job insert failed")
		_, err := store.QueueEmail(ctx, newEmail("Lost"), func(*models.Store, *models.Email) error { return boom })
		require.ErrorIs(t, err, boom)
		emails, _, err := store.ListEmails(ctx, "", 0, 10)
		require.NoError(t, err)
		require.Empty(t, emails, "a failed job insert leaves no email")

		// Inside an outer transaction that rolls back, the email goes too.
		errRollback := errors.New("roll back")
		err = store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.QueueEmail(ctx, newEmail("Also lost"), nil); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		emails, _, err = store.ListEmails(ctx, "", 0, 10)
		require.NoError(t, err)
		require.Empty(t, emails)
	})
}

func TestListEmailsAndOutcomes(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		var ids []int64
		for _, s := range []string{"one", "two", "three", "four", "five"} {
			e := newEmail(s)
			_, err := store.QueueEmail(ctx, e, nil)
			require.NoError(t, err)
			ids = append(ids, e.ID)
		}
		now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
		require.NoError(t, store.MarkEmailSent(ctx, ids[0], now))
		require.NoError(t, store.RecordEmailFailure(ctx, ids[1], "421 try later", false))
		require.NoError(t, store.RecordEmailFailure(ctx, ids[2], "421 try later", false))
		require.NoError(t, store.RecordEmailFailure(ctx, ids[2], "550 no such user", true))
		require.ErrorIs(t, store.MarkEmailSent(ctx, 99999, now), models.ErrNotFound)
		_, err := store.EmailByID(ctx, 99999)
		require.ErrorIs(t, err, models.ErrNotFound)

		sent, err := store.EmailByID(ctx, ids[0])
		require.NoError(t, err)
		require.Equal(t, models.EmailSent, sent.Status)
		require.Equal(t, 1, sent.Attempts)
		require.NotNil(t, sent.SentAt)
		require.True(t, now.Equal(*sent.SentAt))

		retrying, err := store.EmailByID(ctx, ids[1])
		require.NoError(t, err)
		require.Equal(t, models.EmailPending, retrying.Status, "a temporary failure stays pending")
		require.Equal(t, 1, retrying.Attempts)
		require.Equal(t, "421 try later", retrying.LastError)

		failed, err := store.EmailByID(ctx, ids[2])
		require.NoError(t, err)
		require.Equal(t, models.EmailFailed, failed.Status)
		require.Equal(t, 2, failed.Attempts)
		require.Equal(t, "550 no such user", failed.LastError)

		page1, more, err := store.ListEmails(ctx, "", 0, 2)
		require.NoError(t, err)
		require.True(t, more)
		require.Equal(t, []int64{ids[4], ids[3]}, emailIDs(page1), "newest first")
		page2, more, err := store.ListEmails(ctx, "", page1[1].ID, 2)
		require.NoError(t, err)
		require.True(t, more)
		require.Equal(t, []int64{ids[2], ids[1]}, emailIDs(page2))
		page3, more, err := store.ListEmails(ctx, "", page2[1].ID, 2)
		require.NoError(t, err)
		require.False(t, more)
		require.Equal(t, []int64{ids[0]}, emailIDs(page3))

		pending, _, err := store.ListEmails(ctx, models.EmailPending, 0, 10)
		require.NoError(t, err)
		require.Equal(t, []int64{ids[4], ids[3], ids[1]}, emailIDs(pending))
		pendingIDs, err := store.PendingEmailIDs(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, []int64{ids[1], ids[3], ids[4]}, pendingIDs, "oldest first")
	})
}

func emailIDs(emails []models.Email) []int64 {
	var ids []int64
	for _, e := range emails {
		ids = append(ids, e.ID)
	}
	return ids
}
