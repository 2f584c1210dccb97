package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/jobs/app/redact"
)

// FindGroup returns the group whose displayName is name, or ErrNotFound.
func (c *Client) FindGroup(ctx context.Context, name string) (Group, error) {
	q := url.Values{"filter": {Eq("displayName", name)}, "excludedAttributes": {"members"}, "count": {"2"}}
	var page listResponse[Group]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/Groups", query: q}, &page); err != nil {
		return Group{}, err
	}
	switch {
	case len(page.Resources) == 0:
		return Group{}, fmt.Errorf("scim: no group is named %q: %w", name, ErrNotFound)
	case len(page.Resources) > 1 || page.TotalResults > 1:
		return Group{}, fmt.Errorf("scim: %d groups are named %q", max(page.TotalResults, len(page.Resources)), name)
	}
	return page.Resources[0], nil
}

// AddMember puts the user in the group, with a PATCH add of members. A
// 404 (no such group) matches ErrNotFound; a server without PATCH
// matches ErrPatchUnsupported.
func (c *Client) AddMember(ctx context.Context, groupID, userID string) error {
	op := patchOp{Op: "add", Path: "members", Value: []GroupRef{{Value: userID}}}
	return c.patchGroup(ctx, groupID, op)
}

// RemoveMember takes the user out of the group, with a PATCH remove of
// members[value eq "id"]. A user who is not a member (the server says
// noTarget) counts as removed, so a retried revoke has the effect of one.
func (c *Client) RemoveMember(ctx context.Context, groupID, userID string) error {
	op := patchOp{Op: "remove", Path: "members[" + Eq("value", userID) + "]"}
	err := c.patchGroup(ctx, groupID, op)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusBadRequest && e.SCIMType == "noTarget" {
		return nil
	}
	return err
}

func (c *Client) patchGroup(ctx context.Context, groupID string, op patchOp) error {
	if c.patchSupport(ctx) == patchNo {
		return fmt.Errorf("scim: PATCH %s%s: group members need PATCH, which the app's ServiceProviderConfig says it lacks: %w", redact.DisplayURL(c.base), groupPath(groupID), ErrPatchUnsupported)
	}
	err := c.do(ctx, call{method: http.MethodPatch, path: groupPath(groupID), body: newPatch(op)}, nil)
	if patchRefused(err) {
		c.setPatch(patchNo)
		return fmt.Errorf("%w (group members need PATCH): %w", err, ErrPatchUnsupported)
	}
	return err
}
