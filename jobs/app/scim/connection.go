package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/jobs/app/redact"
)

// Connection is what TestConnection found.
type Connection struct {
	// ConfigMissing is set when the server has no readable
	// /ServiceProviderConfig (404); the capabilities are then unknown and
	// left false.
	ConfigMissing    bool
	PatchSupported   bool
	BulkSupported    bool
	BulkMaxOps       int
	FilterSupported  bool
	FilterMaxResults int
	SortSupported    bool
	ETagSupported    bool
	AuthSchemes      []string // the names (or types) the server lists, such as "OAuth Bearer Token"
	TotalUsers       int      // totalResults of GET /Users
}

// Summary is the connection in one sentence, for the admin who pressed
// "Test connection".
func (c Connection) Summary() string {
	users := fmt.Sprintf("%d users", c.TotalUsers)
	if c.TotalUsers == 1 {
		users = "1 user"
	}
	if c.ConfigMissing {
		return fmt.Sprintf("Connected: the app has %s and does not publish its ServiceProviderConfig, so Roster will try PATCH and fall back to PUT.", users)
	}
	var has, lacks []string
	add := func(ok bool, what string) {
		if ok {
			has = append(has, what)
		} else {
			lacks = append(lacks, what)
		}
	}
	add(c.PatchSupported, "PATCH")
	if c.FilterSupported && c.FilterMaxResults > 0 {
		has = append(has, fmt.Sprintf("filters (up to %d results)", c.FilterMaxResults))
	} else {
		add(c.FilterSupported, "filters")
	}
	add(c.BulkSupported, "bulk")
	s := "Connected: the app has " + users
	if len(has) > 0 {
		s += " and supports " + joinWords(has)
	}
	if len(lacks) > 0 {
		s += "; no " + joinWords(lacks)
	}
	return s + "."
}

// joinWords is "a", "a and b", "a, b and c".
func joinWords(w []string) string {
	if len(w) <= 1 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// TestConnection reads GET /ServiceProviderConfig and GET /Users?count=1:
// it proves the base URL and the credentials work, and says what the
// server supports. The client remembers whether it supports PATCH.
func (c *Client) TestConnection(ctx context.Context) (Connection, error) {
	var conn Connection
	spc, err := c.serviceProviderConfig(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
		conn.ConfigMissing = true
	case err != nil:
		return Connection{}, err
	default:
		c.learn(spc)
		conn.PatchSupported = spc.Patch.Supported
		conn.BulkSupported, conn.BulkMaxOps = spc.Bulk.Supported, spc.Bulk.MaxOperations
		conn.FilterSupported, conn.FilterMaxResults = spc.Filter.Supported, spc.Filter.MaxResults
		conn.SortSupported, conn.ETagSupported = spc.Sort.Supported, spc.ETag.Supported
		for _, s := range spc.AuthenticationSchemes {
			name := s.Name
			if name == "" {
				name = s.Type
			}
			if name = redact.Sanitize(name, 100); name != "" {
				conn.AuthSchemes = append(conn.AuthSchemes, name)
			}
		}
	}
	var page listResponse[User]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/Users", query: url.Values{"count": {"1"}}}, &page); err != nil {
		return Connection{}, err
	}
	conn.TotalUsers = page.TotalResults
	return conn, nil
}

func (c *Client) serviceProviderConfig(ctx context.Context) (serviceProviderConfig, error) {
	var spc serviceProviderConfig
	err := c.do(ctx, call{method: http.MethodGet, path: "/ServiceProviderConfig"}, &spc)
	return spc, err
}
