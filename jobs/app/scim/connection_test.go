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

func TestTestConnection(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{MaxPageSize: 100})
	srv.AddUsers(42)
	c := newClient(t, srv)

	conn, err := c.TestConnection(context.Background())
	require.NoError(t, err)
	assert.Equal(t, scim.Connection{
		PatchSupported: true, FilterSupported: true, FilterMaxResults: 100,
		AuthSchemes: []string{"OAuth Bearer Token"}, TotalUsers: 42,
	}, conn)
	assert.Equal(t, "Connected: the app has 42 users and supports PATCH and filters (up to 100 results); no bulk.", conn.Summary())
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/ServiceProviderConfig", reqs[0].Path)
	assert.Equal(t, "count=1", reqs[1].Query)

	require.NoError(t, c.Disable(context.Background(), "1"))
	assert.Equal(t, 1, srv.Count(http.MethodGet, "/ServiceProviderConfig"), "what it learnt is kept")
}

func TestTestConnectionHabits(t *testing.T) {
	t.Parallel()
	t.Run("no PATCH, one user", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{NoPatch: true})
		srv.AddUsers(1)
		conn, err := newClient(t, srv).TestConnection(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "Connected: the app has 1 user and supports filters (up to 1000 results); no PATCH and bulk.", conn.Summary())
	})
	t.Run("no ServiceProviderConfig and no Resources", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{NoServiceProviderConfig: true, OmitEmptyResources: true})
		conn, err := newClient(t, srv).TestConnection(context.Background())
		require.NoError(t, err)
		assert.True(t, conn.ConfigMissing)
		assert.Equal(t, "Connected: the app has 0 users and does not publish its ServiceProviderConfig, so Roster will try PATCH and fall back to PUT.", conn.Summary())
	})
	t.Run("a wrong token", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{})
		c := newClient(t, srv, func(cfg *scim.Config) { cfg.Token = "wrong-token-value" })
		_, err := c.TestConnection(context.Background())
		var e *scim.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 401, e.Status)
		assert.False(t, e.Retry)
	})
}
