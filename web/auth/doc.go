// Package auth implements the protocol side of signing admins in with
// OpenID Connect: the authorization code flow with PKCE, state and nonce,
// ID-token verification, and the checks Roster adds on top (a verified
// email, an optional allowed domain, groups mapped to roles).
//
// It deliberately knows nothing about HTTP handlers, sessions or the admins
// table. A sign-in goes like this:
//
//  1. The handler calls [NewFlow], keeps the [Flow] in the server-side
//     session, and redirects the browser to [Provider.AuthCodeURL].
//  2. The identity provider sends the browser back to the redirect URL.
//  3. The handler takes the Flow out of the session (so it is used once)
//     and passes it with the callback's query to [Provider.Exchange], which
//     returns a verified [Identity] or one of the Err* sentinels. A refusal
//     of a token Roster has read (unverified email, domain not allowed) is
//     a [RefusedError]; [AssertedEmail] gives the email it was for, so the
//     audit trail can record who tried.
//  4. The handler looks the admin up by [Identity.Email], binds the
//     issuer and subject, and may use [RoleMap.RoleFor] on the groups.
//
// The sentinels' messages are written for people and may be shown as they
// are. The errors Exchange returns wrap them with detail meant for logs,
// part of which (an IdP's error_description) comes from the callback URL
// and so cannot be trusted: show the sentinel's text, log the whole error.
package auth
