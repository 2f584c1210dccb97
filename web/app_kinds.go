package web

import (
	"strings"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
)

// kindOptions are the app kinds an admin can choose, in words, in the
// registry's order.
func (s *Server) kindOptions() []apps.Option {
	var out []apps.Option
	for _, k := range s.kinds.Kinds() {
		out = append(out, apps.Option{Value: string(k.Name), Label: k.Label, Description: k.Description})
	}
	return out
}

// defaultKind is the kind the new-app form starts on: the first offered.
func (s *Server) defaultKind() string {
	if ks := s.kinds.Kinds(); len(ks) > 0 {
		return string(ks[0].Name)
	}
	return ""
}

// checkKind adds the kind field's error to errs when kind is not one
// Roster can act on ("Choose webhook, manual or SCIM 2.0.").
func (s *Server) checkKind(kind models.AppKind, errs map[string]string) {
	if _, ok := s.kinds.Lookup(kind); ok {
		return
	}
	var labels []string
	for _, k := range s.kinds.Kinds() {
		labels = append(labels, k.Label)
	}
	words := strings.Join(labels, " or ")
	if n := len(labels); n > 2 {
		words = strings.Join(labels[:n-1], ", ") + " or " + labels[n-1]
	}
	errs["kind"] = "Choose " + words + "."
}

// capabilities are what app's kind supports: which settings and actions
// its page shows. A kind Roster does not know supports nothing.
func (s *Server) capabilities(app *models.App) connector.Capabilities {
	k, _ := s.kinds.Lookup(app.Kind)
	return k.Capabilities
}
