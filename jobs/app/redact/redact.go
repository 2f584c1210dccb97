// Package redact removes values that look like secrets from text an
// outside system sent back, before Roster stores or shows it.
//
// Apps, HR systems and identity providers sometimes echo what they were
// sent, or put credentials in their error pages ("invalid token
// ghp_…", a debug dump of the request headers). Roster keeps a short
// excerpt of such answers for the admins diagnosing a failure; Secrets
// makes sure that excerpt never holds a credential. It errs on the side
// of redacting: a false positive costs a few characters of a diagnostic,
// a false negative leaks a key into the database and every page that
// shows it.
//
// What counts as a secret:
//   - the value of a key, field, header or parameter whose name says it is
//     one (token, password, secret, api key, authorization, cookie,
//     signature, private key, credential…), in JSON ("token": "…"),
//     form or query (password=…), header (Authorization: …) or YAML/prose
//     (api_key: …) form;
//   - credentials after an HTTP auth scheme (Bearer …, Basic …);
//   - well-known token shapes wherever they appear: JSON Web Tokens,
//     GitHub, GitLab, Slack, Stripe, Google and AWS keys, and PEM private
//     key blocks;
//   - passwords in URLs (https://user:password@host).
package redact

import (
	"regexp"
	"strings"
)

// Mark replaces each redacted value.
const Mark = "[redacted]"

// secretName matches the names of fields that hold secrets. Matched
// case-insensitively, with one word before the secret word (joined by
// _ - . or nothing) and any words after it (joined by _ - .), so
// "api_key", "apiKey", "X-Api-Key", "accessToken" and "client-secret"
// count while "author", "tokens" and "design" do not.
const secretName = `(?:[a-z0-9]+[_.-]?)?(?:` +
	`pass(?:word|wd|phrase)?|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|` +
	`client[_.-]?secret|auth(?:orization)?|bearer|cookie|set-cookie|session[_.-]?id|signature|sig|` +
	`credentials?|otp|pin|key` +
	`)(?:[_.-][a-z0-9]+)*`

var (
	// "name": "value" and 'name': 'value' (JSON, JavaScript, Python repr).
	quotedPair = regexp.MustCompile(`(?i)(["']` + secretName + `["']\s*[:=]\s*)(?:\[redacted\]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;}\]]+)`)
	// name=value in forms and query strings, name: value in headers,
	// YAML and prose. The value ends at whitespace or a separator, except
	// that an auth scheme ("Authorization: Bearer abc") takes its
	// credentials along.
	barePair = regexp.MustCompile(`(?i)(\b` + secretName + `\s*(?:=|:)\s*)(?:\[redacted\]|(?:\[?(?:bearer|basic|digest|token)\s+)?[^\s&,;"'<>}\]]+)`)
	// Bearer abc, Basic abc wherever they stand.
	authScheme = regexp.MustCompile(`(?i)(\b(?:bearer|basic)\s+)[a-z0-9._~+/=-]{8,}`)
	// https://user:password@host
	urlPassword = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(@)`)
	// Tokens recognisable by their shape alone.
	tokenShapes = regexp.MustCompile(strings.Join([]string{
		`eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`,    // JSON Web Token
		`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`, // GitHub
		`\bglpat-[A-Za-z0-9_-]{20,}`,                                    // GitLab
		`\bxox[abposr]-[A-Za-z0-9-]{10,}`,                               // Slack
		`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}`,                 // Stripe
		`\bAIza[A-Za-z0-9_-]{30,}`,                                      // Google API key
		`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,                                 // AWS access key id
		`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
	}, "|"))
)

// Secrets returns s with every value that looks like a secret replaced
// by Mark. Names and structure stay, so `{"token": "abc"}` becomes
// `{"token": [redacted]}` and the admin still sees what kind of value
// the answer carried.
func Secrets(s string) string {
	s = tokenShapes.ReplaceAllString(s, Mark)
	s = urlPassword.ReplaceAllString(s, "${1}"+Mark+"${2}")
	s = quotedPair.ReplaceAllStringFunc(s, keepName(quotedPair))
	s = barePair.ReplaceAllStringFunc(s, keepName(barePair))
	s = authScheme.ReplaceAllStringFunc(s, keepName(authScheme))
	return s
}

// keepName replaces what follows a match's first group (the name and its
// separator) with Mark, leaving values that are already Mark alone.
func keepName(re *regexp.Regexp) func(string) string {
	return func(m string) string {
		sub := re.FindStringSubmatchIndex(m)
		name, value := m[:sub[3]], m[sub[3]:]
		if strings.Trim(value, `"' `) == Mark {
			return m
		}
		return name + Mark
	}
}
