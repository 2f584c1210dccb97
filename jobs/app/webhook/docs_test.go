package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests keep docs/webhooks.md true: its examples decode into
// Payload, its test vector is what Sign computes, and its recipes agree
// with Verify (run with python3 and node when they are installed).

const docPath = "../../../docs/webhooks.md"

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	require.NoError(t, err)
	return string(b)
}

// codeBlocks returns the fenced blocks of a language, in order.
func codeBlocks(doc, lang string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case !in && line == "```"+lang:
			in, cur = true, nil
		case in && line == "```":
			in = false
			out = append(out, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

func TestDocExamplesArePayloads(t *testing.T) {
	t.Parallel()
	blocks := codeBlocks(readDoc(t), "json")
	require.NotEmpty(t, blocks)
	wantPersonKeys := keys(jsonObject(t, mustMarshal(t, Person{})))
	ops := map[string]bool{}
	for i, block := range blocks {
		dec := json.NewDecoder(strings.NewReader(block))
		dec.DisallowUnknownFields()
		var p Payload
		require.NoError(t, dec.Decode(&p), "example %d:\n%s", i+1, block)
		require.NoError(t, p.check(), "example %d", i+1)
		assert.Equal(t, time.UTC, p.OccurredAt.Location(), "example %d: occurred_at in UTC", i+1)
		ops[p.Op] = true

		raw := jsonObject(t, []byte(block))
		assert.Equal(t, wantPersonKeys, keys(raw["person"].(map[string]any)), "example %d shows every person field", i+1)
		switch p.Op {
		case OpGrant, OpRevoke:
			assert.NotNil(t, p.Entitlement, "example %d: %s names the entitlement", i+1, p.Op)
		case OpCreateAccount, OpDisable, OpDelete:
			assert.Nil(t, p.Entitlement, "example %d", i+1)
			assert.Empty(t, p.Previous, "example %d", i+1)
		case OpUpdate:
			assert.NotEmpty(t, p.Previous, "example %d: update says what changed", i+1)
		}
	}
	for _, op := range Ops {
		assert.True(t, ops[op], "docs/webhooks.md has an example of %s", op)
	}
}

func TestDocHeadersAreWhatSendSets(t *testing.T) {
	t.Parallel()
	doc := readDoc(t)
	blocks := codeBlocks(doc, "http")
	require.Len(t, blocks, 1)
	for _, line := range []string{
		"POST ", "Content-Type: application/json", "User-Agent: " + UserAgent,
		HeaderIdempotencyKey + ": ", HeaderTimestamp + ": ", HeaderSignature + ": v1=",
	} {
		assert.Contains(t, "\n"+blocks[0], "\n"+line, "the example request")
	}
	for _, name := range []string{"ErrMissingHeader", "ErrBadTimestamp", "ErrStaleTimestamp", "ErrBadSignature"} {
		assert.Contains(t, doc, "webhook."+name)
	}
	assert.Contains(t, doc, "at most 60 seconds")
	assert.Equal(t, time.Minute, MaxTimeout)
	assert.Contains(t, doc, "first 500 bytes")
	assert.Equal(t, 500, ExcerptLimit)
	assert.Contains(t, doc, "within **5 minutes**")
	assert.Equal(t, 5*time.Minute, DefaultTolerance)
}

func TestDocTestVector(t *testing.T) {
	t.Parallel()
	doc := readDoc(t)
	blocks := codeBlocks(doc, "text")
	require.Len(t, blocks, 2)
	v := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(blocks[0]), "\n") {
		name, value, ok := strings.Cut(line, ":")
		require.True(t, ok, line)
		v[name] = strings.TrimSpace(value)
	}
	ts, err := strconv.ParseInt(v["timestamp"], 10, 64)
	require.NoError(t, err)
	body := []byte(v["body"])
	assert.Equal(t, v["signature"], Sign(v["secret"], ts, body))

	h := http.Header{}
	h.Set(HeaderTimestamp, v["timestamp"])
	h.Set(HeaderSignature, v["signature"])
	assert.NoError(t, Verify(v["secret"], h, body, time.Unix(ts, 0), 0))

	const previous = "whsec_roster_docs_example_0000"
	require.Contains(t, doc, "from `"+previous+"` to `"+v["secret"]+"`")
	rotated := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(blocks[1]), HeaderSignature+":"))
	assert.Equal(t, Sign(v["secret"], ts, body)+","+Sign(previous, ts, body), rotated)
}

func TestDocGoRecipeIsTheExample(t *testing.T) {
	t.Parallel()
	blocks := codeBlocks(readDoc(t), "go")
	require.Len(t, blocks, 1)
	example, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	assert.Contains(t, string(example), blocks[0], "docs/webhooks.md's Go receiver is rosterHook in example_test.go")
}

// recipe is the Python and Node.js recipe of docs/webhooks.md, line by
// line in Go: the header's timestamp text, ".", the raw body; lower-case
// hex after "v1="; split on commas, trim, compare each.
func recipe(secret string, headers map[string]string, body []byte, now time.Time) bool {
	timestamp := headers["Roster-Timestamp"]
	if timestamp == "" || strings.Trim(timestamp, "0123456789") != "" {
		return false
	}
	sent, err := strconv.ParseFloat(timestamp, 64) // Python's int() and JavaScript's Number() do not overflow
	if err != nil || math.Abs(float64(now.Unix())-sent) > 300 {
		return false
	}
	signed := append([]byte(timestamp+"."), body...)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(signed)
	expected := []byte("v1=" + hex.EncodeToString(mac.Sum(nil)))
	for _, s := range strings.Split(headers["Roster-Signature"], ",") {
		if hmac.Equal(expected, []byte(strings.TrimSpace(s))) {
			return true
		}
	}
	return false
}

// recipeCase is a request for the recipes and Verify to judge alike.
type recipeCase struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    []byte            `json:"body"` // base64 in JSON, so the bytes arrive exactly
	Want    bool              `json:"want"`
}

func recipeCases(now time.Time) []recipeCase {
	body := []byte("{\"id\":\"act_1\",\"op\":\"grant\",\"person\":{\"first_name\":\"Zoë\"}}\n")
	ts := now.Unix()
	stamp := strconv.FormatInt(ts, 10)
	sig := Sign(testSecret, ts, body)
	other := Sign("another-secret-0123456789", ts, body)
	stale := now.Add(-10 * time.Minute).Unix()
	future := now.Add(10 * time.Minute).Unix()
	h := func(ts, sig string) map[string]string {
		m := map[string]string{}
		if ts != "" {
			m[HeaderTimestamp] = ts
		}
		if sig != "" {
			m[HeaderSignature] = sig
		}
		return m
	}
	return []recipeCase{
		{"good", testSecret, h(stamp, sig), body, true},
		{"rotated, new first", testSecret, h(stamp, sig+","+other), body, true},
		{"rotated, new second with spaces", testSecret, h(stamp, other+" , "+sig), body, true},
		{"wrong secret", "a-wrong-secret-0123456789", h(stamp, sig), body, false},
		{"tampered body", testSecret, h(stamp, sig), append(bytes.Clone(body[:len(body)-1]), ' '), false},
		{"stale", testSecret, h(strconv.FormatInt(stale, 10), Sign(testSecret, stale, body)), body, false},
		{"from the future", testSecret, h(strconv.FormatInt(future, 10), Sign(testSecret, future, body)), body, false},
		{"missing timestamp", testSecret, h("", sig), body, false},
		{"missing signature", testSecret, h(stamp, ""), body, false},
		{"malformed timestamp", testSecret, h(stamp+"a", sig), body, false},
		{"non-ASCII digits", testSecret, h("١٧٧٢٤٣٨٤٠٠", sig), body, false},
		{"upper-case hex", testSecret, h(stamp, "v1="+strings.ToUpper(strings.TrimPrefix(sig, "v1="))), body, false},
		{"bare hex", testSecret, h(stamp, strings.TrimPrefix(sig, "v1=")), body, false},
		{"a non-ASCII signature", testSecret, h(stamp, "v1=é"), body, false},
	}
}

func verifyCase(c recipeCase, now time.Time) bool {
	header := http.Header{}
	for k, v := range c.Headers {
		header.Set(k, v)
	}
	return Verify(c.Secret, header, c.Body, now, DefaultTolerance) == nil
}

func TestDocRecipeInGo(t *testing.T) {
	t.Parallel()
	doc := readDoc(t)
	// The lines the recipe above mirrors.
	for _, line := range []string{
		`signed = timestamp.encode() + b"." + body`,
		`expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()`,
		`hmac.compare_digest(expected.encode(), s.strip().encode()) for s in signatures`,
		`signatures = headers.get("Roster-Signature", "").split(",")`,
		`const signed = Buffer.concat([Buffer.from(timestamp + "."), body]);`,
		`const expected = Buffer.from("v1=" + crypto.createHmac("sha256", secret).update(signed).digest("hex"));`,
		`(headers["roster-signature"] ?? "").split(",").some((s) => {`,
		`crypto.timingSafeEqual(candidate, expected)`,
		`TOLERANCE_SECONDS = 300`,
	} {
		assert.Contains(t, doc, line)
	}
	now := time.Now()
	for _, c := range recipeCases(now) {
		assert.Equal(t, c.Want, recipe(c.Secret, c.Headers, c.Body, now), "recipe: %s", c.Name)
		assert.Equal(t, c.Want, verifyCase(c, now), "Verify: %s", c.Name)
	}
}

// Drivers that feed recipeCases to the doc's first python and javascript
// blocks and print one boolean per case.
const (
	pythonDriver = `
import base64, json, sys
cases = json.load(sys.stdin)
print(json.dumps([verify(c["secret"], c["headers"], base64.b64decode(c["body"])) for c in cases]))
`
	nodeDriver = `
const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const lower = (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
console.log(JSON.stringify(cases.map((c) => verify(c.secret, lower(c.headers), Buffer.from(c.body, "base64")))));
`
)

func TestDocRecipesRun(t *testing.T) {
	t.Parallel()
	doc := readDoc(t)
	tests := []struct {
		name, lang, tool, driver, file string
	}{
		{"Python", "python", "python3", pythonDriver, "verify.py"},
		{"Node.js", "javascript", "node", nodeDriver, "verify.js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tool, err := exec.LookPath(tt.tool)
			if err != nil {
				t.Skipf("%s is not installed", tt.tool)
			}
			blocks := codeBlocks(doc, tt.lang)
			require.NotEmpty(t, blocks)
			script := filepath.Join(t.TempDir(), tt.file)
			require.NoError(t, os.WriteFile(script, []byte(blocks[0]+tt.driver), 0o600))

			now := time.Now()
			cases := recipeCases(now)
			input, err := json.Marshal(cases)
			require.NoError(t, err)
			cmd := exec.CommandContext(t.Context(), tool, script)
			cmd.Stdin = bytes.NewReader(input)
			out, err := cmd.Output()
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				t.Fatalf("%s failed: %v\n%s", tt.tool, err, exitErr.Stderr)
			}
			require.NoError(t, err)
			var got []bool
			require.NoError(t, json.Unmarshal(out, &got), string(out))
			require.Len(t, got, len(cases))
			for i, c := range cases {
				assert.Equal(t, c.Want, got[i], "%s recipe: %s", tt.name, c.Name)
				assert.Equal(t, verifyCase(c, now), got[i], "%s recipe and Verify agree: %s", tt.name, c.Name)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}
