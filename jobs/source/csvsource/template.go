package csvsource

import (
	"bytes"
	"encoding/csv"
)

// templateCustomColumn shows, in the template, that any extra column
// becomes an attribute rules can use.
const templateCustomColumn = "laptop"

// templateRows are three people in different countries and time zones:
// a manager, a report of theirs with groups and a laptop, and a pending
// hire whose mailbox does not exist yet.
var templateRows = []map[string]string{
	{
		"employee_id": "E1001", "first_name": "Amara", "last_name": "Okafor", "work_email": "amara.okafor@example.com",
		"status": "active", "start_date": "2019-04-01", "personal_email": "amara.okafor@example.net",
		"phone": "+44 20 7946 0958", "title": "VP Engineering", "department": "Engineering",
		"division": "Product & Engineering", "cost_center": "CC-100", "location": "London", "country": "GB",
		"timezone": "Europe/London", "employment_type": "full_time", "groups": "leadership",
		templateCustomColumn: "MacBook Pro 14",
	},
	{
		"employee_id": "E1002", "first_name": "Kenji", "last_name": "Tanaka", "work_email": "kenji.tanaka@example.com",
		"status": "active", "start_date": "2022-07-01", "phone": "03-1234-5678", "title": "Site Reliability Engineer",
		"department": "Engineering", "team": "Platform", "division": "Product & Engineering", "cost_center": "CC-110",
		"manager_id": "E1001", "location": "Tokyo", "country": "JP", "timezone": "Asia/Tokyo",
		"employment_type": "full_time", "groups": "engineering;on-call;github-admins",
		templateCustomColumn: "ThinkPad X1 Carbon",
	},
	{
		"employee_id": "E1003", "first_name": "Sofía", "last_name": "Hernández", "preferred_name": "Sofi",
		"status": "pending", "start_date": "2027-01-04", "personal_email": "sofi.hernandez@example.org",
		"phone": "+1 212 555 0143", "title": "Product Designer", "department": "Design", "division": "Product & Engineering",
		"cost_center": "CC-120", "manager_id": "E1001", "location": "New York", "country": "US",
		"timezone": "America/New_York", "employment_type": "contractor", "groups": "design",
	},
}

// Template returns a CSV file with the header row and three example rows,
// for people to download and fill in. It starts with a UTF-8 byte order
// mark: without one, Excel opens the file as a legacy encoding and mangles
// names like "Sofía". Parse skips the mark.
func Template() []byte {
	names := make([]string, 0, len(Columns)+1)
	for _, c := range Columns {
		names = append(names, c.Name)
	}
	names = append(names, templateCustomColumn)
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write(names) // writes to a bytes.Buffer do not fail
	for _, person := range templateRows {
		row := make([]string, len(names))
		for i, name := range names {
			row[i] = person[name]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}
