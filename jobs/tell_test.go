package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// completeJoin approves a join for Ada (GitHub account + group eng) with
// a River client that is not started, then completes every action
// directly, as the worker or a task marked done would.
func completeJoin(t *testing.T, db *models.DB, store *models.Store, settings map[string]string) *models.Change {
	t.Helper()
	ctx := context.Background()
	_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	for k, v := range settings {
		require.NoError(t, store.SetSetting(ctx, approver, k, v))
	}
	change := pendingJoin(t, store, time.Now().Add(-time.Hour))
	_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
	require.NoError(t, err)
	actions, err := store.ActionsOf(ctx, change.ID)
	require.NoError(t, err)
	require.Len(t, actions, 2)
	for _, a := range actions {
		require.NoError(t, store.CompleteAction(ctx, approver, a.ID, models.AttemptResult{ResponseStatus: 200}, time.Now()))
	}
	c, err := store.ChangeByID(ctx, change.ID)
	require.NoError(t, err)
	require.Equal(t, models.ChangeDone, c.Status)
	return c
}

func outbox(t *testing.T, store *models.Store) map[string][]models.Email {
	t.Helper()
	emails, _, err := store.ListEmails(context.Background(), "", 0, 100)
	require.NoError(t, err)
	out := map[string][]models.Email{}
	for _, e := range emails {
		out[e.Kind] = append(out[e.Kind], e)
	}
	return out
}

func TestDoneJoinQueuesWelcomeAndAlertOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		c := completeJoin(t, db, store, map[string]string{models.SettingAlertAddresses: "it@example.com, Security <sec@example.com>"})

		mail := outbox(t, store)
		require.Len(t, mail, 2)
		require.Len(t, mail[jobs.KindWelcome], 1)
		require.Len(t, mail[jobs.KindITAlert], 1)

		w := mail[jobs.KindWelcome][0]
		require.Equal(t, []string{"ada@example.com"}, w.To)
		require.Equal(t, "Welcome to the team, Ada: your accounts are ready", w.Subject)
		require.Contains(t, w.TextBody, "- GitHub\n    - eng")
		require.Contains(t, w.HTMLBody, "<strong>GitHub</strong>")
		require.Contains(t, w.HTMLBody, "<li>eng</li>")
		require.Equal(t, models.EmailPending, w.Status)

		a := mail[jobs.KindITAlert][0]
		require.Equal(t, []string{"it@example.com", "sec@example.com"}, a.To)
		require.Equal(t, "[Roster] Ada Lovelace: join carried out (2 actions)", a.Subject)
		require.Contains(t, a.TextBody, "1. create_account GitHub - done (HTTP 200)")
		require.Contains(t, a.TextBody, "2. grant GitHub: eng - done (HTTP 200)")
		require.Contains(t, a.HTMLBody, "<td>GitHub</td>")
		require.Contains(t, a.HTMLBody, "<td>eng</td>")

		// Completing again changes nothing, and a second settle is deduped.
		actions, err := store.ActionsOf(ctx, c.ID)
		require.NoError(t, err)
		require.NoError(t, store.CompleteAction(ctx, approver, actions[1].ID, models.AttemptResult{}, time.Now()))
		require.NoError(t, store.WithTx(ctx, func(tx *models.Store) error {
			return (&jobs.Mailer{Store: store}).ChangeDone(ctx, tx, c)
		}))
		mail = outbox(t, store)
		require.Len(t, mail[jobs.KindWelcome], 1)
		require.Len(t, mail[jobs.KindITAlert], 1)
	})
}

func TestNoAlertWithoutAlertAddresses(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		completeJoin(t, db, store, nil)
		mail := outbox(t, store)
		require.Len(t, mail[jobs.KindWelcome], 1)
		require.Empty(t, mail[jobs.KindITAlert])
	})
}

func TestWelcomeToPersonalAddress(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, store.SetSetting(ctx, approver, models.SettingWelcomeAddress, models.WelcomePersonal))
		change := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE people SET personal_email = 'ada@home.example'").Error)
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{change.ID}})
		require.NoError(t, err)
		actions, err := store.ActionsOf(ctx, change.ID)
		require.NoError(t, err)
		for _, a := range actions {
			require.NoError(t, store.CompleteAction(ctx, approver, a.ID, models.AttemptResult{}, time.Now()))
			require.Empty(t, outbox(t, store), "nothing before the last action")
			break
		}
		require.NoError(t, store.CompleteAction(ctx, approver, actions[1].ID, models.AttemptResult{}, time.Now()))
		mail := outbox(t, store)
		require.Len(t, mail[jobs.KindWelcome], 1)
		require.Equal(t, []string{"ada@home.example"}, mail[jobs.KindWelcome][0].To)
	})
}

func TestWelcomeFallsBackToWorkAddress(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		completeJoin(t, db, store, map[string]string{models.SettingWelcomeAddress: models.WelcomePersonal})
		mail := outbox(t, store)
		require.Len(t, mail[jobs.KindWelcome], 1)
		require.Equal(t, []string{"ada@example.com"}, mail[jobs.KindWelcome][0].To, "no personal address: the work one")
	})
}
