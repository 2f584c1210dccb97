package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const scanConfig = `{"config":{"protocol_version":"v1.0.0","scanner_name":"govulncheck","scanner_version":"v1.9.0","db":"file:///db","go_version":"go1.26.8","scan_level":"symbol","scan_mode":"source"}}
{"osv":{"id":"GO-2099-0001","summary":"Made-up"}}
`

// Findings as govulncheck reports them, one line per level reached.
const (
	requiredWithFix = `{"finding":{"osv":"GO-2099-0001","fixed_version":"v99.0.0","trace":[{"module":"stdlib","version":"v1.26.8"}]}}` + "\n"
	importedWithFix = `{"finding":{"osv":"GO-2099-0001","fixed_version":"v99.0.0","trace":[{"module":"stdlib","version":"v1.26.8","package":"strings"}]}}` + "\n"
	calledWithFix   = `{"finding":{"osv":"GO-2099-0001","fixed_version":"v99.0.0","trace":[{"module":"stdlib","version":"v1.26.8","package":"strings","function":"ToUpper"},{"module":"example.com/calls","package":"example.com/calls","function":"main","position":{"filename":"main.go","line":12}}]}}` + "\n"
	calledNoFix     = `{"finding":{"osv":"GO-2099-0001","trace":[{"module":"stdlib","version":"v1.26.8","package":"strings","function":"ToUpper"},{"module":"example.com/calls","package":"example.com/calls","function":"main"}]}}` + "\n"
)

func TestPolicyFailsOnlyOnCalledCodeWithAFix(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		findings string
		blocking int
	}{
		"nothing found":           {"", 0},
		"required, not imported":  {requiredWithFix, 0},
		"imported, not called":    {requiredWithFix + importedWithFix, 0},
		"called, with a fix":      {requiredWithFix + importedWithFix + calledWithFix, 1},
		"called, no fix released": {calledNoFix, 0},
	} {
		rep, err := readScan(strings.NewReader(scanConfig + tc.findings))
		require.NoError(t, err, name)
		assert.Len(t, rep.Blocking(), tc.blocking, name)
	}
}

func TestPolicyPrintsEveryFinding(t *testing.T) {
	t.Parallel()
	rep, err := readScan(strings.NewReader(scanConfig + requiredWithFix + importedWithFix + calledWithFix))
	require.NoError(t, err)
	var out strings.Builder
	rep.Print(&out)
	assert.Contains(t, out.String(), "Called, and a release fixes it (fails the check): 1\n"+
		"  GO-2099-0001  stdlib@go1.26.8, fixed in go99.0.0: Made-up\n"+
		"      main.go:12: example.com/calls.main reaches strings.ToUpper\n")
}

func TestPolicyRefusesOutputItCannotJudge(t *testing.T) {
	t.Parallel()
	_, err := readScan(strings.NewReader(`{"progress":{"message":"hi"}}`))
	assert.ErrorContains(t, err, "no config message")
	_, err = readScan(strings.NewReader(strings.Replace(scanConfig, `"symbol"`, `"package"`, 1)))
	assert.ErrorContains(t, err, "needs symbol")
	_, err = readScan(strings.NewReader("Your code is affected by 3 vulnerabilities"))
	assert.Error(t, err)
}

// TestScanWithFixtureDatabase runs the real govulncheck (the go.mod tool)
// over testdata/calls, which calls strings.ToUpper and imports but never
// calls strings.ToLower, against databases built from made-up reports on
// both: it fails while a release fixes ToUpper and passes when none does.
func TestScanWithFixtureDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs govulncheck")
	}
	t.Parallel()
	for reports, wantBlocking := range map[string][]string{
		"fixed":   {"GO-2099-0001"},
		"unfixed": nil,
	} {
		t.Run(reports, func(t *testing.T) {
			t.Parallel()
			db := t.TempDir()
			require.NoError(t, buildDatabase(filepath.Join("testdata", reports), db, time.Now()))
			rep, err := scan(context.Background(), "go", "testdata/calls", db, []string{"."})
			require.NoError(t, err)
			var blocking []string
			for _, v := range rep.Blocking() {
				blocking = append(blocking, v.ID)
			}
			assert.Equal(t, wantBlocking, blocking)
			require.Len(t, rep.Vulns, 2, "both reports are found")
			assert.Nil(t, rep.Vulns[1].Called, "ToLower is imported, not called")
		})
	}
}
