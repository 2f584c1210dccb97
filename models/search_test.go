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

// TestSearchMatchesWildcardsLiterally searches people and Team Updates
// for LIKE's wildcards and escape character: each matches only itself,
// on both databases. The two lists search the same fields: a preferred
// name finds its person in both.
func TestSearchMatchesWildcardsLiterally(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		app, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		names := []string{"Fifty%Off", "FiftyXOff", "Snake_Case", "SnakeXCase", `Back\Slash`, "BackSlash", "Preferred"}
		for i, last := range names {
			first, preferred := "Person", ""
			if last == "Preferred" {
				first, preferred = "Robert", "Bob"
			}
			p := &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{
				ExternalID: fmt.Sprintf("S%03d", i), FirstName: first, PreferredName: preferred, LastName: last,
				WorkEmail: fmt.Sprintf("s%d@example.com", i), Status: models.StatusActive,
				Groups: []string{}, Custom: map[string]string{}}}
			p.Hash = p.PersonFields.Hash()
			require.NoError(t, db.Gorm.Create(p).Error)
			_, err := store.ReplaceOpenChange(ctx, p.ID, &models.Change{Kind: models.ChangeJoin, Why: "{}",
				EffectiveAt: time.Now().Add(time.Hour), Plan: []models.PlanStep{{Op: "create_account", AppID: app.ID}}})
			require.NoError(t, err)
		}
		for _, tt := range []struct {
			search string
			want   []string
		}{
			{"%", []string{"Fifty%Off"}},
			{"y%o", []string{"Fifty%Off"}},
			{"_", []string{"Snake_Case"}},
			{"E_C", []string{"Snake_Case"}},
			{`\`, []string{`Back\Slash`}},
			{`k\s`, []string{`Back\Slash`}},
			{`\%`, nil},
			{"fifty", []string{"Fifty%Off", "FiftyXOff"}},
			{"BOB", []string{"Preferred"}}, // by preferred name, in either list
			{"robert pref", []string{"Preferred"}},
			{"s006", []string{"Preferred"}},
		} {
			people, total, err := store.ListPeople(ctx, models.PeopleFilter{Search: tt.search})
			require.NoError(t, err, tt.search)
			var got []string
			for _, p := range people {
				got = append(got, p.LastName)
			}
			require.ElementsMatch(t, tt.want, got, "people matching %q", tt.search)
			require.EqualValues(t, len(tt.want), total, "people matching %q", tt.search)

			rows, total, err := store.ListChanges(ctx, models.ChangeFilter{Queue: models.QueueInvite, Search: tt.search})
			require.NoError(t, err, tt.search)
			got = nil
			for _, r := range rows {
				got = append(got, r.Person.LastName)
			}
			require.ElementsMatch(t, tt.want, got, "changes matching %q", tt.search)
			require.EqualValues(t, len(tt.want), total, "changes matching %q", tt.search)
		}
	})
}
