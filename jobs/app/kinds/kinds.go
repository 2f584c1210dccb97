// Package kinds is the one list of the app kinds Roster can act on. Adding
// a kind is a package under jobs/app/<kind> with a Kind function, and one
// line here.
package kinds

import (
	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/manual"
	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/webhook"
)

// All returns a registry of every kind, in the order the new-app form
// offers them.
func All() *connector.Registry {
	return connector.NewRegistry(
		webhook.Kind(),
		manual.Kind(),
		scim.Kind(),
	)
}
