package scim

import (
	"context"
	"time"
)

// SetWait replaces the client's wait between attempts, so tests see the
// waits without sitting through them.
func SetWait(c *Client, wait func(ctx context.Context, d time.Duration) error) { c.wait = wait }
