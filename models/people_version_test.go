package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// PeopleVersion moves with every person and account written, so the
// rules preview's snapshot is never served after HR data changed.
func TestPeopleVersion(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		version := func() string {
			t.Helper()
			v, err := store.PeopleVersion(ctx)
			require.NoError(t, err)
			return v
		}
		empty := version()
		require.Equal(t, empty, version(), "nothing written, nothing moves")

		src, err := store.EnsureCSVSource(ctx, models.CLIActor, "HR")
		require.NoError(t, err)
		p := models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", Status: models.StatusActive, Groups: []string{}, Custom: map[string]string{}}}
		require.NoError(t, db.Gorm.Create(&p).Error)
		added := version()
		require.NotEqual(t, empty, added, "a person added")

		// Later than the row's own timestamp, whatever the clock's
		// resolution on this database.
		require.NoError(t, db.Gorm.Model(&p).Updates(map[string]any{"department": "Engineering", "updated_at": p.UpdatedAt.Add(time.Second)}).Error)
		updated := version()
		require.NotEqual(t, added, updated, "a person updated")

		app, err := store.CreateApp(ctx, models.CLIActor, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		acct := models.Account{PersonID: p.ID, AppID: app.ID, Status: "active"}
		require.NoError(t, db.Gorm.Create(&acct).Error)
		withAccount := version()
		require.NotEqual(t, updated, withAccount, "an account added")
		require.NoError(t, db.Gorm.Model(&acct).Updates(map[string]any{"status": "disabled", "updated_at": acct.UpdatedAt.Add(time.Second)}).Error)
		require.NotEqual(t, withAccount, version(), "an account updated")
	})
}
