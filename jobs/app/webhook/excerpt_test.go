package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"empty", "", ""},
		{"plain text", "account created", "account created"},
		{"whitespace runs collapse", "  {\n\t\"error\":   \"no such group\"\r\n}\n", `{ "error": "no such group" }`},
		{"terminal escapes lose their ESC", "\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"NUL, DEL and C1 controls go", "a\x00b\x7fc\u009bd", "abcd"},
		{"NEL is a line break", "a\u0085b", "a b"},
		{"bidirectional overrides go", "ok \u202eevil\u202c \u2066x\u2069", "ok evil x"},
		{"invalid UTF-8 goes", "caf\xc3\xa9 \xff\xfe bar \xc3", "café bar"},
		{"non-breaking spaces collapse too", "a\u00a0\u00a0b", "a b"},
		{"non-Latin text stays", "Fehler: Gruppe „eng“ fehlt — 未找到", "Fehler: Gruppe „eng“ fehlt — 未找到"},
		{"an echoed secret is redacted", "debug: secret=" + testSecret, "debug: secret=[redacted]"},
		{"a credential the app answered with is redacted", `{"error":"bad group","access_token":"tok-123"}`, `{"error":"bad group","access_token":[redacted]}`},
		{"a secret split by a control character is still redacted", "secret=" + testSecret[:5] + "\x00" + testSecret[5:], "secret=[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, excerpt([]byte(tt.raw), testSecret))
		})
	}
}

func TestExcerptIsCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"ASCII is cut at 500 bytes", strings.Repeat("a", 10000), strings.Repeat("a", 500)},
		{"a two-byte character is not split", "a" + strings.Repeat("é", 300), "a" + strings.Repeat("é", 249)},
		{"a four-byte character is not split", "ab" + strings.Repeat("😀", 200), "ab" + strings.Repeat("😀", 124)},
		{"whitespace does not use up the excerpt", strings.Repeat(" \n", 1000) + "the reason", "the reason"},
		{"a body longer than what is read", strings.Repeat("x", 1<<20), strings.Repeat("x", 500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := excerpt([]byte(tt.raw), testSecret)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), ExcerptLimit)
			assert.True(t, utf8.ValidString(got))
		})
	}
}

func TestSendKeepsASanitisedExcerpt(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte("\x1b[1merror:\x1b[0m\n\n  unknown \u202egroup\u202c \xff" + strings.Repeat("é", 2000)))
	})
	res := testClient().Send(context.Background(), rc.config("/hook"), samplePayload(), time.Now())
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	assert.True(t, strings.HasPrefix(res.Excerpt, "[1merror:[0m unknown group é"), res.Excerpt)
	assert.LessOrEqual(t, len(res.Excerpt), ExcerptLimit)
	assert.Greater(t, len(res.Excerpt), ExcerptLimit-2)
	assert.True(t, utf8.ValidString(res.Excerpt))
}
