package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rosterhq/roster/jobs/app/redact"
)

// DefaultPageSize is the count asked for when a caller passes 0.
const DefaultPageSize = 100

// ListUsers streams every user to fn, a page at a time, paging with
// startIndex and count (RFC 7644 §3.4.2.4). It copes with servers that
// send smaller pages than asked, leave out itemsPerPage, or leave out
// Resources when there are none. An error from fn stops the listing and
// is returned as is.
func (c *Client) ListUsers(ctx context.Context, pageSize int, fn func([]User) error) error {
	return list(ctx, c, "/Users", pageSize, func(u User) string { return u.ID }, fn)
}

// ListGroups streams every group, with its members, to fn.
func (c *Client) ListGroups(ctx context.Context, pageSize int, fn func([]Group) error) error {
	return list(ctx, c, "/Groups", pageSize, func(g Group) string { return g.ID }, fn)
}

// list pages through path. It stops at an empty page or once startIndex
// passes totalResults, and refuses a server that answers every page with
// the same resources, which would otherwise never end.
func list[T any](ctx context.Context, c *Client, path string, pageSize int, id func(T) string, fn func([]T) error) error {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	start, lastFirst := 1, ""
	for {
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(pageSize)}}
		var page listResponse[T]
		if err := c.do(ctx, call{method: http.MethodGet, path: path, query: q}, &page); err != nil {
			return err
		}
		if len(page.Resources) == 0 {
			return nil
		}
		first := id(page.Resources[0])
		if start > 1 && first != "" && first == lastFirst {
			return fmt.Errorf("scim: GET %s%s: the server sent the same page again for startIndex %d; it may not support paging", redact.DisplayURL(c.base), path, start)
		}
		lastFirst = first
		if err := fn(page.Resources); err != nil {
			return err
		}
		start += len(page.Resources)
		if page.TotalResults > 0 && start > page.TotalResults {
			return nil
		}
	}
}

// Account is a user with the groups it is in: its entitlements.
type Account struct {
	User   User
	Groups []GroupRef // value is the group's id, display its displayName
}

// ListAccounts streams every user with its groups. It reads all groups
// first (their members say who is in them; many servers leave a user's
// groups attribute empty), then streams the users, merging in the groups
// a user's own groups attribute lists.
func (c *Client) ListAccounts(ctx context.Context, pageSize int, fn func([]Account) error) error {
	byUser := map[string][]GroupRef{}
	err := c.ListGroups(ctx, pageSize, func(groups []Group) error {
		for _, g := range groups {
			for _, m := range g.Members {
				if m.Type == "" || m.Type == "User" {
					byUser[m.Value] = append(byUser[m.Value], GroupRef{Value: g.ID, Display: g.DisplayName})
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.ListUsers(ctx, pageSize, func(users []User) error {
		accounts := make([]Account, len(users))
		for i, u := range users {
			accounts[i] = Account{User: u, Groups: mergeGroups(byUser[u.ID], u.Groups)}
		}
		return fn(accounts)
	})
}

// mergeGroups is from, then the groups of also not in it, by id.
func mergeGroups(from, also []GroupRef) []GroupRef {
	out := append([]GroupRef(nil), from...)
	for _, g := range also {
		seen := false
		for _, have := range out {
			if have.Value == g.Value {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, GroupRef{Value: g.Value, Display: g.Display})
		}
	}
	return out
}
