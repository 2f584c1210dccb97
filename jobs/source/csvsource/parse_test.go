package csvsource

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

const head = "employee_id,first_name,last_name,work_email,status,start_date,title\n"

func TestParseLineNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want []models.RowError
		rows int
	}{
		{"first data row is line 2", head + "E1,Ada,Lovelace,ada@example.com,gone,2020-01-06,\n", []models.RowError{
			{Line: 2, Field: "status", Message: `unknown status "gone": use pending, active, leave or terminated`},
		}, 1},
		{"quoted newlines push later rows down", head +
			"E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\"Head of\nAnalytical\nEngines\"\n" +
			"E2,Bob,Babbage,bob@example,active,2020-01-06,\n", []models.RowError{
			{Line: 2, Field: "title", Message: "contains a line break: a value must be on one line"},
			{Line: 5, Field: "work_email", Message: `malformed email "bob@example"`},
		}, 2},
		{"a row with a quoted newline is reported on its first line", head +
			"E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\n" +
			"E2,Bob,Babbage,bob@example.com,active,\"2020-01\n-06\",\n", []models.RowError{
			{Line: 3, Field: "start_date", Message: "contains a line break: a value must be on one line"},
		}, 2},
		{"blank lines are skipped but counted", head + "\n\n" +
			"E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\n\n" +
			"E2,Bob,Babbage,,active,2020-01-06,\n", []models.RowError{
			{Line: 6, Field: "work_email", Message: "is required unless status is pending"},
		}, 2},
		{"rows of empty cells are skipped", head + ",,,,,,\n  , ,,,,,\n" +
			"E2,Bob,Babbage,,active,2020-01-06,\n", []models.RowError{
			{Line: 4, Field: "work_email", Message: "is required unless status is pending"},
		}, 1},
		{"CRLF line endings", strings.ReplaceAll(head+"E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\nE2,Bob,Babbage,,active,2020-01-06,\n", "\n", "\r\n"), []models.RowError{
			{Line: 3, Field: "work_email", Message: "is required unless status is pending"},
		}, 2},
		{"every bad row, in line order, by column within a line", head +
			"E1,,Lovelace,ada@example.com,gone,yesterday,\n" +
			"E2,Bob,Babbage,bob@example.com,active,2020-01-06,\n" +
			",Cy,Clark,cy,active,2020-01-06,\n", []models.RowError{
			{Line: 2, Field: "first_name", Message: "is required"},
			{Line: 2, Field: "status", Message: `unknown status "gone": use pending, active, leave or terminated`},
			{Line: 2, Field: "start_date", Message: `bad date "yesterday": use YYYY-MM-DD`},
			{Line: 4, Field: "employee_id", Message: "is required"},
			{Line: 4, Field: "work_email", Message: `malformed email "cy"`},
		}, 3},
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

func TestParseRowShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want []models.RowError
	}{
		{"short row reads missing cells as empty", head + "E1,Ada,Lovelace,ada@example.com,active,2020-01-06\n", nil},
		{"short row still needs its required values", head + "E1,Ada,Lovelace,ada@example.com,active\n", []models.RowError{
			{Line: 2, Field: "start_date", Message: "is required"},
		}},
		{"trailing empty cells are fine", head + "E1,Ada,Lovelace,ada@example.com,active,2020-01-06,,,,\n", nil},
		{"values beyond the header", head + "E1,Ada,Lovelace,ada@example.com,active,2020-01-06,,,oops\n", []models.RowError{
			{Line: 2, Message: `value "oops" is in column I, which has no heading`},
		}},
		{"value under a column without a heading", "employee_id,first_name,,last_name,work_email,status,start_date\nE1,Ada,x,Lovelace,ada@example.com,active,2020-01-06\n", []models.RowError{
			{Line: 2, Message: `value "x" is in column C, which has no heading`},
		}},
		{"stray quote is reported and reading goes on", head +
			"E1,Ada \"The Countess\" Lovelace,x,ada@example.com,active,2020-01-06,\n" +
			"E2,Bob,Babbage,bob@example.com,active,2020-13-01,\n", []models.RowError{
			{Line: 2, Message: `cannot read this row: bare " in non-quoted-field`},
			{Line: 3, Field: "start_date", Message: `bad date "2020-13-01": use YYYY-MM-DD`},
		}},
		{"unclosed quote", head +
			"E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\n" +
			"E2,\"Bob,Babbage,bob@example.com,active,2020-01-06,\nE3,Cy,Clark,cy@example.com,active,2020-01-06,\n", []models.RowError{
			{Line: 3, Message: `cannot read this row: extraneous or missing " in quoted-field`},
		}},
		{"space before a quoted value", head + "E1, \"Ada\",Lovelace,ada@example.com,active,2020-01-06,\"Engineer, Analytical\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, tt.file)
			assert.Equal(t, tt.want, res.Errors)
			if tt.want == nil {
				require.Len(t, res.Records, 1)
			}
		})
	}
}

func TestParseAcrossRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		people []map[string]string
		want   []models.RowError
	}{
		{"manager on a later row", []map[string]string{
			person("E2", map[string]string{"manager_id": "E1"}), person("E1", nil),
		}, nil},
		{"manager on an earlier row", []map[string]string{
			person("E1", nil), person("E2", map[string]string{"manager_id": "E1"}),
		}, nil},
		{"manager whose own row is invalid still exists", []map[string]string{
			person("E1", map[string]string{"status": "retired"}), person("E2", map[string]string{"manager_id": "E1"}),
		}, []models.RowError{{Line: 2, Field: "status", Message: `unknown status "retired": use pending, active, leave or terminated`}}},
		{"duplicate employee id reported on each later line", []map[string]string{
			person("E1", nil), person("E2", nil), person("E1", map[string]string{"work_email": "x@example.com"}), person("E1", map[string]string{"work_email": "y@example.com"}),
		}, []models.RowError{
			{Line: 4, Field: "employee_id", Message: `duplicate employee id "E1" (first on line 2)`},
			{Line: 5, Field: "employee_id", Message: `duplicate employee id "E1" (first on line 2)`},
		}},
		{"employee ids are case-sensitive", []map[string]string{person("e1", nil), person("E1", nil)}, nil},
		{"employee ids are trimmed", []map[string]string{person("E1", nil), person(" E1 ", map[string]string{"work_email": "x@example.com"})}, []models.RowError{
			{Line: 3, Field: "employee_id", Message: `duplicate employee id "E1" (first on line 2)`},
		}},
		{"a chain of managers", []map[string]string{
			person("E3", map[string]string{"manager_id": "E2"}), person("E2", map[string]string{"manager_id": "E1"}), person("E1", nil),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, fileOf(tt.people...))
			assert.Equal(t, tt.want, res.Errors)
			assert.Equal(t, len(tt.people), res.Rows)
			if tt.want == nil {
				assert.Len(t, res.Records, len(tt.people))
			} else {
				assert.Nil(t, res.Records)
			}
		})
	}
}

func TestParseKeepsFileOrder(t *testing.T) {
	t.Parallel()
	recs := parseOK(t, fileOf(person("E3", nil), person("E1", nil), person("E2", nil)))
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ExternalID)
	}
	assert.Equal(t, []string{"E3", "E1", "E2"}, ids)
}

func TestParseWholeFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want []models.RowError
		rows int
	}{
		{"empty file", "", []models.RowError{{Line: 1, Message: "the file is empty: the first line must be the header"}}, 0},
		{"only blank lines", "\n\n\n", []models.RowError{{Line: 1, Message: "the file is empty: the first line must be the header"}}, 0},
		{"UTF-16", "\xff\xfee\x00m\x00", []models.RowError{{Line: 1, Message: `the file is UTF-16 text: save it as "CSV UTF-8"`}}, 0},
		{"header problems stop row checks but rows are counted", "employee_id,first_name\nE1,Ada\nE2,\n", []models.RowError{
			{Line: 1, Message: "missing required columns: last_name, work_email, status, start_date"},
		}, 2},
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

// A header and nobody is an empty snapshot, not an error: the sync's
// brake holds it rather than reading it as everyone leaving.
func TestParseHeaderWithoutRowsIsAnEmptySnapshot(t *testing.T) {
	t.Parallel()
	for _, file := range []string{head, head + ",,,\n\n"} {
		res := parse(t, file)
		assert.Empty(t, res.Errors)
		assert.NotNil(t, res.Records)
		assert.Empty(t, res.Records)
	}
}

func TestParseTooManyRows(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(head)
	for i := range MaxRows + 1 {
		fmt.Fprintf(&b, "E%d\n", i)
	}
	res := parse(t, b.String())
	assert.Equal(t, []models.RowError{{Line: 1, Message: "the file has more than 100000 rows, the most one import reads"}}, res.Errors)
	assert.Equal(t, MaxRows, res.Rows)
	assert.Nil(t, res.Records)
}

func TestParseCapsErrors(t *testing.T) {
	t.Parallel()
	const oneError = "E%d,Ada,Lovelace,ada@example.com,gone,2020-01-06,\n"
	const threeErrors = "E%d,,Lovelace,ada@example.com,gone,someday,\n"
	tests := []struct {
		name     string
		row      string
		rows     int
		wantLen  int
		lastLine int
	}{
		{"exactly the cap", oneError, maxErrors, maxErrors, maxErrors + 1},
		{"one past the cap", oneError, maxErrors + 1, maxErrors + 1, maxErrors + 2},
		{"far past the cap", oneError, 3 * maxErrors, maxErrors + 1, maxErrors + 2},
		// 333 rows give 999 errors; the 334th row (line 335) has room for one.
		{"cap in the middle of a row", threeErrors, maxErrors, maxErrors + 1, 2 + maxErrors/3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString(head)
			for i := range tt.rows {
				fmt.Fprintf(&b, tt.row, i)
			}
			res := parse(t, b.String())
			require.Len(t, res.Errors, tt.wantLen)
			last := res.Errors[len(res.Errors)-1]
			assert.Equal(t, tt.lastLine, last.Line)
			if tt.wantLen > maxErrors {
				assert.Equal(t, models.RowError{Line: tt.lastLine, Message: "too many errors; fix these first"}, last)
				assert.LessOrEqual(t, res.Errors[maxErrors-1].Line, tt.lastLine)
			}
			assert.Equal(t, tt.rows, res.Rows)
		})
	}
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	_, err := Parse(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)

	_, err = Parse(iotest.TimeoutReader(strings.NewReader(head + strings.Repeat("E1,Ada,Lovelace,ada@example.com,active,2020-01-06,\n", 200))))
	require.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestParseUnreadableHeader(t *testing.T) {
	t.Parallel()
	_, err := Parse(strings.NewReader("employee_id,\"first_name\nE1,Ada\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "csvsource: read header")
}
