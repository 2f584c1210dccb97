package jobs_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/manual"
	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
	"github.com/rosterhq/roster/rules"
)

// An app of a kind no connector is registered for is not acted on: its
// actions fail, saying so, and nothing is called.
func TestActionOfAnUnknownKindFails(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		rcv := &receiver{calls: map[string]int{}}
		change, _ := startExecution(t, db, store, rcv, jobs.Options{Connectors: connector.NewRegistry(manual.Kind())})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)
		a := firstAction(t, store, change.ID)
		require.Equal(t, models.ActionFailed, a.Status)
		require.Equal(t, "Roster cannot act on GitHub: no connector for webhook apps", a.LastError)
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		require.Empty(t, rcv.calls)
	})
}

// The worker asks the kind what it supports: an operation it does not
// declare fails at once, and the app is not called for it.
func TestUnsupportedOperationFails(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		accountsOnly := webhook.Kind()
		accountsOnly.Capabilities = connector.Capabilities{AccountOps: []rules.Op{rules.OpCreateAccount}, CallsApp: true}
		rcv := &receiver{calls: map[string]int{}, status: http.StatusOK}
		change, _ := startExecution(t, db, store, rcv, jobs.Options{Connectors: connector.NewRegistry(accountsOnly)})
		c := waitSettled(t, store, change.ID)
		require.Equal(t, models.ChangeFailed, c.Status)
		actions, err := store.ActionsOf(t.Context(), change.ID)
		require.NoError(t, err)
		require.Len(t, actions, 2)
		require.Equal(t, models.ActionDone, actions[0].Status, "the account was created")
		require.Equal(t, models.ActionFailed, actions[1].Status)
		require.Equal(t, "webhook apps cannot grant group entitlements", actions[1].LastError)
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		require.Equal(t, []string{"create_account"}, rcv.ops)
	})
}
