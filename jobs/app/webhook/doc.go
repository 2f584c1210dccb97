// Package webhook is the connector for webhook apps: for every action
// Roster executes (create_account, grant, revoke, update, disable, delete)
// it POSTs a signed JSON Payload to the app's URL.
//
// Every request carries an Idempotency-Key that is the same on every retry
// of the action, and a Roster-Signature header: an HMAC-SHA256 over the
// Roster-Timestamp header, a dot and the body. Sign and Verify are exported
// so receivers written in Go can check requests the way Roster makes them;
// docs/webhooks.md gives the same recipe for Python and Node.js.
//
// Send makes exactly one attempt and classifies it: a 2xx is done; a 429,
// a 408, a 5xx, a timeout or a connection error is worth retrying; any
// other status, a redirect or an untrusted certificate is a permanent
// failure. The job runner (River) does the retrying, waiting for as long
// as Backoff says, which honours the receiver's Retry-After.
//
// Kind describes webhook apps to Roster's connector registry
// (jobs/app/connector, listed in jobs/app/kinds): its Open reads the app's
// sealed URL and secrets (OpenConfig), its connector's Do is one Send of
// the action, and its Test one Send with OpTest.
//
// The signing secret never leaves the package: it is not logged, and no
// Result field or error text contains it.
package webhook
