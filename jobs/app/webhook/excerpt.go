package webhook

import "github.com/rosterhq/roster/jobs/app/redact"

// ExcerptLimit is the most bytes of a response body kept on the action.
const ExcerptLimit = 500

// excerpt is the start of a response body as admins see it on the
// action (redact.Excerpt), with the app's signing secrets replaced.
func excerpt(raw []byte, secrets ...string) string {
	return redact.Excerpt(raw, ExcerptLimit, secrets...)
}
