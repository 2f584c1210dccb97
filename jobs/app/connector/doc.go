// Package connector is the one interface between Roster and an app (issue
// 11): every kind of app (webhook, manual, SCIM) is a package
// under jobs/app/<kind> that describes itself as a Kind — its name, its
// words for the UI, its Capabilities and how to Open a Connector for one
// app — and is listed once in jobs/app/kinds.
//
// The execute worker, "Test connection" and the app page go through a
// Registry of those kinds: they never switch on an app's kind. What a kind
// supports is data (Capabilities), so the worker can refuse an operation a
// kind cannot carry out, apply concurrency limits, call health and alerts
// only to kinds that call the app over the network, and the app page can
// show only the settings and actions the kind has.
//
// A Connector makes one attempt per Do and says what happened in an
// Outcome; retrying, backoff, Retry-After, bounds, call recording and
// completion stay in the worker, the same for every kind.
//
// The registry is a value built by its caller (kinds.All), not package
// state filled by init functions, so what Roster can talk to is read in
// one list.
package connector
