package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildDatabaseWritesTheV1Layout(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	released := time.Date(2100, 5, 6, 7, 8, 9, 0, time.UTC)
	require.NoError(t, buildDatabase("testdata/fixed", out, released))

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, `{"modified":"2100-05-06T07:08:09Z"}`, read("index/db.json"))
	assert.Equal(t, `[{"path":"stdlib","vulns":[`+
		`{"id":"GO-2099-0001","modified":"2099-01-02T03:04:05Z","fixed":"99.0.0"},`+
		`{"id":"GO-2099-0002","modified":"2099-01-02T03:04:05Z","fixed":"99.0.0"}]}]`, read("index/modules.json"))
	assert.Equal(t, `[{"id":"GO-2099-0001","modified":"2099-01-02T03:04:05Z","aliases":["CVE-2099-ToUpper"]},`+
		`{"id":"GO-2099-0002","modified":"2099-01-02T03:04:05Z","aliases":["CVE-2099-ToLower"]}]`, read("index/vulns.json"))
	report, err := os.ReadFile("testdata/fixed/GO-2099-0001.json")
	require.NoError(t, err)
	assert.Equal(t, string(report), read("ID/GO-2099-0001.json"))
}

func TestBuildDatabaseRejectsAMisnamedReport(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	report, err := os.ReadFile("testdata/fixed/GO-2099-0001.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(in, "GO-2099-9999.json"), report, 0o644))
	assert.ErrorContains(t, buildDatabase(in, t.TempDir(), time.Time{}), `holds report "GO-2099-0001"`)
}

func TestLatestFixed(t *testing.T) {
	t.Parallel()
	semver := func(events ...[2]string) []osvRange {
		r := osvRange{Type: "SEMVER"}
		for _, e := range events {
			r.Events = append(r.Events, struct {
				Introduced string `json:"introduced"`
				Fixed      string `json:"fixed"`
			}{e[0], e[1]})
		}
		return []osvRange{r}
	}
	for name, tc := range map[string]struct {
		ranges []osvRange
		want   string
	}{
		"no fix":          {semver([2]string{"0", ""}), ""},
		"one fix":         {semver([2]string{"0", ""}, [2]string{"", "1.2.3"}), "1.2.3"},
		"highest of two":  {semver([2]string{"0", ""}, [2]string{"", "1.25.9"}, [2]string{"1.26.0-0", ""}, [2]string{"", "1.26.10"}), "1.26.10"},
		"reintroduced":    {semver([2]string{"0", ""}, [2]string{"", "1.2.3"}, [2]string{"1.4.0", ""}), ""},
		"not semver type": {[]osvRange{{Type: "GIT"}}, ""},
	} {
		assert.Equal(t, tc.want, latestFixed(tc.ranges), name)
	}
}
