package web_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web"
)

// The audit trail records the client's address; X-Forwarded-For is only
// believed from configured proxies.
func TestAuditClientIP(t *testing.T) {
	t.Parallel()
	cidr := func(s string) []*net.IPNet {
		_, n, err := net.ParseCIDR(s)
		require.NoError(t, err)
		return []*net.IPNet{n}
	}
	tests := []struct {
		name    string
		trusted []*net.IPNet
		wantIP  string
	}{
		{name: "no trusted proxies", wantIP: "127.0.0.1"},
		{name: "peer is not a trusted proxy", trusted: cidr("10.0.0.0/8"), wantIP: "127.0.0.1"},
		{name: "peer is a trusted proxy", trusted: cidr("127.0.0.0/8"), wantIP: "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, models.SQLite, withConfig(func(c *web.Config) { c.TrustedProxies = tt.trusted }))
			a := srv.createAdmin(t, models.RoleViewer)
			link := srv.loginLink(t, a)
			b := srv.browser(t)
			b.get(link).requireStatus(http.StatusOK)
			req := b.request(http.MethodPost, link, nil)
			req.Header.Set("X-CSRF-Token", b.token())
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			b.do(req).requireRedirect(http.StatusSeeOther, "/")

			events := srv.auditEvents(t, models.ActionSignIn)
			require.Len(t, events, 1)
			require.Equal(t, tt.wantIP, events[0].IP)
			require.NotEmpty(t, events[0].RequestID, "events carry the request id")
		})
	}
}
