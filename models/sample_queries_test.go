package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestSampleCalls(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		call := models.SampleReceiverCall{IdempotencyKey: "k1", Op: "grant", Person: "Lena Schmidt", Entitlement: "eng"}
		dup, err := store.RecordSampleCall(ctx, call, at)
		require.NoError(t, err)
		require.False(t, dup)
		dup, err = store.RecordSampleCall(ctx, call, at.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, dup)
		_, err = store.RecordSampleCall(ctx, models.SampleReceiverCall{IdempotencyKey: "k2", Op: "create_account"}, at.Add(time.Hour))
		require.NoError(t, err)

		calls, err := store.ListSampleCalls(ctx, 10)
		require.NoError(t, err)
		require.Len(t, calls, 2)
		require.Equal(t, "k2", calls[0].IdempotencyKey)
		require.Equal(t, "k1", calls[1].IdempotencyKey)
		require.Equal(t, 1, calls[1].Duplicates)
		require.Equal(t, "Lena Schmidt", calls[1].Person)
	})
}

func TestSampleTaskAssignee(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		ctx := context.Background()
		who, err := store.SampleTaskAssignee(ctx, models.CLIActor)
		require.NoError(t, err)
		require.Nil(t, who, "nobody to give tasks to")

		approver, err := store.CreateAdmin(ctx, tester, "approver@example.com", "", models.RoleApprover)
		require.NoError(t, err)
		viewer, err := store.CreateAdmin(ctx, tester, "viewer@example.com", "", models.RoleViewer)
		require.NoError(t, err)
		who, err = store.SampleTaskAssignee(ctx, models.CLIActor)
		require.NoError(t, err)
		require.Equal(t, approver.ID, who.ID, "an approver when there is nobody above")

		first, err := store.CreateAdmin(ctx, tester, "first-owner@example.com", "", models.RoleOwner)
		require.NoError(t, err)
		second, err := store.CreateAdmin(ctx, tester, "second-owner@example.com", "", models.RoleOwner)
		require.NoError(t, err)
		_, err = store.CreateAdmin(ctx, tester, "admin@example.com", "", models.RoleAdmin)
		require.NoError(t, err)
		require.NoError(t, store.SetAdminDisabled(ctx, tester, first.ID, true))
		who, err = store.SampleTaskAssignee(ctx, models.CLIActor)
		require.NoError(t, err)
		require.Equal(t, second.ID, who.ID, "from the command line: the first active owner")

		who, err = store.SampleTaskAssignee(ctx, models.Actor{AdminID: approver.ID, Email: approver.Email})
		require.NoError(t, err)
		require.Equal(t, approver.ID, who.ID, "the admin loading it")
		who, err = store.SampleTaskAssignee(ctx, models.Actor{AdminID: viewer.ID, Email: viewer.Email})
		require.NoError(t, err)
		require.Equal(t, second.ID, who.ID, "unless they cannot take tasks")
	})
}
