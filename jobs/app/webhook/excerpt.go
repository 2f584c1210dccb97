package webhook

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/jobs/app/redact"
)

// ExcerptLimit is the most bytes of a response body kept on the action.
const ExcerptLimit = 500

// excerpt is the start of a response body as admins see it on the
// action: valid UTF-8, whitespace runs collapsed to one space, control
// and bidirectional-override characters removed, the app's signing
// secrets and anything else that looks like a credential (redact.Secrets)
// replaced, at most ExcerptLimit bytes. Redaction runs on the whole
// answer read, before the cut, so a cut cannot hide a secret's shape.
func excerpt(raw []byte, secrets ...string) string {
	s := string(raw)
	s = redactKnown(s, secrets) // before sanitising changes the secret's bytes
	s = redactKnown(sanitize(s, len(s)), secrets)
	return truncate(redact.Secrets(s), ExcerptLimit)
}

func redactKnown(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redact.Mark)
		}
	}
	return s
}

// sanitize makes text from a receiver safe to show and log, and cuts it
// to limit bytes.
func sanitize(s string, limit int) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || isBidiControl(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return truncate(b.String(), limit)
}

// isBidiControl reports the characters that reorder text on screen and
// can make an excerpt read differently from what it says.
func isBidiControl(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r == '\u061c' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// truncate cuts s to at most limit bytes without splitting a character.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
