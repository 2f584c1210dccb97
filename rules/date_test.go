package rules

import (
	"strings"
	"testing"
	"time"
)

// parseDate gives time.Parse(time.DateOnly)'s answer for every input,
// through its quick reading or not.
func TestParseDateAgreesWithTimeParse(t *testing.T) {
	for _, s := range []string{"2026-01-05", " 2026-01-05 ", "2024-02-29", "2026-02-29", "2026-02-28", "2026-04-31",
		"2026-12-31", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01", "9999-12-31", "2026-1-05", "2026/01/05",
		"20260105", "2026-01-0x", "+026-01-05", "2026-01-05T00:00:00Z", ""} {
		want, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		got, ok := parseDate(s)
		if ok != (err == nil) || ok && (!got.Equal(want) || got.Location() != want.Location()) {
			t.Errorf("parseDate(%q) = %v, %v; time.Parse gives %v, %v", s, got, ok, want, err)
		}
	}
}
