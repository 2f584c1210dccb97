package csvsource

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// Stream hands over valid rows in file order, a manager named before
// their own row included.
func TestStreamHandsOverRowsInOrder(t *testing.T) {
	t.Parallel()
	file := fileOf(person("E1", map[string]string{"manager_id": "E3"}), person("E2", nil), person("E3", nil))
	var got []string
	res, err := Stream(strings.NewReader(file), func(f models.PersonFields) error {
		got = append(got, f.ExternalID+">"+f.ManagerID)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	assert.Equal(t, []string{"E1>E3", "E2>", "E3>"}, got)
	assert.Equal(t, 3, res.Rows)
}

// A bad row is reported by its line and nothing after it is handed over,
// so a caller that undoes what it was given changes nothing.
func TestStreamReportsABadRowByLine(t *testing.T) {
	t.Parallel()
	rows := []map[string]string{}
	for _, id := range []string{"E1", "E2", "E3", "E4", "E5"} {
		rows = append(rows, person(id, nil))
	}
	rows[3]["start_date"] = "not a date" // line 5: the header is line 1
	rows[4]["employee_id"] = "E1"        // line 6: a duplicate of line 2
	var handed int
	res, err := Stream(strings.NewReader(fileOf(rows...)), func(models.PersonFields) error {
		handed++
		return nil
	})
	require.NoError(t, err)
	require.Len(t, res.Errors, 2)
	assert.Equal(t, 5, res.Errors[0].Line)
	assert.Equal(t, "start_date", res.Errors[0].Field)
	assert.Equal(t, 6, res.Errors[1].Line)
	assert.Contains(t, res.Errors[1].Message, "first on line 2")
	assert.Nil(t, res.Records)
	assert.Equal(t, 3, handed, "rows before the first bad one only")
}
