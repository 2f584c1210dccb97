package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

func collectUsers(t *testing.T, c *scim.Client, pageSize int) ([]scim.User, []int) {
	t.Helper()
	var users []scim.User
	var pages []int
	require.NoError(t, c.ListUsers(context.Background(), pageSize, func(page []scim.User) error {
		users = append(users, page...)
		pages = append(pages, len(page))
		return nil
	}))
	return users, pages
}

// 2,500 users, asked 500 at a time from a server that sends at most 100.
func TestListUsersPagesCapped(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{MaxPageSize: 100})
	ids := srv.AddUsers(2500)
	users, pages := collectUsers(t, newClient(t, srv), 500)

	require.Len(t, users, 2500)
	seen := map[string]bool{}
	for i, u := range users {
		assert.Equal(t, ids[i], u.ID)
		seen[u.ID] = true
	}
	assert.Len(t, seen, 2500, "no user twice")
	assert.Len(t, pages, 25)
	assert.Equal(t, 25, srv.Count(http.MethodGet, "/Users"), "no request past the end")
	assert.Equal(t, fmt.Sprintf("user%05d@example.com", 2500), users[2499].UserName)
}

func TestListUsersHabits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      scimtest.Options
		users     int
		pageSize  int
		wantPages []int
	}{
		{"no users and no Resources", scimtest.Options{OmitEmptyResources: true}, 0, 10, nil},
		{"no users, empty Resources", scimtest.Options{}, 0, 10, nil},
		{"no itemsPerPage", scimtest.Options{OmitItemsPerPage: true}, 25, 10, []int{10, 10, 5}},
		{"an exact number of pages", scimtest.Options{}, 20, 10, []int{10, 10}},
		{"short pages without itemsPerPage", scimtest.Options{MaxPageSize: 7, OmitItemsPerPage: true}, 20, 10, []int{7, 7, 6}},
		{"page size 0 means the default", scimtest.Options{}, 3, 0, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.opts)
			srv.AddUsers(tt.users)
			users, pages := collectUsers(t, newClient(t, srv), tt.pageSize)
			assert.Len(t, users, tt.users)
			assert.Equal(t, tt.wantPages, pages)
		})
	}
}

// A server that answers more results than it will ever send stops at the
// first empty page.
func TestListUsersStopsAtAnEmptyPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.AddUsers(3)
	srv.Queue(http.MethodGet, "/Users",
		scimtest.Reply{Status: 200, Body: `{"totalResults":10,"Resources":[{"id":"1","userName":"a"},{"id":"2","userName":"b"}]}`},
		scimtest.Reply{Status: 200, Body: `{"totalResults":10}`})
	users, _ := collectUsers(t, newClient(t, srv), 2)
	assert.Len(t, users, 2)
	assert.Equal(t, 2, srv.Count(http.MethodGet, "/Users"))
}

// A server that ignores startIndex would send page one forever.
func TestListUsersRefusesTheSamePageAgain(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	page := scimtest.Reply{Status: 200, Body: `{"totalResults":10,"Resources":[{"id":"1","userName":"a"},{"id":"2","userName":"b"}]}`}
	srv.Queue(http.MethodGet, "/Users", page, page)
	err := newClient(t, srv).ListUsers(context.Background(), 2, func([]scim.User) error { return nil })
	require.ErrorContains(t, err, "the server sent the same page again for startIndex 3")
}

func TestListUsersStopsOnTheCallersError(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	srv.AddUsers(30)
	stop := errors.New("enough")
	err := newClient(t, srv).ListUsers(context.Background(), 10, func([]scim.User) error { return stop })
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, srv.Count(http.MethodGet, "/Users"))
}

// A 429 in the middle of a listing is sat through, and the listing goes on
// where it was.
func TestListUsersRetriesAPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{MaxPageSize: 10})
	srv.AddUsers(30)
	c := newClient(t, srv, func(cfg *scim.Config) { cfg.Attempts = 2 })
	recordWaits(c)
	n := 0
	err := c.ListUsers(context.Background(), 10, func(page []scim.User) error {
		n += len(page)
		if n == 10 {
			srv.Queue(http.MethodGet, "/Users", scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "1"}})
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 30, n)
	assert.Equal(t, 4, srv.Count(http.MethodGet, "/Users"))
}

func TestListGroupsAndAccounts(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{MaxPageSize: 2})
	ids := srv.AddUsers(3)
	eng := srv.AddGroup("Engineering", ids[0], ids[1])
	ops := srv.AddGroup("On call", ids[1])
	srv.AddGroup("Empty")
	c := newClient(t, srv)

	var groups []scim.Group
	require.NoError(t, c.ListGroups(context.Background(), 10, func(page []scim.Group) error {
		groups = append(groups, page...)
		return nil
	}))
	require.Len(t, groups, 3)
	assert.Equal(t, []scim.GroupRef{{Value: ids[0], Type: "User"}, {Value: ids[1], Type: "User"}}, groups[0].Members)

	got := map[string][]scim.GroupRef{}
	require.NoError(t, c.ListAccounts(context.Background(), 10, func(page []scim.Account) error {
		for _, a := range page {
			got[a.User.UserName] = a.Groups
		}
		return nil
	}))
	assert.Equal(t, map[string][]scim.GroupRef{
		"user00001@example.com": {{Value: eng, Display: "Engineering"}},
		"user00002@example.com": {{Value: eng, Display: "Engineering"}, {Value: ops, Display: "On call"}},
		"user00003@example.com": nil,
	}, got)
}
