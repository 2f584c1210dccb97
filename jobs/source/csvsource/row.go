package csvsource

import (
	"fmt"
	"sort"
	"strings"
	"time"

	_ "time/tzdata" // time zones are checked the same on hosts without /usr/share/zoneinfo

	"github.com/rosterhq/roster/jobs/phone"
	"github.com/rosterhq/roster/models"
)

// rowParser checks data rows against a header and the file's employee ids.
type rowParser struct {
	h     *header
	ids   map[string]int  // employee id → line it first appears on
	zones map[string]bool // time zone name → valid; loading one reads the tz database
	// knownPhones are phone inputs normalised before (Options.KnownPhones).
	knownPhones map[string]string
}

func newRowParser(h *header, ids map[string]int) *rowParser {
	return &rowParser{h: h, ids: ids, zones: map[string]bool{}}
}

// rowCheck gathers one row's values and problems. A field gets at most one
// error: the first says what to fix.
type rowCheck struct {
	h    *header
	line int
	vals []string // trimmed, by column; "" where a value was unusable
	errs []models.RowError
}

func (c *rowCheck) fail(field, format string, args ...any) {
	for _, e := range c.errs {
		if field != "" && e.Field == field {
			return
		}
	}
	c.errs = append(c.errs, models.RowError{Line: c.line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// get returns a column's value, "" when the file has no such column.
func (c *rowCheck) get(name string) string {
	if i, ok := c.h.col[name]; ok && i < len(c.vals) {
		return c.vals[i]
	}
	return ""
}

// check runs a normaliser on a column's value and reports its error.
func (c *rowCheck) check(name string, normalise func(string) (string, error)) string {
	v := c.get(name)
	if v == "" {
		return ""
	}
	out, err := normalise(v)
	if err != nil {
		c.fail(name, "%s", err)
	}
	return out
}

// sorted orders the row's errors by column, left to right as the user
// sees them; errors about the whole row come first.
func (c *rowCheck) sorted() []models.RowError {
	pos := func(e models.RowError) int {
		if i, ok := c.h.col[e.Field]; ok {
			return i
		}
		return -1
	}
	sort.SliceStable(c.errs, func(i, j int) bool { return pos(c.errs[i]) < pos(c.errs[j]) })
	return c.errs
}

// parse checks one row and builds its record.
func (p *rowParser) parse(row rawRow) (models.PersonFields, []models.RowError) {
	if row.err != "" {
		return models.PersonFields{}, []models.RowError{{Line: row.line, Message: "cannot read this row: " + row.err}}
	}
	c := &rowCheck{h: p.h, line: row.line}
	c.vals = p.cleanCells(c, row.cells)
	var f models.PersonFields
	p.checkEmployment(c, &f)
	p.checkContact(c, &f)
	p.checkOrganisation(c, &f)
	return f, c.sorted()
}

// cleanCells trims every value and blanks the ones that cannot be stored
// (see checkValue): text that is not UTF-8 (a spreadsheet saved in a
// legacy encoding), a line break or another control character, or a value
// longer than MaxValueLength.
func (p *rowParser) cleanCells(c *rowCheck, cells []string) []string {
	vals := make([]string, len(p.h.names))
	for i, cell := range cells {
		v := strings.TrimSpace(cell)
		if i >= len(p.h.names) || p.h.names[i] == "" {
			if v != "" {
				c.fail("", "value %q is in column %s, which has no heading", excerpt(v), columnLetter(i))
			}
			continue
		}
		name := p.h.names[i]
		if msg := checkValue(v); msg != "" {
			c.fail(name, "%s", msg)
			continue
		}
		vals[i] = v
	}
	return vals
}

// required reports a missing value and returns the value.
func (c *rowCheck) required(name string) string {
	v := c.get(name)
	if v == "" {
		c.fail(name, "is required")
	}
	return v
}

// checkEmployment reads who the person is and where they are in their
// employment.
func (p *rowParser) checkEmployment(c *rowCheck, f *models.PersonFields) {
	f.ExternalID = c.required("employee_id")
	if first, ok := p.ids[f.ExternalID]; ok && first != c.line {
		c.fail("employee_id", "duplicate employee id %q (first on line %d)", f.ExternalID, first)
	}
	f.FirstName = c.required("first_name")
	f.LastName = c.required("last_name")
	f.PreferredName = c.get("preferred_name")
	if c.required("status") != "" {
		status, err := normaliseStatus(c.get("status"))
		if err != nil {
			c.fail("status", "%s", err)
		}
		f.Status = status
	}
	if c.required("start_date") != "" {
		f.StartDate = c.check("start_date", normaliseDate)
	}
	f.TerminationDate = c.check("termination_date", normaliseDate)
	if f.StartDate != "" && f.TerminationDate != "" && f.TerminationDate < f.StartDate {
		c.fail("termination_date", "termination date %s is before start date %s", f.TerminationDate, f.StartDate)
	}
	f.EmploymentType = c.check("employment_type", normaliseEmploymentType)
}

// checkContact reads how to reach the person and where they are.
func (p *rowParser) checkContact(c *rowCheck, f *models.PersonFields) {
	f.WorkEmail = c.check("work_email", normaliseEmail)
	// A hire can be pending before IT has made their mailbox.
	if c.get("work_email") == "" && f.Status != "" && f.Status != models.StatusPending {
		c.fail("work_email", "is required unless status is pending")
	}
	f.PersonalEmail = c.check("personal_email", normaliseEmail)
	f.Location = c.get("location")
	f.Country = c.check("country", normaliseCountry)
	if tz := c.get("timezone"); tz != "" {
		if !p.validZone(tz) {
			c.fail("timezone", "unknown time zone %q: use an IANA name such as Europe/London", tz)
		}
		f.Timezone = tz
	}
	region := f.Country
	if c.get("country") != "" && region == "" && !phone.HasPlus(c.get("phone")) {
		return // the country is wrong, so a local number cannot be read; the country error says what to fix
	}
	f.Phone = c.check("phone", func(v string) (string, error) {
		if e164, ok := p.knownPhones[models.PhoneKey(v, region)]; ok {
			return e164, nil
		}
		return phone.E164(v, region)
	})
	if f.Phone != "" {
		f.PhoneInput = c.get("phone")
	}
}

// validZone reports whether name is an IANA time zone. "Local" is refused:
// it means whatever the server's zone is.
func (p *rowParser) validZone(name string) bool {
	ok, seen := p.zones[name]
	if !seen {
		_, err := time.LoadLocation(name)
		ok = err == nil && name != "Local"
		p.zones[name] = ok
	}
	return ok
}

// checkOrganisation reads where the person sits, their manager, groups
// and custom attributes.
func (p *rowParser) checkOrganisation(c *rowCheck, f *models.PersonFields) {
	f.Title = c.get("title")
	f.Department = c.get("department")
	f.Team = c.get("team")
	f.Division = c.get("division")
	f.CostCenter = c.get("cost_center")
	if m := c.get("manager_id"); m != "" {
		if m == f.ExternalID {
			c.fail("manager_id", "a person cannot be their own manager")
		} else if _, ok := p.ids[m]; !ok {
			c.fail("manager_id", "manager id %q does not exist in this file", m)
		}
		f.ManagerID = m
	}
	f.Groups = splitGroups(c.get("groups"))
	for _, name := range p.h.custom {
		if v := c.get(name); v != "" {
			if f.Custom == nil {
				f.Custom = map[string]string{}
			}
			f.Custom[name] = v
		}
	}
}
