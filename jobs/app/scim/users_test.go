package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

func ada() scim.User {
	return scim.Build(scim.Person{
		EmployeeID: "E042", FirstName: "Ada", LastName: "Lovelace", WorkEmail: "ada@example.com",
		Title: "Engineer", Department: "Engineering",
	}, scim.DefaultMapping())
}

// emptyList is what a server whose search index lags answers.
var emptyList = scimtest.Reply{Status: 200, Body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`}

func TestCreateMakesTheAccount(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	got, err := newClient(t, srv).Create(context.Background(), ada())
	require.NoError(t, err)
	assert.False(t, got.Linked())
	stored, ok := srv.User(got.ID)
	require.True(t, ok)
	assert.Equal(t, "ada@example.com", stored["userName"])
	assert.Equal(t, "E042", stored["externalId"])
	assert.Equal(t, "Engineering", stored[scim.SchemaEnterprise].(map[string]any)["department"])
	assert.ElementsMatch(t, []any{scim.SchemaUser, scim.SchemaEnterprise}, stored["schemas"])
	assert.Equal(t, 2, srv.Count(http.MethodGet, "/Users"), "looked up by userName and externalId first")
	assert.Equal(t, 1, srv.Count(http.MethodPost, "/Users"))
}

func TestCreateLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing scimtest.User
		wantBy   string
	}{
		{"by userName, compared without case", scimtest.User{UserName: "ADA@Example.com"}, "userName"},
		{"by externalId when the userName changed", scimtest.User{UserName: "ada.old@example.com", ExternalID: "E042"}, "externalId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, scimtest.Options{})
			id := srv.AddUser(tt.existing)
			got, err := newClient(t, srv).Create(context.Background(), ada())
			require.NoError(t, err)
			assert.Equal(t, scim.Created{ID: id, LinkedBy: tt.wantBy}, got)
			assert.Zero(t, srv.Count(http.MethodPost, "/Users"))
			assert.Equal(t, 1, srv.UserCount())
		})
	}
}

// A 409 on the POST (the lookups missed: a lagging index, a concurrent
// writer) makes Create look again and link.
func TestCreateConflictThenLinks(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	srv.Queue(http.MethodGet, "/Users", emptyList, emptyList)

	got, err := newClient(t, srv).Create(context.Background(), ada())
	require.NoError(t, err)
	assert.Equal(t, scim.Created{ID: id, LinkedBy: "userName"}, got)
	assert.Equal(t, 1, srv.Count(http.MethodPost, "/Users"), "the POST answered 409")
	assert.Equal(t, 1, srv.UserCount())
}

// A 409 that the lookups cannot explain is the server's error, as is.
func TestCreateConflictUnexplained(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.Queue(http.MethodPost, "/Users", scimtest.Reply{Status: 409, SCIMType: "uniqueness", Detail: "email already used"})
	_, err := newClient(t, srv).Create(context.Background(), ada())
	require.ErrorIs(t, err, scim.ErrConflict)
	assert.Contains(t, err.Error(), "409 Conflict: uniqueness: email already used")
}

// The worker made the account, then crashed before recording its id; the
// retried Create links to it instead of making a second one, even when
// the server's search has not caught up.
func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv)
	first, err := c.Create(context.Background(), ada())
	require.NoError(t, err)

	again, err := c.Create(context.Background(), ada())
	require.NoError(t, err)
	assert.Equal(t, scim.Created{ID: first.ID, LinkedBy: "userName"}, again)

	srv.Queue(http.MethodGet, "/Users", emptyList, emptyList)
	lagging, err := c.Create(context.Background(), ada())
	require.NoError(t, err)
	assert.Equal(t, first.ID, lagging.ID)

	assert.Equal(t, 1, srv.UserCount())
	assert.Equal(t, 2, srv.Count(http.MethodPost, "/Users"), "the first create, and the one the lagging search let through to a 409")
}

// A timeout on the POST is retried by the job; the retry finds the user
// the lost answer had made.
func TestCreateAfterTimeoutLinks(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv)
	made, err := c.Create(context.Background(), ada())
	require.NoError(t, err)
	srv.Queue(http.MethodPost, "/Users", scimtest.Reply{Status: 504})
	got, err := c.Create(context.Background(), ada())
	require.NoError(t, err)
	assert.Equal(t, made.ID, got.ID)
	assert.Zero(t, srv.Count(http.MethodPost, "/Users")-1, "no second POST")
}

func TestCreateNeedsUserName(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	_, err := newClient(t, srv).Create(context.Background(), scim.User{ExternalID: "E1"})
	require.EqualError(t, err, "scim: a user needs a userName")
	assert.Zero(t, srv.Count("*", "*"))
}

// Quotes and backslashes in a userName cannot break out of the filter.
func TestCreateLookupEscapesFilterValues(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	tricky := `o"brien\" or userName pr or "x@example.com`
	srv.AddUser(scimtest.User{UserName: "someone.else@example.com"})
	id := srv.AddUser(scimtest.User{UserName: tricky})
	c := newClient(t, srv)

	got, err := c.Create(context.Background(), scim.User{UserName: tricky})
	require.NoError(t, err)
	assert.Equal(t, scim.Created{ID: id, LinkedBy: "userName"}, got)

	_, err = c.FindUser(context.Background(), "userName", `nobody" or userName pr or "`)
	assert.ErrorIs(t, err, scim.ErrNotFound, "an injected 'or userName pr' would have matched everyone")
}

func TestFindUserRefusesTwoMatches(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.AddUser(scimtest.User{UserName: "a@example.com", ExternalID: "E1"})
	srv.AddUser(scimtest.User{UserName: "b@example.com", ExternalID: "E1"})
	_, err := newClient(t, srv).FindUser(context.Background(), "externalId", "E1")
	require.EqualError(t, err, "scim: 2 users have the same externalId; link one by hand")
}

func TestFindUserByWorkEmail(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada", Email: "Ada@Example.com"})
	c := newClient(t, srv)
	for _, attr := range []string{"emails.value", `emails[type eq "work"].value`, "EMAILS.VALUE"} {
		u, err := c.FindUser(context.Background(), attr, "ada@example.com")
		require.NoError(t, err, attr)
		assert.Equal(t, id, u.ID, attr)
	}
	_, err := c.FindUser(context.Background(), `emails[type eq "home"].value`, "ada@example.com")
	assert.ErrorIs(t, err, scim.ErrNotFound)
}

func TestUpdateByPatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv)
	made, err := c.Create(context.Background(), ada())
	require.NoError(t, err)

	moved := ada()
	moved.Title = "Principal Engineer"
	moved.Name.FamilyName = "King"
	moved.Enterprise.Department = "Research"
	require.NoError(t, c.Update(context.Background(), made.ID, moved))

	stored, _ := srv.User(made.ID)
	assert.Equal(t, "Principal Engineer", stored["title"])
	assert.Equal(t, map[string]any{"givenName": "Ada", "familyName": "King"}, stored["name"])
	assert.Equal(t, "Research", stored[scim.SchemaEnterprise].(map[string]any)["department"])
	assert.Equal(t, "E042", stored[scim.SchemaEnterprise].(map[string]any)["employeeNumber"])
	assert.Equal(t, 1, srv.Count(http.MethodPatch, "/Users/"+made.ID))
	assert.Zero(t, srv.Count(http.MethodPut, "/Users/"+made.ID))
}

// The server's ServiceProviderConfig says no PATCH: updates go by PUT,
// which keeps what Roster does not manage.
func TestUpdateByPutWhenConfigSaysNoPatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{NoPatch: true})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com", GivenName: "Ada", FamilyName: "Lovelace"})
	c := newClient(t, srv)

	require.NoError(t, c.Update(context.Background(), id, scim.User{Title: "Engineer", Name: &scim.Name{FamilyName: "King"}}))
	require.NoError(t, c.Disable(context.Background(), id))

	stored, _ := srv.User(id)
	assert.Equal(t, "Engineer", stored["title"])
	assert.Equal(t, "ada@example.com", stored["userName"], "kept")
	assert.Equal(t, "Ada Lovelace", stored["displayName"], "kept")
	assert.Equal(t, map[string]any{"givenName": "Ada", "familyName": "King"}, stored["name"], "merged")
	assert.Equal(t, false, stored["active"])
	assert.Zero(t, srv.Count(http.MethodPatch, "*"))
	assert.Equal(t, 2, srv.Count(http.MethodPut, "/Users/"+id))
	assert.Equal(t, 1, srv.Count(http.MethodGet, "/ServiceProviderConfig"), "read once")
}

// Without a ServiceProviderConfig the client tries PATCH; a 501 makes it
// switch to PUT, and remember.
func TestUpdateFallsBackToPutOn501(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{NoPatch: true, NoServiceProviderConfig: true})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	c := newClient(t, srv)

	require.NoError(t, c.Update(context.Background(), id, scim.User{Title: "Engineer"}))
	require.NoError(t, c.Update(context.Background(), id, scim.User{Title: "Principal Engineer"}))

	stored, _ := srv.User(id)
	assert.Equal(t, "Principal Engineer", stored["title"])
	assert.Equal(t, 1, srv.Count(http.MethodPatch, "/Users/"+id), "PATCH tried once")
	assert.Equal(t, 2, srv.Count(http.MethodPut, "/Users/"+id))
}

// A 405 to PATCH means the same as a 501.
func TestUpdateFallsBackToPutOn405(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	srv.Queue(http.MethodPatch, "/Users/"+id, scimtest.Reply{Status: 405})
	c := newClient(t, srv)
	require.NoError(t, c.Disable(context.Background(), id))
	stored, _ := srv.User(id)
	assert.Equal(t, false, stored["active"])
	assert.Equal(t, 1, srv.Count(http.MethodPut, "/Users/"+id))
}

func TestDisableByPatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	c := newClient(t, srv)
	require.NoError(t, c.Disable(context.Background(), id))
	stored, _ := srv.User(id)
	assert.Equal(t, false, stored["active"])
	u, err := c.GetUser(context.Background(), id)
	require.NoError(t, err)
	assert.False(t, u.IsActive())
}

// A 404 on update or disable matches ErrNotFound, by PATCH and by PUT.
func TestChangesToAMissingUser(t *testing.T) {
	t.Parallel()
	for _, noPatch := range []bool{false, true} {
		srv := newServer(t, scimtest.Options{NoPatch: noPatch})
		c := newClient(t, srv)
		err := c.Update(context.Background(), "404", scim.User{Title: "x"})
		assert.ErrorIs(t, err, scim.ErrNotFound, "update, no PATCH: %v", noPatch)
		err = c.Disable(context.Background(), "404")
		assert.ErrorIs(t, err, scim.ErrNotFound, "disable, no PATCH: %v", noPatch)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	c := newClient(t, srv)
	require.NoError(t, c.Delete(context.Background(), id))
	require.NoError(t, c.Delete(context.Background(), id), "already gone counts as deleted")
	assert.Zero(t, srv.UserCount())
	assert.Equal(t, 2, srv.Count(http.MethodDelete, "/Users/"+id))
}

func TestUpdateWithNothingToSetSendsNothing(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	require.NoError(t, newClient(t, srv).Update(context.Background(), "1", scim.User{}))
	assert.Zero(t, srv.Count("*", "*"))
}
