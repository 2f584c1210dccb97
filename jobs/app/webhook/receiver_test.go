package webhook

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
)

// testSecret signs every request in these tests; assertNoSecret looks
// for it in every Result.
const testSecret = "roster-test-signing-secret-0123456789"

// received is one request as the fake receiver saw it.
type received struct {
	method string
	path   string
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on 127.0.0.1 that records what Roster
// sends and answers with respond.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, body []byte)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, received{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		respond(w, r, body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// received returns the requests so far.
func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

// config points at path on the receiver.
func (rc *receiver) config(path string) Config {
	return Config{URL: rc.URL + path, Secret: testSecret}
}

// samplePayload is a grant with every field set.
func samplePayload() Payload {
	return Payload{
		ID:         "act_01JNZK5B2C7D8E9F0G1H2J3K4M",
		Op:         OpGrant,
		OccurredAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		App:        App{ID: 3, Name: "GitHub"},
		Person: Person{
			ID: 42, EmployeeID: "E1042", FirstName: "Ada", LastName: "Lovelace", PreferredName: "Ada",
			WorkEmail: "ada@example.com", PersonalEmail: "ada.l@example.net", Phone: "+442071234567",
			Title: "Engineer", Department: "Engineering", Team: "Platform", Division: "Product",
			CostCenter: "CC-100", ManagerID: "E1001", Location: "London", Country: "GB",
			Timezone: "Europe/London", EmploymentType: "full_time", Status: "pending",
			StartDate: "2026-03-09", Groups: []string{"engineering", "london"},
			Custom: map[string]string{"laptop": "macbook-pro-14"},
		},
		Entitlement: &Entitlement{ID: 7, Kind: "group", Key: "eng", Name: "Engineering"},
		Params:      map[string]string{"role": "member"},
	}
}

// assertNoSecret fails if a secret shows anywhere in r.
func assertNoSecret(t *testing.T, r Result, secrets ...string) {
	t.Helper()
	secrets = append(secrets, testSecret)
	text := fmt.Sprintf("%v %+v", r, r)
	if r.Err != nil {
		text += " " + r.Err.Error()
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Fatalf("the secret %q leaked into the result: %s", s, text)
		}
	}
}

// loopback lets tests reach httptest servers, which listen on 127.0.0.1.
var loopback = outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// testClient is a Client allowed to reach the tests' receivers.
func testClient() *Client { return NewClient(&http.Client{Transport: loopback.Transport()}) }
