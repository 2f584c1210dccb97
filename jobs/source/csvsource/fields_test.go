package csvsource

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestParseNormalisesValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes map[string]string
		got     func(f models.PersonFields) any
		want    any
	}{
		{"values are trimmed", map[string]string{"first_name": "  Ada \t", "title": " Engineer "},
			func(f models.PersonFields) any { return []string{f.FirstName, f.Title} }, []string{"Ada", "Engineer"}},
		{"employee id keeps its case", map[string]string{"employee_id": "Ab-12"}, func(f models.PersonFields) any { return f.ExternalID }, "Ab-12"},
		{"work email lower-cased", map[string]string{"work_email": "Ada.Lovelace@Example.COM"}, func(f models.PersonFields) any { return f.WorkEmail }, "ada.lovelace@example.com"},
		{"personal email lower-cased", map[string]string{"personal_email": "ADA@Home.Example.net"}, func(f models.PersonFields) any { return f.PersonalEmail }, "ada@home.example.net"},
		{"email with plus tag", map[string]string{"work_email": "ada+hr@example.co.uk"}, func(f models.PersonFields) any { return f.WorkEmail }, "ada+hr@example.co.uk"},
		{"pending without work email", map[string]string{"status": "pending", "work_email": ""}, func(f models.PersonFields) any { return f.WorkEmail }, ""},
		{"status any case", map[string]string{"status": "Active"}, func(f models.PersonFields) any { return f.Status }, models.StatusActive},
		{"status terminated", map[string]string{"status": "TERMINATED"}, func(f models.PersonFields) any { return f.Status }, models.StatusTerminated},
		{"status on leave", map[string]string{"status": "On Leave"}, func(f models.PersonFields) any { return f.Status }, models.StatusLeave},
		{"status on_leave", map[string]string{"status": "on_leave"}, func(f models.PersonFields) any { return f.Status }, models.StatusLeave},
		{"status pending", map[string]string{"status": "pending"}, func(f models.PersonFields) any { return f.Status }, models.StatusPending},
		{"date ISO", map[string]string{"start_date": "2021-03-15"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date basic form", map[string]string{"start_date": "20210315"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date-time without zone", map[string]string{"start_date": "2021-03-15T09:00:00"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date-time UTC", map[string]string{"start_date": "2021-03-15T09:00:00Z"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date-time fraction", map[string]string{"start_date": "2021-03-15T09:00:00.123+01:00"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date as written, not shifted to UTC", map[string]string{"start_date": "2021-03-15T23:30:00-05:00"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"date as written, ahead of UTC", map[string]string{"start_date": "2021-03-15T00:30:00+09:00"}, func(f models.PersonFields) any { return f.StartDate }, "2021-03-15"},
		{"termination date", map[string]string{"status": "terminated", "termination_date": "2024-06-30"}, func(f models.PersonFields) any { return f.TerminationDate }, "2024-06-30"},
		{"termination on start day", map[string]string{"start_date": "2024-06-30", "termination_date": "2024-06-30"}, func(f models.PersonFields) any { return f.TerminationDate }, "2024-06-30"},
		{"terminated without termination date", map[string]string{"status": "terminated"}, func(f models.PersonFields) any { return f.TerminationDate }, ""},
		{"time zone", map[string]string{"timezone": "America/Argentina/Buenos_Aires"}, func(f models.PersonFields) any { return f.Timezone }, "America/Argentina/Buenos_Aires"},
		{"time zone UTC", map[string]string{"timezone": "UTC"}, func(f models.PersonFields) any { return f.Timezone }, "UTC"},
		{"country upper-cased", map[string]string{"country": "de"}, func(f models.PersonFields) any { return f.Country }, "DE"},
		{"phone international", map[string]string{"phone": "+44 20 7946 0958"}, func(f models.PersonFields) any { return f.Phone }, "+442079460958"},
		{"phone national with country", map[string]string{"phone": "020 7946 0958", "country": "gb"}, func(f models.PersonFields) any { return f.Phone }, "+442079460958"},
		{"phone punctuation", map[string]string{"phone": "(212) 555-0143", "country": "US"}, func(f models.PersonFields) any { return f.Phone }, "+12125550143"},
		{"phone of another country than the country column", map[string]string{"phone": "+81 3-1234-5678", "country": "GB"}, func(f models.PersonFields) any { return f.Phone }, "+81312345678"},
		{"phone 00 prefix with country", map[string]string{"phone": "0049 30 901820", "country": "FR"}, func(f models.PersonFields) any { return f.Phone }, "+4930901820"},
		{"employment type", map[string]string{"employment_type": "contractor"}, func(f models.PersonFields) any { return f.EmploymentType }, "contractor"},
		{"employment type with dash", map[string]string{"employment_type": "Full-Time"}, func(f models.PersonFields) any { return f.EmploymentType }, "full_time"},
		{"employment type with space", map[string]string{"employment_type": "part time"}, func(f models.PersonFields) any { return f.EmploymentType }, "part_time"},
		{"groups split, trimmed, deduplicated", map[string]string{"groups": " eng ; ;ops;eng;; Ops "}, func(f models.PersonFields) any { return f.Groups }, []string{"eng", "ops", "Ops"}},
		{"no groups", map[string]string{"groups": " ; "}, func(f models.PersonFields) any { return f.Groups }, []string(nil)},
		{"organisation", map[string]string{"department": "Eng", "team": "Core", "division": "R&D", "cost_center": "CC-1", "location": "Paris", "preferred_name": "Addie"},
			func(f models.PersonFields) any {
				return []string{f.Department, f.Team, f.Division, f.CostCenter, f.Location, f.PreferredName}
			}, []string{"Eng", "Core", "R&D", "CC-1", "Paris", "Addie"}},
		{"custom columns", map[string]string{"laptop": " MacBook ", "shoe_size": ""}, func(f models.PersonFields) any { return f.Custom }, map[string]string{"laptop": "MacBook"}},
		{"no custom values", map[string]string{"laptop": ""}, func(f models.PersonFields) any { return f.Custom }, map[string]string(nil)},
		{"UTF-8 names", map[string]string{"first_name": "Zoë", "last_name": "Ōtsuka"}, func(f models.PersonFields) any { return f.FirstName + " " + f.LastName }, "Zoë Ōtsuka"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs := parseOK(t, fileOf(person("E1", tt.changes)))
			require.Len(t, recs, 1)
			assert.Equal(t, tt.want, tt.got(recs[0]))
		})
	}
}

func TestParseRejectsValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes map[string]string
		field   string
		message string
	}{
		{"missing employee id", map[string]string{"employee_id": " "}, "employee_id", "is required"},
		{"missing first name", map[string]string{"first_name": ""}, "first_name", "is required"},
		{"missing last name", map[string]string{"last_name": ""}, "last_name", "is required"},
		{"missing status", map[string]string{"status": ""}, "status", "is required"},
		{"missing start date", map[string]string{"start_date": ""}, "start_date", "is required"},
		{"missing work email when active", map[string]string{"work_email": ""}, "work_email", "is required unless status is pending"},
		{"missing work email on leave", map[string]string{"work_email": "", "status": "leave"}, "work_email", "is required unless status is pending"},
		{"unknown status", map[string]string{"status": "inactive"}, "status", `unknown status "inactive": use pending, active, leave or terminated`},
		{"unknown status on-leave", map[string]string{"status": "on-leave"}, "status", `unknown status "on-leave": use pending, active, leave or terminated`},
		{"bad date", map[string]string{"start_date": "15/03/2021"}, "start_date", `bad date "15/03/2021": use YYYY-MM-DD`},
		{"impossible date", map[string]string{"start_date": "2021-02-30"}, "start_date", `bad date "2021-02-30": use YYYY-MM-DD`},
		{"date with space", map[string]string{"start_date": "2021-03-15 09:00"}, "start_date", `bad date "2021-03-15 09:00": use YYYY-MM-DD`},
		{"year typo", map[string]string{"start_date": "0221-03-15"}, "start_date", `bad date "0221-03-15": the year must be between 1900 and 2199`},
		{"bad termination date", map[string]string{"termination_date": "soon"}, "termination_date", `bad date "soon": use YYYY-MM-DD`},
		{"termination before start", map[string]string{"termination_date": "2019-12-31"}, "termination_date", "termination date 2019-12-31 is before start date 2020-01-06"},
		{"email without at", map[string]string{"work_email": "ada.example.com"}, "work_email", `malformed email "ada.example.com"`},
		{"email without dot in domain", map[string]string{"work_email": "ada@localhost"}, "work_email", `malformed email "ada@localhost"`},
		{"email with display name", map[string]string{"work_email": "Ada <ada@example.com>"}, "work_email", `malformed email "Ada <ada@example.com>"`},
		{"email with two ats", map[string]string{"work_email": "a@b@example.com"}, "work_email", `malformed email "a@b@example.com"`},
		{"email with space", map[string]string{"work_email": "ada lovelace@example.com"}, "work_email", `malformed email "ada lovelace@example.com"`},
		{"email list", map[string]string{"work_email": "a@example.com, b@example.com"}, "work_email", `malformed email "a@example.com, b@example.com"`},
		{"email domain literal", map[string]string{"work_email": "ada@[10.0.0.1]"}, "work_email", `malformed email "ada@[10.0.0.1]"`},
		{"malformed personal email", map[string]string{"personal_email": "ada@"}, "personal_email", `malformed email "ada@"`},
		{"unknown time zone", map[string]string{"timezone": "Mars/Olympus_Mons"}, "timezone", `unknown time zone "Mars/Olympus_Mons": use an IANA name such as Europe/London`},
		{"time zone wrong case", map[string]string{"timezone": "europe/london"}, "timezone", `unknown time zone "europe/london": use an IANA name such as Europe/London`},
		{"time zone Local", map[string]string{"timezone": "Local"}, "timezone", `unknown time zone "Local": use an IANA name such as Europe/London`},
		{"time zone path", map[string]string{"timezone": "../../etc/passwd"}, "timezone", `unknown time zone "../../etc/passwd": use an IANA name such as Europe/London`},
		{"unknown country", map[string]string{"country": "XX"}, "country", `unknown country code "XX"`},
		{"alpha-3 country", map[string]string{"country": "GBR"}, "country", `unknown country code "GBR"`},
		{"country UK", map[string]string{"country": "uk"}, "country", `unknown country code "uk": the code for the United Kingdom is GB`},
		{"phone without country", map[string]string{"phone": "020 7946 0958"}, "phone", "phone needs a country code or a country column"},
		{"phone too short", map[string]string{"phone": "+44 20 79"}, "phone", `not a valid phone number: "+44 20 79"`},
		{"phone not a number", map[string]string{"phone": "call reception", "country": "GB"}, "phone", `not a valid phone number: "call reception"`},
		{"phone unknown country code", map[string]string{"phone": "+999 1234 5678"}, "phone", `not a valid phone number: "+999 1234 5678"`},
		{"phone not valid for country", map[string]string{"phone": "+44 7700 900123"}, "phone", `not a valid phone number: "+44 7700 900123"`},
		{"phone extension", map[string]string{"phone": "+1 212 555 0143 ext. 12"}, "phone", `phone "+1 212 555 0143 ext. 12" has an extension, which E.164 cannot hold: remove it`},
		{"unknown employment type", map[string]string{"employment_type": "permanent"}, "employment_type",
			`unknown employment type "permanent": use full_time, part_time, intern, contractor or freelance`},
		{"manager missing from file", map[string]string{"manager_id": "E999"}, "manager_id", `manager id "E999" does not exist in this file`},
		{"manager id differs in case", map[string]string{"manager_id": "e1"}, "manager_id", `manager id "e1" does not exist in this file`},
		{"own manager", map[string]string{"manager_id": "E1"}, "manager_id", "a person cannot be their own manager"},
		{"not UTF-8", map[string]string{"last_name": "M\xfcller"}, "last_name", `is not UTF-8 text: save the file as "CSV UTF-8"`},
		{"NUL", map[string]string{"title": "Eng\x00ineer"}, "title", "contains a NUL character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, fileOf(person("E1", tt.changes)))
			require.Len(t, res.Errors, 1, "errors: %v", res.Errors)
			assert.Equal(t, models.RowError{Line: 2, Field: tt.field, Message: tt.message}, res.Errors[0])
			assert.Nil(t, res.Records, "an invalid file yields no records")
			assert.Equal(t, 1, res.Rows)
		})
	}
}

// A field with a problem gets one error, about what to fix first.
func TestParseReportsOneErrorPerField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes map[string]string
		want    []models.RowError
	}{
		{"unusable value is not also missing", map[string]string{"first_name": "\xff"},
			[]models.RowError{{Line: 2, Field: "first_name", Message: `is not UTF-8 text: save the file as "CSV UTF-8"`}}},
		{"bad status does not also require an email", map[string]string{"status": "gone", "work_email": ""},
			[]models.RowError{{Line: 2, Field: "status", Message: `unknown status "gone": use pending, active, leave or terminated`}}},
		{"bad termination date is not compared", map[string]string{"termination_date": "1999-13-01"},
			[]models.RowError{{Line: 2, Field: "termination_date", Message: `bad date "1999-13-01": use YYYY-MM-DD`}}},
		{"bad country does not fail a local phone", map[string]string{"country": "ZZ", "phone": "020 7946 0958"},
			[]models.RowError{{Line: 2, Field: "country", Message: `unknown country code "ZZ"`}}},
		{"bad country still checks an international phone; errors in column order", map[string]string{"country": "ZZ", "phone": "+44 20"},
			[]models.RowError{{Line: 2, Field: "phone", Message: `not a valid phone number: "+44 20"`}, {Line: 2, Field: "country", Message: `unknown country code "ZZ"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, fileOf(person("E1", tt.changes)))
			assert.Equal(t, tt.want, res.Errors)
		})
	}
}
