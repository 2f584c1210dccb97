package csvsource

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/models"
)

// Column documents one column.
type Column struct {
	Name        string
	Required    bool
	Description string
	Example     string
}

// Columns lists the known columns in template order (required first).
var Columns = []Column{
	{"employee_id", true, "The person's unique id in your HR system. Never reuse one for someone else.", "E1001"},
	{"first_name", true, "Legal first name.", "Amara"},
	{"last_name", true, "Legal last name.", "Okafor"},
	{"work_email", true, "Work email address. May be left empty while status is pending.", "amara.okafor@example.com"},
	{"status", true, "pending, active, leave or terminated (\"on leave\" is read as leave).", "active"},
	{"start_date", true, "First day of work, ISO 8601 (YYYY-MM-DD).", "2021-03-15"},
	{"termination_date", false, "Last day of work, ISO 8601; not before start_date.", "2024-06-30"},
	{"preferred_name", false, "The name the person goes by, if not their first name.", "Sofi"},
	{"personal_email", false, "Private email address.", "amara@example.net"},
	{"phone", false, "Phone number, stored in E.164. Without a leading + the country column says where it is.", "+44 20 7946 0958"},
	{"title", false, "Job title.", "Engineering Manager"},
	{"department", false, "Department.", "Engineering"},
	{"team", false, "Team.", "Platform"},
	{"division", false, "Division or business unit.", "Product & Engineering"},
	{"cost_center", false, "Cost center code.", "CC-100"},
	{"manager_id", false, "The employee_id of the person's manager; that person must be a row of the same file.", "E1000"},
	{"location", false, "Office or site.", "London"},
	{"country", false, "ISO 3166-1 alpha-2 country code.", "GB"},
	{"timezone", false, "IANA time zone name.", "Europe/London"},
	{"employment_type", false, "full_time, part_time, intern, contractor or freelance.", "full_time"},
	{"groups", false, "Group names separated by semicolons.", "engineering;on-call"},
}

// headerAliases maps other spellings HR exports use to a column name.
// Keys are already normalised (lower case, underscores).
var headerAliases = map[string]string{
	"email":               "work_email",
	"e_mail":              "work_email",
	"employee_number":     "employee_id",
	"external_id":         "employee_id",
	"manager":             "manager_id",
	"manager_employee_id": "manager_id",
	"manager_external_id": "manager_id",
	"time_zone":           "timezone",
	"tz":                  "timezone",
	"cost_centre":         "cost_center",
}

// header is the first row of a file, resolved to column names.
type header struct {
	line   int
	names  []string       // column name per position; "" for a column without a heading
	col    map[string]int // column name → position
	custom []string       // custom column names, in file order
}

// normaliseName turns a heading as a spreadsheet user wrote it into a
// column name: "Work Email" and "work-email" are both work_email.
func normaliseName(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
	if name, ok := headerAliases[s]; ok {
		return name
	}
	return s
}

func isStandard(name string) bool {
	return slices.Contains(models.StandardAttributes, name)
}

// parseHeader resolves the header row. Problems are reported on the
// header's line, all at once.
func parseHeader(line int, cells []string) (*header, []models.RowError) {
	h := &header{line: line, names: make([]string, len(cells)), col: make(map[string]int, len(cells))}
	if len(cells) == 1 && strings.ContainsAny(cells[0], ";\t") {
		return h, []models.RowError{{Line: line, Message: "the header has a single column: the file looks separated by semicolons or tabs; save it as comma-separated CSV"}}
	}
	if n := countCustom(cells); n > MaxCustomColumns {
		return h, []models.RowError{{Line: line, Message: fmt.Sprintf(
			"the header has %d custom columns: a file may have at most %d (every column that is not a standard one is a custom attribute)",
			n, MaxCustomColumns)}}
	}
	var errs []models.RowError
	fail := func(format string, args ...any) {
		errs = append(errs, models.RowError{Line: line, Message: fmt.Sprintf(format, args...)})
	}
	for i, cell := range cells {
		name := normaliseName(cell)
		if name == "" {
			continue // a column without a heading; its values must be empty
		}
		if first, dup := h.col[name]; dup {
			fail("columns %s (%q) and %s (%q) are both %s", columnLetter(first), strings.TrimSpace(cells[first]),
				columnLetter(i), strings.TrimSpace(cell), name)
			continue
		}
		if !isStandard(name) {
			if msg := checkCustomName(name); msg != "" {
				fail("column %q: %s", strings.TrimSpace(cell), msg)
				continue
			}
			h.custom = append(h.custom, name)
		}
		h.names[i], h.col[name] = name, i
	}
	var missing []string
	for _, c := range Columns {
		if _, ok := h.col[c.Name]; c.Required && !ok {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		fail("missing required columns: %s", strings.Join(missing, ", "))
	}
	errs, _ = appendCapped(nil, errs) // a header of many duplicate columns
	return h, errs
}

// countCustom counts the headings that are not standard columns.
func countCustom(cells []string) int {
	n := 0
	for _, cell := range cells {
		if name := normaliseName(cell); name != "" && !isStandard(name) {
			n++
		}
	}
	return n
}

// checkCustomName explains what is wrong with a custom column's name, or
// returns "". Rules refer to custom attributes by name, so names stay
// plain.
func checkCustomName(name string) string {
	if len(name) > maxCustomName {
		return fmt.Sprintf("custom column names are at most %d characters", maxCustomName)
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return "custom column names may use only letters a-z, digits, spaces, dashes and underscores"
		}
	}
	return ""
}

// columnLetter names a column the way a spreadsheet does: A, B, ... Z, AA.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
