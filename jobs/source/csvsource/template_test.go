package csvsource

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestTemplateParses(t *testing.T) {
	t.Parallel()
	res, err := Parse(bytes.NewReader(Template()))
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	require.Len(t, res.Records, 3)
	assert.Equal(t, []string{"laptop"}, res.CustomColumns)

	countries, zones := map[string]bool{}, map[string]bool{}
	ids := map[string]bool{}
	var managed, grouped, custom bool
	for _, r := range res.Records {
		countries[r.Country], zones[r.Timezone], ids[r.ExternalID] = true, true, true
		managed = managed || r.ManagerID != ""
		grouped = grouped || len(r.Groups) > 1
		custom = custom || r.Custom["laptop"] != ""
		assert.NotEmpty(t, r.Phone, r.ExternalID)
	}
	assert.Len(t, countries, 3, "people in different countries")
	assert.Len(t, zones, 3, "people in different time zones")
	assert.True(t, managed, "one row has a manager")
	assert.True(t, grouped, "one row has groups")
	assert.True(t, custom, "one row has the custom laptop column")
	for _, r := range res.Records {
		if r.ManagerID != "" {
			assert.True(t, ids[r.ManagerID], "manager %s is a row of the template", r.ManagerID)
		}
	}
	assert.Contains(t, []models.PersonStatus{models.StatusPending}, res.Records[2].Status, "a pending hire shows that work_email may be empty")
}

func TestTemplateHeader(t *testing.T) {
	t.Parallel()
	file, bom := bytes.CutPrefix(Template(), []byte("\ufeff"))
	require.True(t, bom, "the template starts with a byte order mark, for Excel")
	header, err := csv.NewReader(bytes.NewReader(file)).Read()
	require.NoError(t, err)
	var want []string
	for _, c := range Columns {
		want = append(want, c.Name)
	}
	assert.Equal(t, append(want, "laptop"), header)
	assert.NotSame(t, &Template()[0], &Template()[0], "each call returns its own bytes")
}
