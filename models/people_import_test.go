package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// WritePeople's JSON-parameter batches store every field as given, past
// one batch, on both databases: joiners get their ids, movers are
// rewritten (a duplicate flag kept unless a new one is given), and each
// gets one event with its diff. EachPersonHash and KnownPhones read back
// what an import compares with.
func TestWritePeopleRoundTrips(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))

		fields := func(i int, title string) models.PersonFields {
			return models.PersonFields{ExternalID: fmt.Sprintf("E%04d", i), FirstName: "Zoë", LastName: `O'Brien "Jr"`,
				WorkEmail: fmt.Sprintf("p%d@example.com", i), Phone: "+442079460001", PhoneInput: "020 7946 0001", Country: "GB",
				Title: title, Status: models.StatusActive, StartDate: "2024-01-15", Groups: []string{"a", "b;c"},
				Custom: map[string]string{"laptop": "Model \\ 3"}}
		}
		const n = 1203 // more than one batch
		joiners := make([]models.PersonChange, n)
		for i := range joiners {
			f := fields(i, "Engineer")
			joiners[i] = models.PersonChange{Kind: models.EventJoined, Fields: f, Diff: []models.FieldChange{{Field: "title", New: "Engineer"}}}
		}
		touched, err := store.WritePeople(ctx, src.ID, run.ID, joiners)
		require.NoError(t, err)
		require.Len(t, touched, n)
		dup := touched[0]
		p, err := store.PersonByID(ctx, touched[7])
		require.NoError(t, err)
		want := fields(7, "Engineer")
		require.Equal(t, want, p.PersonFields)
		require.Equal(t, want.Hash(), p.Hash)
		require.Nil(t, p.DuplicateOfID)

		movers := []models.PersonChange{
			{Kind: models.EventChanged, PersonID: touched[7], Fields: fields(7, "Lead"), DuplicateOfID: &dup},
			{Kind: models.EventChanged, PersonID: touched[8], Fields: fields(8, "")},
		}
		_, err = store.WritePeople(ctx, src.ID, run.ID, movers)
		require.NoError(t, err)
		_, err = store.WritePeople(ctx, src.ID, run.ID, []models.PersonChange{{Kind: models.EventChanged, PersonID: touched[7], Fields: fields(7, "Head")}})
		require.NoError(t, err)
		p, err = store.PersonByID(ctx, touched[7])
		require.NoError(t, err)
		require.Equal(t, "Head", p.Title)
		require.Equal(t, &dup, p.DuplicateOfID, "kept when not given again")
		p, err = store.PersonByID(ctx, touched[8])
		require.NoError(t, err)
		require.Equal(t, "", p.Title, "a cleared value is written")
		events, err := store.PersonEvents(ctx, touched[7])
		require.NoError(t, err)
		require.Len(t, events, 3)
		require.Equal(t, []models.FieldChange{{Field: "title", New: "Engineer"}}, events[2].Diff)
		require.Equal(t, []models.FieldChange{}, events[0].Diff)

		hashes := map[string]models.PersonHash{}
		require.NoError(t, store.EachPersonHash(ctx, src.ID, func(ext string, h models.PersonHash) { hashes[ext] = h }))
		require.Len(t, hashes, n)
		cleared := fields(8, "")
		require.Equal(t, models.PersonHash{ID: touched[8], Hash: cleared.Hash(), Status: models.StatusActive}, hashes["E0008"])
		known, err := store.KnownPhones(ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]string{models.PhoneKey("020 7946 0001", "GB"): "+442079460001"}, known)

		require.NoError(t, store.UpdatePersonHashes(ctx, map[int64]string{touched[9]: "fresh"}))
		p, err = store.PersonByID(ctx, touched[9])
		require.NoError(t, err)
		require.Equal(t, "fresh", p.Hash)
	})
}
