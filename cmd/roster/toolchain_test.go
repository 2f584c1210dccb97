package main

import (
	"bufio"
	"go/version"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestToolchainIsCurrent fails when the tests run under a Go older than the
// toolchain line in go.mod, the release that carries the standard-library
// security fixes Roster relies on. A go with GOTOOLCHAIN=local ignores that
// line, so without this test a stale toolchain would pass unnoticed.
func TestToolchainIsCurrent(t *testing.T) {
	t.Parallel()
	running := runtime.Version()
	if !version.IsValid(running) {
		t.Skipf("development toolchain %q: no release to compare", running)
	}
	want := goModToolchain(t, "../../go.mod")
	require.NotEmpty(t, want, "go.mod has no toolchain line")
	if version.Compare(running, want) < 0 {
		t.Fatalf("running %s, go.mod asks for %s: run through make (it sets GOTOOLCHAIN=auto) or set GOTOOLCHAIN=auto", running, want)
	}
}

// goModToolchain returns the version on go.mod's toolchain line, e.g. "go1.26.10".
func goModToolchain(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "toolchain "); ok {
			return strings.TrimSpace(rest)
		}
	}
	require.NoError(t, lines.Err())
	return ""
}
