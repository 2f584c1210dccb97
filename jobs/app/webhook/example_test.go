package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/webhook"
)

// rosterHook is the receiver docs/webhooks.md shows;
// TestDocGoRecipeIsTheExample keeps the two the same.
func rosterHook(secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "invalid payload", http.StatusBadRequest)
			return
		}
		// Deduplicate on p.ID (the Idempotency-Key), then act on p.Op.
		w.WriteHeader(http.StatusNoContent)
	}
}

// A receiver written in Go, and what Roster makes of its answers.
func Example() {
	const secret = "whsec_roster_docs_example_0001"
	receiver := httptest.NewServer(rosterHook(secret))
	defer receiver.Close()

	// httptest listens on 127.0.0.1, a loopback address: allow it, as
	// ROSTER_ALLOW_PRIVATE_TARGETS=127.0.0.0/8 would.
	local := outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	client := webhook.NewClient(&http.Client{Transport: local.Transport()})
	p := webhook.Payload{ID: "act_01JNZK4R8Y6V2M3Q9T5W7XCD0E", Op: webhook.OpDisable, Person: webhook.Person{ID: 42, EmployeeID: "E1042"}}

	res := client.Send(context.Background(), webhook.Config{URL: receiver.URL, Secret: secret}, p, time.Now())
	fmt.Println(res.Status, res.Done(), res.Retry)

	wrong := webhook.Config{URL: receiver.URL, Secret: "not-the-receivers-secret"}
	res = client.Send(context.Background(), wrong, p, time.Now())
	fmt.Println(res.Status, res.Done(), res.Retry, res.Excerpt)
	// Output:
	// 204 true false
	// 401 false false invalid signature
}

func ExampleSign() {
	body := []byte(`{"id":"act_01JNZK4R8Y6V2M3Q9T5W7XCD0E","op":"disable"}`)
	fmt.Println(webhook.Sign("whsec_roster_docs_example_0001", 1772438400, body))
	// Output: v1=4ebf10c07890084ea73a4b6c893e862f25e1bc0679a7251343b5efacdd46f410
}

func ExampleBackoff() {
	// A 503 with Retry-After: 120 on the third attempt: the receiver's wish wins.
	fmt.Println(webhook.Backoff(3, webhook.Result{Status: 503, Retry: true, RetryAfter: 2 * time.Minute}, nil))
	// Without Retry-After: 40s on the third attempt, less up to a quarter.
	fmt.Println(webhook.Backoff(3, webhook.Result{Status: 503, Retry: true}, func() float64 { return 0.5 }))
	// Output:
	// 2m0s
	// 35s
}
