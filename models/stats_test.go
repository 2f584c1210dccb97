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

// TestRefreshStats: after a bulk write, the planner's statistics know the
// rows are there (PostgreSQL's reltuples, SQLite's sqlite_stat1), so an
// index on changes is chosen over a scan.
func TestRefreshStats(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.CreateSource(ctx, models.CLIActor, models.SourceInput{Name: "HR", Kind: models.SourceCSV})
		if err != nil {
			t.Fatal(err)
		}
		people := make([]*models.Person, 2000)
		for i := range people {
			people[i] = &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{ExternalID: fmt.Sprintf("E%05d", i),
				FirstName: "P", LastName: fmt.Sprint(i), Status: models.StatusActive, Groups: []string{}, Custom: map[string]string{}}}
		}
		if err := db.Gorm.CreateInBatches(people, 500).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		changes := make([]*models.Change, len(people))
		for i, p := range people {
			changes[i] = &models.Change{PersonID: p.ID, Kind: models.ChangeJoin, Status: models.ChangePending, Why: "{}", Plan: []models.PlanStep{},
				EffectiveAt: now, CreatedAt: now, UpdatedAt: now}
		}
		if err := db.Gorm.CreateInBatches(changes, 500).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.RefreshStats(ctx); err != nil {
			t.Fatal(err)
		}
		var rows float64
		switch db.Dialect {
		case models.Postgres:
			err = db.Gorm.Raw(`SELECT reltuples FROM pg_class WHERE oid = 'changes'::regclass`).Scan(&rows).Error
		default:
			var n int64
			err = db.Gorm.Raw(`SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'changes'`).Scan(&n).Error
			rows = float64(n)
		}
		if err != nil {
			t.Fatal(err)
		}
		if rows <= 0 {
			t.Fatalf("no statistics for changes after RefreshStats (%v)", rows)
		}
		// Inside a transaction it refuses rather than analyze half a write.
		err = store.WithTx(ctx, func(tx *models.Store) error { return tx.RefreshStats(ctx) })
		if err == nil {
			t.Fatal("RefreshStats ran inside a transaction")
		}
	})
}

// Statistics are refreshed each time a bulk write doubles what it has
// written past BulkRows, not on every batch and not only at the end.
func TestStatsDue(t *testing.T) {
	var marks []int
	for done := 0; done < 100000; done += 500 {
		if models.StatsDue(done, done+500) {
			marks = append(marks, done+500)
		}
	}
	require.Equal(t, []int{1000, 2000, 4000, 8000, 16000, 32000, 64000}, marks)
	require.False(t, models.StatsDue(0, models.BulkRows-1))
	require.True(t, models.StatsDue(0, 100000), "one write past several marks refreshes once")
}
