package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

const connectorSecret = "0123456789abcdef-connector"

// hookApp is a webhook app whose sealed settings point at url.
func hookApp(t *testing.T, sealer *models.Sealer, url string) *models.App {
	t.Helper()
	plain, err := json.Marshal(map[string]string{"url": url, "secret": connectorSecret})
	require.NoError(t, err)
	sealed, err := sealer.Seal(string(plain))
	require.NoError(t, err)
	return &models.App{ID: 7, Kind: models.AppWebhook, Name: "GitHub", Config: sealed}
}

// answering is a receiver that checks signatures and answers what next says.
type answering struct {
	mu       sync.Mutex
	payloads []webhook.Payload
	badSigs  int
	next     func(w http.ResponseWriter)
}

func (a *answering) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if webhook.Verify(connectorSecret, r.Header, body, time.Now(), 0) != nil {
		a.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	_ = json.Unmarshal(body, &p)
	a.payloads = append(a.payloads, p)
	a.next(w)
}

// Do is one signed call: a 2xx is done, a 503 with Retry-After is worth
// retrying after exactly that wait.
func TestConnectorDo(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer(make([]byte, 32))
	require.NoError(t, err)
	rcv := &answering{next: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"ok":true}`) }}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	env := connector.Env{HTTP: &http.Client{Transport: outbound.Loopback().Transport()}, Sealer: sealer}
	conn, err := webhook.Kind().Open(env, hookApp(t, sealer, srv.URL+"/hooks"))
	require.NoError(t, err)

	runAt := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	req := connector.Request{ActionID: 11, Op: rules.OpGrant, IdempotencyKey: "act_key_1", RunAt: runAt,
		Person:      &models.Person{ID: 5, PersonFields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", LastName: "Lovelace", WorkEmail: "ada@example.com"}},
		Entitlement: &models.Entitlement{ID: 3, Kind: models.EntitlementGroup, Key: "eng", Name: "Engineering"},
		Params:      map[string]string{"level": "2"}}
	out := conn.Do(context.Background(), req)
	require.NoError(t, out.Err)
	require.True(t, out.Done())
	require.Equal(t, http.StatusOK, out.Status)
	require.Equal(t, `{"ok":true}`, out.Excerpt)
	require.Len(t, rcv.payloads, 1)
	p := rcv.payloads[0]
	require.Equal(t, "act_key_1", p.ID, "the idempotency key")
	require.Equal(t, webhook.OpGrant, p.Op)
	require.True(t, runAt.Equal(p.OccurredAt))
	require.Equal(t, webhook.App{ID: 7, Name: "GitHub"}, p.App)
	require.Equal(t, "ada@example.com", p.Person.WorkEmail)
	require.Equal(t, &webhook.Entitlement{ID: 3, Kind: "group", Key: "eng", Name: "Engineering"}, p.Entitlement)
	require.Equal(t, map[string]string{"level": "2"}, p.Params)

	rcv.mu.Lock()
	rcv.next = func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	rcv.mu.Unlock()
	out = conn.Do(context.Background(), req)
	require.Error(t, out.Err)
	require.False(t, out.Done())
	require.True(t, out.Retry)
	require.Equal(t, 7*time.Second, out.RetryAfter)
	require.Equal(t, http.StatusServiceUnavailable, out.Status)
	require.Contains(t, out.Err.Error(), "503 Service Unavailable")
	require.Zero(t, rcv.badSigs, "every call was signed with the app's secret")

	out = conn.Test(context.Background())
	require.Equal(t, http.StatusServiceUnavailable, out.Status)
	require.Equal(t, webhook.OpTest, rcv.payloads[len(rcv.payloads)-1].Op)

	err = conn.ListAccounts(context.Background(), func([]connector.RemoteAccount) error { return nil })
	require.True(t, errors.Is(err, connector.ErrUnsupported))
}

// Open refuses an app without usable settings, saying what to fix, with
// the messages actions have always failed with.
func TestConnectorOpenRefusesUnusableSettings(t *testing.T) {
	t.Parallel()
	sealer, err := models.NewSealer(make([]byte, 32))
	require.NoError(t, err)
	other, err := models.NewSealer([]byte("another key, another 32 bytes..!"))
	require.NoError(t, err)
	badJSON, err := sealer.Seal("not json")
	require.NoError(t, err)
	tests := []struct {
		name   string
		app    *models.App
		sealer *models.Sealer
		want   string
	}{
		{"not set", &models.App{Name: "GitHub"}, sealer, "GitHub has no webhook URL and secret yet: set them on the app's page"},
		{"no key", hookApp(t, sealer, "https://example.com/hooks"), nil, "GitHub has no webhook URL and secret yet: set them on the app's page"},
		{"another key", hookApp(t, sealer, "https://example.com/hooks"), other, "GitHub: its stored settings cannot be decrypted with this ROSTER_SECRET_KEY"},
		{"unreadable", &models.App{Name: "GitHub", Config: badJSON}, sealer, "GitHub: its stored settings are unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := webhook.Kind().Open(connector.Env{Sealer: tt.sealer}, tt.app)
			require.Nil(t, conn)
			require.EqualError(t, err, tt.want)
		})
	}
}
