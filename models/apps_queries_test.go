package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestEntitlementCounts(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		counts, err := store.EntitlementCounts(ctx)
		require.NoError(t, err)
		require.Empty(t, counts)

		newApp := func(name string) *models.App {
			a, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: name, DeprovisionMode: models.DeprovisionDisable})
			require.NoError(t, err)
			return a
		}
		github, card, laptop := newApp("GitHub"), newApp("Card"), newApp("Laptop")
		for _, key := range []string{"eng", "admin", "ops"} {
			_, err := store.CreateEntitlement(ctx, tester, github.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: key})
			require.NoError(t, err)
		}
		_, err = store.CreateEntitlement(ctx, tester, card.ID, models.EntitlementInput{Kind: models.EntitlementAttribute, Key: "card",
			Params: []models.ParamSpec{{Name: "spend_limit", Type: models.ParamNumber, Required: true}}})
		require.NoError(t, err)

		counts, err = store.EntitlementCounts(ctx)
		require.NoError(t, err)
		require.Equal(t, map[int64]int{github.ID: 3, card.ID: 1}, counts)
		require.Zero(t, counts[laptop.ID])
	})
}
