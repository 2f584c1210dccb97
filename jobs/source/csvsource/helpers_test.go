package csvsource

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// person returns a valid row as column → value, with some columns changed.
// A value of "-" drops the column from the file.
func person(id string, changes map[string]string) map[string]string {
	p := map[string]string{
		"employee_id": id, "first_name": "Ada", "last_name": "Lovelace", "work_email": strings.ToLower(id) + "@example.com",
		"status": "active", "start_date": "2020-01-06",
	}
	for k, v := range changes {
		p[k] = v
	}
	return p
}

// fileOf writes people as CSV: the standard columns any of them has, in
// template order, then the others sorted.
func fileOf(people ...map[string]string) string {
	var names, extra []string
	seen := map[string]bool{}
	for _, c := range Columns {
		for _, p := range people {
			if v, ok := p[c.Name]; ok && v != "-" && !seen[c.Name] {
				names, seen[c.Name] = append(names, c.Name), true
			}
		}
	}
	for _, p := range people {
		for k, v := range p {
			if !seen[k] && v != "-" {
				extra, seen[k] = append(extra, k), true
			}
		}
	}
	slices.Sort(extra)
	names = append(names, extra...)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(names)
	for _, p := range people {
		row := make([]string, len(names))
		for i, n := range names {
			row[i] = p[n]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.String()
}

// parse parses s and requires that it was readable as CSV.
func parse(t *testing.T, s string) *Result {
	t.Helper()
	res, err := Parse(strings.NewReader(s))
	require.NoError(t, err)
	require.NotNil(t, res)
	return res
}

// parseOK parses s and requires that it has no errors.
func parseOK(t *testing.T, s string) []models.PersonFields {
	t.Helper()
	res := parse(t, s)
	require.Empty(t, res.Errors)
	require.Len(t, res.Records, res.Rows)
	return res.Records
}
