package csvsource

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestParseHeader(t *testing.T) {
	t.Parallel()
	const row = "E1,Ada,Lovelace,ada@example.com,active,2020-01-06\n"
	tests := []struct {
		name   string
		file   string
		errs   []models.RowError
		custom []string
	}{
		{"canonical", "employee_id,first_name,last_name,work_email,status,start_date\n" + row, nil, nil},
		{"UTF-8 byte order mark", "\ufeffemployee_id,first_name,last_name,work_email,status,start_date\n" + row, nil, nil},
		{"byte order mark before a quoted heading", "\ufeff\"employee_id\",first_name,last_name,work_email,status,start_date\n" + row, nil, nil},
		{"case, spaces and dashes", " Employee ID ,First Name,LAST-NAME,Work Email,Status,Start-Date\n" + row, nil, nil},
		{"aliases", "Employee Number,first_name,last_name,Email,status,start_date,Manager,Time Zone,Cost Centre\n" + row[:len(row)-1] + ",,,,\n", nil, nil},
		{"more aliases", "external_id,first_name,last_name,E-Mail,status,start_date,manager_employee_id,tz\n" + row, nil, nil},
		{"custom columns normalised", "employee_id,first_name,last_name,work_email,status,start_date,Laptop Model,shoe-size\n" + row, nil,
			[]string{"laptop_model", "shoe_size"}},
		{"missing required columns named at once", "employee_id,first_name,email\n" + "E1,Ada,ada@example.com\n", []models.RowError{
			{Line: 1, Message: "missing required columns: last_name, status, start_date"},
		}, nil},
		{"semicolon-separated file", "employee_id;first_name;last_name;work_email;status;start_date\n", []models.RowError{
			{Line: 1, Message: "the header has a single column: the file looks separated by semicolons or tabs; save it as comma-separated CSV"},
		}, nil},
		{"duplicate column", "employee_id,first_name,last_name,work_email,status,start_date,title,Title\n" + row, []models.RowError{
			{Line: 1, Message: `columns G ("title") and H ("Title") are both title`},
		}, nil},
		{"duplicate through an alias", "employee_id,first_name,last_name,work_email,status,start_date,email\n" + row, []models.RowError{
			{Line: 1, Message: `columns D ("work_email") and G ("email") are both work_email`},
		}, nil},
		{"duplicate custom column", "employee_id,first_name,last_name,work_email,status,start_date,laptop,Laptop\n" + row, []models.RowError{
			{Line: 1, Message: `columns G ("laptop") and H ("Laptop") are both laptop`},
		}, []string{"laptop"}},
		{"bad custom name", "employee_id,first_name,last_name,work_email,status,start_date,Größe,cost.center\n" + row, []models.RowError{
			{Line: 1, Message: "column \"Größe\": custom column names may use only letters a-z, digits, spaces, dashes and underscores"},
			{Line: 1, Message: "column \"cost.center\": custom column names may use only letters a-z, digits, spaces, dashes and underscores"},
		}, nil},
		{"long custom name", "employee_id,first_name,last_name,work_email,status,start_date," + string(make64x()) + "\n" + row, []models.RowError{
			{Line: 1, Message: "column \"" + string(make64x()) + "\": custom column names are at most 64 characters"},
		}, nil},
		{"heading on a later line after blank lines", "\n\nemployee_id,first_name,last_name,work_email,status\n", []models.RowError{
			{Line: 3, Message: "missing required columns: start_date"},
		}, nil},
		{"column without a heading and without values", "employee_id,first_name,last_name,work_email,status,start_date,,\n" + row[:len(row)-1] + ",,\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, tt.file)
			assert.Equal(t, tt.errs, res.Errors)
			assert.Equal(t, tt.custom, res.CustomColumns)
			if len(tt.errs) == 0 {
				require.Len(t, res.Records, 1)
				assert.Equal(t, "E1", res.Records[0].ExternalID)
			} else {
				assert.Nil(t, res.Records)
			}
		})
	}
}

// make64x returns a 65-character column name.
func make64x() []byte {
	b := make([]byte, 65)
	for i := range b {
		b[i] = 'x'
	}
	return b
}

func TestColumnLetter(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		assert.Equal(t, want, columnLetter(i), "column %d", i)
	}
}

func TestColumns(t *testing.T) {
	t.Parallel()
	var names []string
	optional := false
	for _, c := range Columns {
		names = append(names, c.Name)
		assert.False(t, optional && c.Required, "%s: required columns come first", c.Name)
		optional = optional || !c.Required
		assert.NotEmpty(t, c.Description, c.Name)
		assert.NotEmpty(t, c.Example, c.Name)
		assert.Equal(t, c.Name, normaliseName(c.Name), "a column name is already normalised")
	}
	assert.ElementsMatch(t, models.StandardAttributes, names, "every attribute has a column")
	for alias, name := range headerAliases {
		assert.Contains(t, names, name, "alias %s", alias)
		assert.Equal(t, name, normaliseName(alias), "alias %s", alias)
		assert.NotContains(t, names, alias, "an alias is not also a column")
	}
}

// Every documented example is a value the parser accepts.
func TestColumnExamplesAreValid(t *testing.T) {
	t.Parallel()
	example := map[string]string{}
	for _, c := range Columns {
		example[c.Name] = c.Example
	}
	manager := person(example["manager_id"], nil)
	recs := parseOK(t, fileOf(example, manager))
	assert.Equal(t, "+442079460958", recs[0].Phone)
}
