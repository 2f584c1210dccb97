// Package scim is a client for SCIM 2.0 service providers (RFC 7643 and
// RFC 7644): the apps Roster provisions accounts in by creating, updating,
// disabling and deleting /Users and by adding and removing /Groups members.
//
// A Client is built from a Config (a base URL and either a bearer token or
// OAuth 2.0 client credentials) and dials through an outbound.Policy, so an
// app's URL cannot reach inside the installation's network unless the
// installation allows it.
//
// Every call classifies its outcome into an *Error: 408, 429, 5xx (but
// 501), timeouts and connection errors are worth retrying, honouring the
// server's Retry-After; other 4xx fail at once with the server's SCIM
// detail and scimType. A client retries a few times itself when the wait is
// short, then leaves longer waits to the job runner through
// Error.RetryAfter. A 404 on a user or group matches ErrNotFound.
//
// Create is idempotent: it looks the user up by userName, then externalId,
// and links to an existing account instead of creating a second one, also
// when the server answers 409. Update uses PATCH, or PUT when the server
// does not support PATCH.
//
// Mapping and Build turn a Person (Roster's HR fields) into a User, so the
// same code previews the JSON for an admin and sends it.
//
// Kind (connector.go) is the "scim" app kind for the registry in
// jobs/app/kinds: it opens the Config that models.Store.SetSCIMSettings
// sealed in the app's settings and carries out actions with this client:
// accounts are created (or linked), updated, disabled and deleted, group
// entitlements are Groups memberships (the entitlement's key is the
// group's displayName), and ListAccounts feeds reconciliation. Role,
// licence and attribute entitlements are not supported.
//
// The token and the client secret never leave the package: no error,
// excerpt or formatted Config contains them.
package scim
