package hrsync_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// benchPeople is a 20 000-person snapshot; version changes the title of
// every hundredth person, so two versions differ in 200 people.
func benchPeople(version int) []models.PersonFields {
	out := make([]models.PersonFields, 20000)
	for i := range out {
		ext := fmt.Sprintf("E%05d", i)
		f := models.PersonFields{ExternalID: ext, FirstName: "First" + ext, LastName: "Last", WorkEmail: "p" + ext + "@example.com",
			Phone: fmt.Sprintf("+1555%07d", i), Title: "Engineer", Department: fmt.Sprintf("Dept %d", i%40),
			Team: fmt.Sprintf("Team %d", i%200), Location: "Berlin", Country: "DE", EmploymentType: "full_time",
			Status: models.StatusActive, StartDate: "2024-01-15", ManagerID: fmt.Sprintf("E%05d", i/10),
			Groups: []string{"staff", fmt.Sprintf("dept-%d", i%40)}, Custom: map[string]string{"shirt": "M", "desk": ext}}
		if i%100 == 0 && version > 0 {
			f.Title = fmt.Sprintf("Engineer v%d", version)
		}
		out[i] = f
	}
	return out
}

// BenchmarkImport20000 imports a 20 000-person CSV source on SQLite
// through the command-line path (detect, brake, write, audit).
func BenchmarkImport20000(b *testing.B) {
	ctx := context.Background()
	setup := func(b *testing.B) (*hrsync.Syncer, *models.Store) {
		store := models.NewStore(modelstest.Open(b, models.SQLite))
		return &hrsync.Syncer{Store: store}, store
	}
	source := func(b *testing.B, store *models.Store, name string) *models.Source {
		src, err := store.EnsureCSVSource(ctx, models.CLIActor, name)
		if err != nil {
			b.Fatal(err)
		}
		return src
	}
	run := func(b *testing.B, s *hrsync.Syncer, src *models.Source, records []models.PersonFields, want func(hrsync.Outcome) bool) {
		_, out, err := s.Import(ctx, models.CLIActor, src, "cli", "people.csv", records, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !want(out) {
			b.Fatalf("unexpected outcome: %s", out.Summary())
		}
	}

	b.Run("first", func(b *testing.B) {
		s, store := setup(b)
		records := benchPeople(0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			src := source(b, store, fmt.Sprintf("HR %d", i)) // an empty source each time
			b.StartTimer()
			run(b, s, src, records, func(o hrsync.Outcome) bool { return o.Counts.Joiners == 20000 })
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		s, store := setup(b)
		src := source(b, store, "HR")
		records := benchPeople(0)
		run(b, s, src, records, func(o hrsync.Outcome) bool { return o.Applied })
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			run(b, s, src, records, func(o hrsync.Outcome) bool { return o.Counts.Unchanged == 20000 })
		}
	})
	b.Run("one_percent_changed", func(b *testing.B) {
		s, store := setup(b)
		src := source(b, store, "HR")
		run(b, s, src, benchPeople(0), func(o hrsync.Outcome) bool { return o.Applied })
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			records := benchPeople(i + 1)
			b.StartTimer()
			run(b, s, src, records, func(o hrsync.Outcome) bool { return o.Counts.Movers == 200 && o.Counts.Unchanged == 19800 })
		}
	})
}
