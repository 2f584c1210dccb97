package connector

import (
	"fmt"

	"github.com/rosterhq/roster/models"
)

// Kind is one kind of app: what it is called, what it supports and how to
// open a connector for one app of that kind.
type Kind struct {
	Name        models.AppKind
	Label       string // what the UI calls it ("webhook")
	Description string // one sentence for the new-app form and the app page
	Capabilities
	// Open returns the connector of app, or an error saying (to an admin)
	// why the app cannot be acted on yet, like settings not set.
	Open func(env Env, app *models.App) (Connector, error)
}

// Registry holds the kinds Roster can act on. The zero value is empty and
// ready; it is not safe for concurrent Register, and is only read once
// built.
type Registry struct {
	kinds []Kind
}

// NewRegistry returns a registry of kinds, in that order.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{}
	for _, k := range kinds {
		r.Register(k)
	}
	return r
}

// Register adds a kind. A kind without a name, words or Open, or a name
// registered twice, is a programming error and panics.
func (r *Registry) Register(k Kind) {
	if k.Name == "" || k.Label == "" || k.Description == "" || k.Open == nil {
		panic(fmt.Sprintf("connector: kind %q needs a name, a label, a description and Open", k.Name))
	}
	if _, ok := r.Lookup(k.Name); ok {
		panic(fmt.Sprintf("connector: kind %q registered twice", k.Name))
	}
	r.kinds = append(r.kinds, k)
}

// Lookup returns the kind of that name.
func (r *Registry) Lookup(name models.AppKind) (Kind, bool) {
	for _, k := range r.kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Kinds returns every kind in registration order (the UI's order).
func (r *Registry) Kinds() []Kind {
	return append([]Kind(nil), r.kinds...)
}
