package models_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// testKey's bytes encode to '+' and '/' in standard base64 and to '-' and
// '_' in the URL alphabet, so each encoding is told apart.
var testKey = bytes.Repeat([]byte{0xfb, 0xff, 0xbf, 0x3e}, models.SecretKeySize/4)

func newSealer(t *testing.T, key []byte) *models.Sealer {
	t.Helper()
	s, err := models.NewSealer(key)
	require.NoError(t, err)
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey)
	for _, plaintext := range []string{
		"",
		"sk_live_0123456789",
		"mot de passe: été ☃",
		strings.Repeat("x", 10_000),
		"v1:looks-sealed-but-is-not",
	} {
		sealed, err := s.Seal(plaintext)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(sealed, "v1:"), sealed)
		if plaintext != "" {
			require.NotContains(t, sealed, plaintext)
		}
		opened, err := s.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, plaintext, opened)
	}
}

func TestSealIsRandomised(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey)
	a, err := s.Seal("same secret")
	require.NoError(t, err)
	b, err := s.Seal("same secret")
	require.NoError(t, err)
	require.NotEqual(t, a, b, "two seals of one plaintext must differ (fresh nonce)")
}

func TestOpenWithWrongKeyFails(t *testing.T) {
	t.Parallel()
	sealed, err := newSealer(t, testKey).Seal("secret")
	require.NoError(t, err)
	other := bytes.Clone(testKey)
	other[0] ^= 1
	_, err = newSealer(t, other).Open(sealed)
	require.Error(t, err)
}

func TestOpenRejectsTamperedValues(t *testing.T) {
	t.Parallel()
	s := newSealer(t, testKey)
	sealed, err := s.Seal("secret")
	require.NoError(t, err)
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	require.NoError(t, err)
	reseal := func(b []byte) string { return "v1:" + base64.RawStdEncoding.EncodeToString(b) }
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return reseal(b)
	}

	tests := []struct {
		name   string
		sealed string
	}{
		{name: "nonce bit flipped", sealed: flip(0)},
		{name: "ciphertext bit flipped", sealed: flip(12)},
		{name: "tag bit flipped", sealed: flip(len(raw) - 1)},
		{name: "truncated", sealed: reseal(raw[:len(raw)-1])},
		{name: "extended", sealed: reseal(append(bytes.Clone(raw), 0))},
		{name: "nonce only", sealed: reseal(raw[:12])},
		{name: "shorter than a nonce", sealed: reseal(raw[:5])},
		{name: "empty body", sealed: "v1:"},
		{name: "not base64", sealed: "v1:!!!!"},
		{name: "unknown version", sealed: "v2:" + strings.TrimPrefix(sealed, "v1:")},
		{name: "no prefix", sealed: strings.TrimPrefix(sealed, "v1:")},
		{name: "plaintext", sealed: "secret"},
		{name: "empty", sealed: ""},
	}
	for _, tt := range tests {
		_, err := s.Open(tt.sealed)
		require.Error(t, err, tt.name)
	}
}

func TestNewSealerRejectsWrongKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := models.NewSealer(make([]byte, n))
		require.Error(t, err, "%d-byte key", n)
	}
}

func TestParseSecretKey(t *testing.T) {
	t.Parallel()
	std := base64.StdEncoding.EncodeToString(testKey)
	require.True(t, strings.ContainsAny(std, "+/"), "precondition: the key uses the standard alphabet's own characters")
	url := base64.URLEncoding.EncodeToString(testKey)
	require.True(t, strings.ContainsAny(url, "-_"), "precondition: the key uses the URL alphabet's own characters")

	accepted := []struct {
		name string
		in   string
	}{
		{name: "base64 std", in: std},
		{name: "base64 std raw", in: base64.RawStdEncoding.EncodeToString(testKey)},
		{name: "base64 url", in: url},
		{name: "base64 url raw", in: base64.RawURLEncoding.EncodeToString(testKey)},
		{name: "hex", in: hex.EncodeToString(testKey)},
		{name: "hex upper case", in: strings.ToUpper(hex.EncodeToString(testKey))},
		{name: "openssl output with newline", in: std + "\n"},
		{name: "surrounding spaces", in: "  " + std + "  "},
	}
	for _, tt := range accepted {
		key, err := models.ParseSecretKey(tt.in)
		require.NoError(t, err, tt.name)
		require.Equal(t, testKey, key, tt.name)
	}

	rejected := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "blank", in: "   "},
		{name: "garbage", in: "not a key at all!"},
		{name: "16 bytes base64", in: base64.StdEncoding.EncodeToString(testKey[:16])},
		{name: "31 bytes base64", in: base64.StdEncoding.EncodeToString(testKey[:31])},
		{name: "33 bytes base64", in: base64.StdEncoding.EncodeToString(append(bytes.Clone(testKey), 1))},
		{name: "64 bytes base64", in: base64.StdEncoding.EncodeToString(bytes.Repeat(testKey, 2))},
		{name: "31 bytes hex", in: hex.EncodeToString(testKey[:31])},
		{name: "33 bytes hex", in: hex.EncodeToString(append(bytes.Clone(testKey), 1))},
		{name: "hex with a bad digit", in: "g" + hex.EncodeToString(testKey)[1:]},
		{name: "raw 32 bytes", in: string(bytes.Repeat([]byte("k"), 32))},
	}
	for _, tt := range rejected {
		_, err := models.ParseSecretKey(tt.in)
		require.Error(t, err, tt.name)
	}

	// A parsed key opens what a sealer with the raw key sealed.
	key, err := models.ParseSecretKey(std)
	require.NoError(t, err)
	sealed, err := newSealer(t, testKey).Seal("round trip")
	require.NoError(t, err)
	opened, err := newSealer(t, key).Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "round trip", opened)
}
