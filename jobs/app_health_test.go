package jobs_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// An app that keeps failing sends IT/security one alert, not one per
// attempt: a receiver answering 503 to every one of an action's eight
// attempts queues exactly one failing-app mail, with the last answer.
func TestFailingAppAlertsOnce(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		require.NoError(t, store.SetSetting(ctx, approver, models.SettingAlertAddresses, "security@example.com"))
		rcv := &receiver{calls: map[string]int{}, failures: 1000, status: http.StatusServiceUnavailable}
		change, _ := startExecution(t, db, store, rcv, jobs.Options{MaxCalls: 8})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)

		rcv.mu.Lock()
		calls := 0
		for _, n := range rcv.calls {
			calls += n
		}
		rcv.mu.Unlock()
		require.Equal(t, 8, calls)
		emails, _, err := store.ListEmails(ctx, "", 0, 100)
		require.NoError(t, err)
		var alerts []models.Email
		for _, e := range emails {
			if e.Kind == jobs.KindAppFailing {
				alerts = append(alerts, e)
			}
		}
		require.Len(t, alerts, 1, "one alert for the streak")
		require.Equal(t, []string{"security@example.com"}, []string(alerts[0].To))
		require.Equal(t, "[Roster] GitHub keeps failing: 5 calls in a row", alerts[0].Subject)
		require.Contains(t, alerts[0].TextBody, "503 Service Unavailable")
		app, err := store.AppByID(ctx, c.Plan[0].AppID)
		require.NoError(t, err)
		require.Equal(t, 8, app.FailedCalls)
		require.NotNil(t, app.AlertedAt)
	})
}
