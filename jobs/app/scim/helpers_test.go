package scim_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

const testToken = "tok-3f9a1c77e2b54d08a6c1"

// newServer is a fake that requires testToken.
func newServer(t *testing.T, opts scimtest.Options) *scimtest.Server {
	t.Helper()
	if opts.Token == "" && opts.OAuth == nil {
		opts.Token = testToken
	}
	return scimtest.New(t, opts)
}

// newClient is a client of srv allowed to reach loopback, with one
// attempt per call unless edit says otherwise.
func newClient(t *testing.T, srv *scimtest.Server, edit ...func(*scim.Config)) *scim.Client {
	t.Helper()
	cfg := scim.Config{BaseURL: srv.URL(), Token: testToken, Attempts: 1}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := scim.NewClient(cfg, scim.Options{Policy: outbound.Loopback()})
	require.NoError(t, err)
	return c
}

// waits records the client's waits between attempts instead of sleeping.
type waits struct {
	mu   sync.Mutex
	seen []time.Duration
}

func recordWaits(c *scim.Client) *waits {
	w := &waits{}
	scim.SetWait(c, func(_ context.Context, d time.Duration) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.seen = append(w.seen, d)
		return nil
	})
	return w
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.seen...)
}

// assertNoSecret fails when err's text holds one of the secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	var e *scim.Error
	if ok := asError(err, &e); ok {
		text += " " + e.Detail + " " + e.Excerpt
	}
	for _, s := range append(secrets, testToken) {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("the secret %q leaked into the error: %s", s, text)
		}
	}
}
