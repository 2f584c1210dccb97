package redact

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Excerpt is text an outside system answered as admins may see it: the
// known secrets and anything else that looks like a credential (Secrets)
// replaced, whitespace runs collapsed to one space, control and
// bidirectional-override characters removed, valid UTF-8, at most limit
// bytes. Redaction runs on the whole text, before the cut, so a cut
// cannot hide a secret's shape.
func Excerpt(raw []byte, limit int, secrets ...string) string {
	s := redactKnown(string(raw), secrets) // before sanitising changes the secret's bytes
	s = redactKnown(Sanitize(s, len(s)), secrets)
	return truncate(Secrets(s), limit)
}

func redactKnown(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, Mark)
		}
	}
	return s
}

// Sanitize makes text from an outside system safe to show and log
// (whitespace collapsed, control and bidirectional-override characters
// removed, valid UTF-8) and cuts it to limit bytes. It redacts nothing:
// see Excerpt.
func Sanitize(s string, limit int) string {
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

// DisplayURL is a URL as messages show it: without user info, query or
// fragment, which may carry credentials or personal data.
func DisplayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the app's URL"
	}
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return Sanitize(shown.String(), 200)
}
