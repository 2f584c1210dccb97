package csvsource

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// A line break in a name ends up in mail headers about the person, so
// every value must be one line of text.
func TestParseRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes map[string]string
		field   string
		message string
	}{
		{"LF in a name", map[string]string{"first_name": "Ada\nBcc: x@evil.example"}, "first_name", "contains a line break: a value must be on one line"},
		{"CR in a name", map[string]string{"last_name": "Love\rlace"}, "last_name", "contains a line break: a value must be on one line"},
		{"CRLF in a title", map[string]string{"title": "Head of\r\nEngines"}, "title", "contains a line break: a value must be on one line"},
		{"NUL in an employee id", map[string]string{"employee_id": "E\x001"}, "employee_id", "contains a NUL character"},
		{"LF in an email", map[string]string{"work_email": "ada@example.com\nBcc: x@evil.example"}, "work_email", "contains a line break: a value must be on one line"},
		{"bell in a department", map[string]string{"department": "Eng\aineering"}, "department", "contains the control character U+0007"},
		{"escape in a location", map[string]string{"location": "\x1b[31mLondon"}, "location", "contains the control character U+001B"},
		{"DEL in a team", map[string]string{"team": "Plat\x7fform"}, "team", "contains the control character U+007F"},
		{"C1 next line in a custom column", map[string]string{"laptop": "Mac\u0085Book"}, "laptop", "contains the control character U+0085"},
		{"line separator in a preferred name", map[string]string{"preferred_name": "So\u2028fi"}, "preferred_name", "contains the control character U+2028"},
		{"LF in groups", map[string]string{"groups": "eng\non-call"}, "groups", "contains a line break: a value must be on one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, fileOf(person("E1", tt.changes), person("E2", nil)))
			assert.Equal(t, []models.RowError{{Line: 2, Field: tt.field, Message: tt.message}}, res.Errors)
			assert.Nil(t, res.Records)
		})
	}
}

func TestParseAcceptsTabsInValues(t *testing.T) {
	t.Parallel()
	recs := parseOK(t, fileOf(person("E1", map[string]string{"title": "Engineer\tII", "laptop": "Mac\tBook"})))
	assert.Equal(t, "Engineer\tII", recs[0].Title)
	assert.Equal(t, "Mac\tBook", recs[0].Custom["laptop"])
}

func TestParseValueLength(t *testing.T) {
	t.Parallel()
	longest := strings.Repeat("é", MaxValueLength) // characters, not bytes
	recs := parseOK(t, fileOf(person("E1", map[string]string{"title": longest, "laptop": longest})))
	assert.Equal(t, longest, recs[0].Title)
	assert.Equal(t, longest, recs[0].Custom["laptop"])

	tooLong := strings.Repeat("x", MaxValueLength+1)
	res := parse(t, fileOf(person("E1", nil), person("E2", map[string]string{"title": tooLong, "laptop": tooLong + "x"})))
	assert.Equal(t, []models.RowError{
		{Line: 3, Field: "title", Message: "is 1001 characters long: a value may have at most 1000"},
		{Line: 3, Field: "laptop", Message: "is 1002 characters long: a value may have at most 1000"},
	}, res.Errors)
	assert.Nil(t, res.Records)
}

// headerWithCustom is the required columns and n custom ones, c1...cn.
func headerWithCustom(n int) string {
	var b strings.Builder
	b.WriteString("employee_id,first_name,last_name,work_email,status,start_date")
	for i := range n {
		fmt.Fprintf(&b, ",c%d", i+1)
	}
	return b.String() + "\n"
}

func TestParseCustomColumnLimit(t *testing.T) {
	t.Parallel()
	const row = "E1,Ada,Lovelace,ada@example.com,active,2020-01-06\n"
	res := parse(t, headerWithCustom(MaxCustomColumns)+row)
	require.Empty(t, res.Errors)
	assert.Len(t, res.CustomColumns, MaxCustomColumns)

	res = parse(t, headerWithCustom(MaxCustomColumns+1)+row)
	assert.Equal(t, []models.RowError{{Line: 1,
		Message: "the header has 201 custom columns: a file may have at most 200 (every column that is not a standard one is a custom attribute)"}}, res.Errors)
	assert.Nil(t, res.Records)

	// Thousands of columns are one error, not one per column.
	res = parse(t, headerWithCustom(5000)+row)
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Message, "the header has 5000 custom columns")
}

// rowOfBytes is a valid row for E<id> that is exactly n bytes long,
// newline included, in the file headerWithCustom(70) starts.
func rowOfBytes(id, n int) string {
	row := fmt.Sprintf("E%d,Ada,Lovelace,ada%d@example.com,active,2020-01-06", id, id)
	for i := 0; i < 70 && len(row)+2 <= n; i++ {
		row += "," + strings.Repeat("v", min(MaxValueLength, n-len(row)-2))
	}
	return row + "\n"
}

func TestParseRowLength(t *testing.T) {
	t.Parallel()
	head := headerWithCustom(70)
	longest := rowOfBytes(2, MaxRowBytes)
	require.Len(t, longest, MaxRowBytes)
	recs := parseOK(t, head+rowOfBytes(1, 100)+longest+rowOfBytes(3, 100))
	require.Len(t, recs, 3)

	tooLong := rowOfBytes(3, MaxRowBytes+1)
	require.Len(t, tooLong, MaxRowBytes+1)
	const stopped = "the row is longer than 64 KiB, the most one row may hold; reading stopped here " +
		"(a quote that is never closed makes the rest of the file one row)"
	tests := []struct {
		name string
		file string
		want []models.RowError
		rows int
	}{
		{"one byte too long", head + rowOfBytes(1, 100) + rowOfBytes(2, 100) + tooLong + rowOfBytes(4, 100),
			[]models.RowError{{Line: 4, Message: stopped}}, 2},
		{"far too long", head + rowOfBytes(1, 100) + strings.Repeat("x", 10*MaxRowBytes) + "\n",
			[]models.RowError{{Line: 3, Message: stopped}}, 1},
		{"an unclosed quote", head + rowOfBytes(1, 100) + "E2,\"Ada,Lovelace\n" + strings.Repeat(rowOfBytes(3, 100), 2000),
			[]models.RowError{{Line: 3, Message: stopped}}, 1},
		{"after header problems", "employee_id,first_name\n" + tooLong, []models.RowError{
			{Line: 1, Message: "missing required columns: last_name, work_email, status, start_date"},
			{Line: 2, Message: stopped},
		}, 0},
		{"a header too long to be a header", strings.Repeat("c,", MaxRowBytes) + "\n" + rowOfBytes(1, 100), []models.RowError{
			{Line: 1, Message: "the header is longer than 64 KiB: a file may have at most 200 custom columns, named in at most 64 characters each"},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, tt.file)
			assert.Equal(t, tt.want, res.Errors)
			assert.Equal(t, tt.rows, res.Rows)
			assert.Nil(t, res.Records)
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// endless repeats one byte.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// A huge row is cut short while it is read, not after it is in memory.
func TestParseStopsReadingAHugeRow(t *testing.T) {
	t.Parallel()
	for name, row := range map[string]string{"unquoted": "E1,Ada,", "an unclosed quote": "E1,\"Ada,"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := &countingReader{r: io.MultiReader(strings.NewReader(head+row), io.LimitReader(endless('x'), 16<<20))}
			res, err := Parse(src)
			require.NoError(t, err)
			require.Len(t, res.Errors, 1)
			assert.Equal(t, 2, res.Errors[0].Line)
			assert.Contains(t, res.Errors[0].Message, "the row is longer than 64 KiB")
			assert.Less(t, src.n, 2*MaxRowBytes, "bytes read from the file")
		})
	}
}
