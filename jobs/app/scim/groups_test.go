package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

func TestGroupMembers(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	ids := srv.AddUsers(2)
	gid := srv.AddGroup("Engineering", ids[0])
	c := newClient(t, srv)
	ctx := context.Background()

	g, err := c.FindGroup(ctx, "engineering")
	require.NoError(t, err, "displayName compares without case")
	assert.Equal(t, gid, g.ID)

	require.NoError(t, c.AddMember(ctx, gid, ids[1]))
	require.NoError(t, c.AddMember(ctx, gid, ids[1]), "adding twice keeps one")
	assert.Equal(t, ids, srv.Members(gid))

	require.NoError(t, c.RemoveMember(ctx, gid, ids[0]))
	assert.Equal(t, ids[1:], srv.Members(gid))
	require.NoError(t, c.RemoveMember(ctx, gid, ids[0]), "removing a non-member (noTarget) counts as done")

	reqs := srv.Requests()
	var sent struct {
		Schemas    []string
		Operations []map[string]any
	}
	for _, r := range reqs {
		if r.Method == http.MethodPatch {
			sent.Operations = nil // keep only the last
			require.NoError(t, json.Unmarshal(r.Body, &sent))
		}
	}
	assert.Equal(t, []string{scim.SchemaPatchOp}, sent.Schemas)
	assert.Equal(t, []map[string]any{{"op": "remove", "path": `members[value eq "` + ids[0] + `"]`}}, sent.Operations)
}

func TestGroupAddSendsMembersValue(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	gid := srv.AddGroup("Engineering")
	require.NoError(t, newClient(t, srv).AddMember(context.Background(), gid, "7"))
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"7"}]}]}`, string(last.Body))
}

func TestGroupMissing(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	c := newClient(t, srv)
	assert.ErrorIs(t, c.AddMember(context.Background(), "404", "1"), scim.ErrNotFound)
	assert.ErrorIs(t, c.RemoveMember(context.Background(), "404", "1"), scim.ErrNotFound)
	_, err := c.FindGroup(context.Background(), "Nobody")
	assert.ErrorIs(t, err, scim.ErrNotFound)
}

func TestGroupWithoutPatch(t *testing.T) {
	t.Parallel()
	t.Run("the config says so", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{NoPatch: true})
		gid := srv.AddGroup("Engineering")
		err := newClient(t, srv).AddMember(context.Background(), gid, "1")
		require.ErrorIs(t, err, scim.ErrPatchUnsupported)
		assert.Contains(t, err.Error(), "group members need PATCH")
		assert.Zero(t, srv.Count(http.MethodPatch, "*"))
	})
	t.Run("the server answers 501", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{NoPatch: true, NoServiceProviderConfig: true})
		gid := srv.AddGroup("Engineering")
		c := newClient(t, srv)
		err := c.AddMember(context.Background(), gid, "1")
		require.ErrorIs(t, err, scim.ErrPatchUnsupported)
		var e *scim.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 501, e.Status)
		require.ErrorIs(t, c.RemoveMember(context.Background(), gid, "1"), scim.ErrPatchUnsupported)
		assert.Equal(t, 1, srv.Count(http.MethodPatch, "/Groups/"+gid), "remembered")
	})
}
