package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/jobs/app/redact"
)

// Created says what Create did.
type Created struct {
	ID string // the account's SCIM id
	// LinkedBy is "" when Create made the account, else the attribute
	// ("userName", "externalId") that found an account already there.
	LinkedBy string
}

// Linked reports whether Create found the account instead of making it.
func (c Created) Linked() bool { return c.LinkedBy != "" }

// GetUser reads one user; a 404 matches ErrNotFound.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	var u User
	err := c.do(ctx, call{method: http.MethodGet, path: userPath(id)}, &u)
	return u, err
}

// FindUser returns the user whose attr equals value (userName,
// externalId, emails.value...), or ErrNotFound when none does. More than
// one match is an error: linking to either could hand a person someone
// else's account.
func (c *Client) FindUser(ctx context.Context, attr, value string) (User, error) {
	q := url.Values{"filter": {Eq(attr, value)}, "count": {"2"}}
	var page listResponse[User]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/Users", query: q}, &page); err != nil {
		return User{}, err
	}
	switch {
	case len(page.Resources) == 0:
		return User{}, fmt.Errorf("scim: no user has %s: %w", attr, ErrNotFound)
	case len(page.Resources) > 1 || page.TotalResults > 1:
		return User{}, fmt.Errorf("scim: %d users have the same %s; link one by hand", max(page.TotalResults, len(page.Resources)), attr)
	}
	return page.Resources[0], nil
}

// Create makes the account for u, unless one is there already: it looks
// for u.UserName, then u.ExternalID, and links to a match instead of
// making a second account. A 409 on the POST (another writer, or an
// earlier attempt that made the account before its answer was lost)
// triggers the same lookup. So a retried Create has the effect of one.
func (c *Client) Create(ctx context.Context, u User) (Created, error) {
	if u.UserName == "" {
		return Created{}, errors.New("scim: a user needs a userName")
	}
	if found, err := c.lookup(ctx, u); err != nil || found.ID != "" {
		return found, err
	}
	u.ID = ""
	u.Schemas = userSchemas(u)
	var made User
	err := c.do(ctx, call{method: http.MethodPost, path: "/Users", body: u}, &made)
	if errors.Is(err, ErrConflict) {
		found, lookupErr := c.lookup(ctx, u)
		if lookupErr != nil || found.ID != "" {
			return found, lookupErr
		}
		return Created{}, err // the server has a clash the lookups cannot see
	}
	if err != nil {
		return Created{}, err
	}
	if made.ID == "" {
		return Created{}, fmt.Errorf("scim: POST %s/Users: the answer has no id", redact.DisplayURL(c.base))
	}
	return Created{ID: made.ID}, nil
}

// lookup finds u's account by userName, then externalId. A server that
// cannot filter (400 invalidFilter, 501) counts as finding nothing: the
// POST's 409 is then the only guard.
func (c *Client) lookup(ctx context.Context, u User) (Created, error) {
	keys := []struct{ attr, value string }{{"userName", u.UserName}, {"externalId", u.ExternalID}}
	for _, k := range keys {
		if k.value == "" {
			continue
		}
		found, err := c.FindUser(ctx, k.attr, k.value)
		switch {
		case err == nil:
			return Created{ID: found.ID, LinkedBy: k.attr}, nil
		case errors.Is(err, ErrNotFound), cannotFilter(err):
			continue
		default:
			return Created{}, err
		}
	}
	return Created{}, nil
}

func cannotFilter(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Status == http.StatusNotImplemented || (e.Status == http.StatusBadRequest && e.SCIMType == "invalidFilter")
}

// Update sets the attributes u carries on the account id: a PATCH with
// one replace operation per attribute, or, on a server without PATCH, a
// PUT of the account as read with u's attributes laid over it (a PUT
// replaces everything, and Roster must not erase what it does not
// manage). Attributes u leaves empty are not touched. A 404 matches
// ErrNotFound.
func (c *Client) Update(ctx context.Context, id string, u User) error {
	ops, err := replaceOps(u)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	return c.change(ctx, id, ops, u)
}

// Disable sets active to false on the account id. A 404 matches
// ErrNotFound.
func (c *Client) Disable(ctx context.Context, id string) error {
	off := false
	return c.change(ctx, id, []patchOp{{Op: "replace", Path: "active", Value: false}}, User{Active: &off})
}

// Delete removes the account id. An account already gone counts as
// deleted, so a retried Delete has the effect of one.
func (c *Client) Delete(ctx context.Context, id string) error {
	err := c.do(ctx, call{method: http.MethodDelete, path: userPath(id)}, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// change applies ops by PATCH, falling back to a PUT of overlay when the
// server does not support PATCH, and remembering that.
func (c *Client) change(ctx context.Context, id string, ops []patchOp, overlay User) error {
	if c.patchSupport(ctx) != patchNo {
		err := c.do(ctx, call{method: http.MethodPatch, path: userPath(id), body: newPatch(ops...)}, nil)
		if !patchRefused(err) {
			if err == nil {
				c.setPatch(patchYes)
			}
			return err
		}
		c.setPatch(patchNo)
	}
	return c.put(ctx, id, overlay)
}

// put reads the account, lays overlay's attributes over it and writes it
// back.
func (c *Client) put(ctx context.Context, id string, overlay User) error {
	var current rawResource
	if err := c.do(ctx, call{method: http.MethodGet, path: userPath(id)}, &current); err != nil {
		return err
	}
	merged, err := mergeUser(current, overlay)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodPut, path: userPath(id), body: merged}, nil)
}

// patchRefused reports a server saying it does not do PATCH at all.
func patchRefused(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotImplemented || e.Status == http.StatusMethodNotAllowed)
}

// patchSupport is what the client knows of PATCH, reading the
// ServiceProviderConfig the first time it is needed. A server without a
// readable ServiceProviderConfig is tried with PATCH; so is one that
// claims PATCH (change falls back if it refuses).
func (c *Client) patchSupport(ctx context.Context) patchSupport {
	c.mu.Lock()
	known, asked := c.patch, c.askedConfig
	c.askedConfig = true
	c.mu.Unlock()
	if known != patchUnknown || asked {
		return known
	}
	spc, err := c.serviceProviderConfig(ctx)
	if err != nil {
		return patchUnknown
	}
	c.learn(spc)
	return c.patchKnown()
}

// learn records what the ServiceProviderConfig says of PATCH.
func (c *Client) learn(spc serviceProviderConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.askedConfig = true
	c.patch = patchNo
	if spc.Patch.Supported {
		c.patch = patchYes
	}
}

func (c *Client) patchKnown() patchSupport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.patch
}

func (c *Client) setPatch(p patchSupport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.patch = p
}

func userPath(id string) string  { return "/Users/" + url.PathEscape(id) }
func groupPath(id string) string { return "/Groups/" + url.PathEscape(id) }

// userSchemas lists the schemas u uses.
func userSchemas(u User) []string {
	if u.Enterprise != nil {
		return []string{SchemaUser, SchemaEnterprise}
	}
	return []string{SchemaUser}
}
