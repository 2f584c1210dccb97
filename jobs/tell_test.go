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
			return (&jobs.Mailer{Store: store}).ChangesDone(ctx, tx, []*models.Change{c})
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

// Issue 8.1: the alert for a leaver says when each step ran, in the
// leaver's zone: the grant an "immediately" rule gave on approval, the
// rest on their last day.
func TestLeaverAlertMailShowsEachStepsTime(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		require.NoError(t, store.SetSetting(ctx, approver, models.SettingAlertAddresses, "it@example.com"))
		require.NoError(t, store.SetSetting(ctx, approver, models.SettingOrgTimezone, "America/New_York"))
		join := pendingJoin(t, store, time.Now().Add(-time.Hour))
		require.NoError(t, db.Gorm.Exec("UPDATE people SET timezone = 'Europe/Berlin', termination_date = '2030-06-30'").Error)
		github := join.Plan[0].AppID
		eng := join.Plan[1].EntitlementID
		admin, err := store.CreateEntitlement(ctx, approver, github, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin", Name: "admin"})
		require.NoError(t, err)
		acct := models.Account{PersonID: join.PersonID, AppID: github, RemoteID: "ada", Status: models.AccountActive}
		require.NoError(t, db.Gorm.Create(&acct).Error)
		for _, ent := range []int64{eng, admin.ID} {
			require.NoError(t, db.Gorm.Create(&models.Grant{AccountID: acct.ID, EntitlementID: ent, Params: map[string]string{}}).Error)
		}
		lastDay := time.Date(2030, 6, 30, 15, 0, 0, 0, time.UTC) // 17:00 CEST
		leave, err := store.ReplaceOpenChange(ctx, join.PersonID, &models.Change{Kind: models.ChangeLeave, Why: "{}", EffectiveAt: time.Now().Add(-time.Minute),
			Plan: []models.PlanStep{
				{Op: "revoke", AppID: github, EntitlementID: admin.ID, When: `on approval (immediately, rule "GitHub admins")`},
				{Op: "revoke", AppID: github, EntitlementID: eng, At: lastDay, When: `termination date at 17:00 (rule "Engineers")`},
				{Op: "delete", AppID: github, At: lastDay, When: "after the app's last revoke: termination date at 17:00"},
			}})
		require.NoError(t, err)
		_, _, err = (&jobs.Decisions{Store: store}).Approve(ctx, approver, models.Decision{ChangeIDs: []int64{leave.ID}})
		require.NoError(t, err)
		actions, err := store.ActionsOf(ctx, leave.ID)
		require.NoError(t, err)
		require.Len(t, actions, 3)
		for _, a := range actions {
			require.NoError(t, store.CompleteAction(ctx, approver, a.ID, models.AttemptResult{ResponseStatus: 200}, time.Now()))
		}

		alerts := outbox(t, store)[jobs.KindITAlert]
		require.Len(t, alerts, 1)
		a := alerts[0]
		require.Contains(t, a.TextBody, "When: GitHub admin: on approval · GitHub: 30 Jun 2030 17:00 Europe/Berlin\n")
		require.Contains(t, a.TextBody, "1. revoke GitHub: admin - done (HTTP 200) - on approval\n")
		require.Contains(t, a.TextBody, "2. revoke GitHub: eng - done (HTTP 200) - 30 Jun 2030 17:00 Europe/Berlin\n")
		require.Contains(t, a.TextBody, "3. delete GitHub - done (HTTP 200) - 30 Jun 2030 17:00 Europe/Berlin\n")
		require.NotContains(t, a.TextBody, "New_York", "the person's zone, not the organisation's")
		require.Contains(t, a.HTMLBody, "When: GitHub admin: on approval · GitHub: 30 Jun 2030 17:00 Europe/Berlin")
		require.Contains(t, a.HTMLBody, "<td>on approval</td>")
		require.Contains(t, a.HTMLBody, "<td>30 Jun 2030 17:00 Europe/Berlin</td>")
	})
}
