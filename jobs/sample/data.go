package sample

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
)

// office is one of the sample company's locations.
type office struct {
	Location, Country, Timezone string
	// phone formats a valid, fictional number for person i.
	phone func(i int) string
	names [][2]string // first, last
}

var offices = []office{
	{"Berlin", "DE", "Europe/Berlin", func(i int) string { return fmt.Sprintf("+49 30 9018%04d", 2000+i) }, [][2]string{
		{"Lena", "Schmidt"}, {"Jonas", "Weber"}, {"Mia", "Fischer"}, {"Felix", "Wagner"}, {"Hannah", "Becker"},
		{"Lukas", "Hoffmann"}, {"Emma", "Schulz"}, {"Paul", "Koch"}, {"Clara", "Richter"}, {"Noah", "Klein"}}},
	{"London", "GB", "Europe/London", func(i int) string { return fmt.Sprintf("+44 20 7946 %04d", 100+i) }, [][2]string{
		{"Olivia", "Smith"}, {"George", "Jones"}, {"Amelia", "Taylor"}, {"Harry", "Brown"}, {"Isla", "Wilson"},
		{"Oscar", "Evans"}, {"Ava", "Thomas"}, {"Arthur", "Roberts"}, {"Priya", "Patel"}, {"Kwame", "Mensah"}}},
	{"New York", "US", "America/New_York", func(i int) string { return fmt.Sprintf("+1 212 555 %04d", 100+i) }, [][2]string{
		{"Sophia", "Johnson"}, {"Liam", "Williams"}, {"Isabella", "Garcia"}, {"Ethan", "Miller"}, {"Maya", "Davis"},
		{"Daniel", "Rodriguez"}, {"Chloe", "Martinez"}, {"Marcus", "Lee"}, {"Grace", "Anderson"}, {"Aaron", "Cohen"}}},
	{"Tokyo", "JP", "Asia/Tokyo", func(i int) string { return fmt.Sprintf("+81 3 1234 %04d", 5600+i) }, [][2]string{
		{"Haruto", "Sato"}, {"Yui", "Suzuki"}, {"Sota", "Takahashi"}, {"Hina", "Tanaka"}, {"Ren", "Watanabe"},
		{"Aoi", "Ito"}, {"Yuto", "Yamamoto"}, {"Sakura", "Nakamura"}, {"Kaito", "Kobayashi"}, {"Mei", "Kato"}}},
	{"São Paulo", "BR", "America/Sao_Paulo", func(i int) string { return fmt.Sprintf("+55 11 91234 %04d", 5600+i) }, [][2]string{
		{"Ana", "Silva"}, {"João", "Santos"}, {"Beatriz", "Oliveira"}, {"Pedro", "Souza"}, {"Larissa", "Lima"},
		{"Gabriel", "Pereira"}, {"Juliana", "Costa"}, {"Rafael", "Ferreira"}, {"Camila", "Almeida"}, {"Lucas", "Gonçalves"}}},
}

// department is a department and the titles of its head and its staff.
type department struct {
	Name, Head, Staff, Team, CostCenter string
}

var departments = []department{
	{"Engineering", "VP Engineering", "Software Engineer", "Platform", "CC-100"},
	{"Sales", "Head of Sales", "Account Executive", "EMEA", "CC-200"},
	{"Finance", "CFO", "Financial Analyst", "Controlling", "CC-300"},
	{"Support", "Head of Support", "Support Specialist", "Customer Care", "CC-400"},
	{"People", "Head of People", "People Partner", "People Ops", "CC-500"},
}

// pendingEvery makes every pendingEvery-th person a pending joiner.
const pendingEvery = 12

// header is the CSV's columns, in the template's order.
var header = []string{"employee_id", "first_name", "last_name", "work_email", "status", "start_date",
	"phone", "title", "department", "team", "cost_center", "manager_id", "location", "country", "timezone",
	"employment_type"}

// Person is one row of the sample HR file.
type Person struct {
	EmployeeID, FirstName, LastName, WorkEmail, Status, StartDate string
	Phone, Title, Department, Team, CostCenter, ManagerID         string
	Location, Country, Timezone, EmploymentType                   string
}

// People returns the sample company: ten people per office, departments
// round-robin, the first person of each department its head and every
// other person's manager, and a few pending joiners starting within two
// weeks of now. The same now gives the same people.
func People(now time.Time) []Person {
	var out []Person
	heads := map[string]string{}
	n := 0
	for oi, o := range offices {
		for i, name := range o.names {
			d := departments[(oi+i)%len(departments)]
			id := fmt.Sprintf("S%03d", n+1)
			p := Person{
				EmployeeID: id, FirstName: name[0], LastName: name[1],
				WorkEmail: emailLocal(name[0]) + "." + emailLocal(name[1]) + "@example.com",
				Status:    "active", StartDate: now.AddDate(-1-n%4, -(n % 11), -(n % 27)).Format(time.DateOnly),
				Phone: o.phone(n), Title: d.Staff, Department: d.Name, Team: d.Team, CostCenter: d.CostCenter,
				Location: o.Location, Country: o.Country, Timezone: o.Timezone, EmploymentType: "full_time",
			}
			if head, ok := heads[d.Name]; ok {
				p.ManagerID = head
			} else {
				heads[d.Name], p.Title = id, d.Head
				p.StartDate = now.AddDate(-5, 0, 0).Format(time.DateOnly)
			}
			if n%pendingEvery == pendingEvery-1 {
				p.Status = "pending"
				p.StartDate = now.AddDate(0, 0, 3+n%11).Format(time.DateOnly)
			}
			if n%9 == 4 {
				p.EmploymentType = "contractor"
			}
			out = append(out, p)
			n++
		}
	}
	return out
}

// CSV is People as the HR file Load imports.
func CSV(now time.Time) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header) // writes to a bytes.Buffer do not fail
	for _, p := range People(now) {
		_ = w.Write([]string{p.EmployeeID, p.FirstName, p.LastName, p.WorkEmail, p.Status, p.StartDate,
			p.Phone, p.Title, p.Department, p.Team, p.CostCenter, p.ManagerID, p.Location, p.Country, p.Timezone,
			p.EmploymentType})
	}
	w.Flush()
	return buf.Bytes()
}

// emailLocal lower-cases a name and drops accents for an address.
func emailLocal(s string) string {
	r := strings.NewReplacer("ã", "a", "ç", "c", "á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ô", "o", "ê", "e")
	return r.Replace(strings.ToLower(s))
}

// Accounts are the accounts the sample company's apps have before Roster:
// the Sample app's and the laptops IT handed out. Most active staff have
// both; every seventh has no Sample app account and every eleventh no
// laptop yet (missing access for Team Updates to propose), one Berlin
// engineer has no admin role, and the Sample app also lists a CI bot and
// a contractor who left, neither in HR. Pending joiners have nothing.
func Accounts(people []Person) (hook, laptops []reconcile.Account) {
	berlinEngineers := 0
	for i, p := range people {
		if p.Status != "active" {
			continue
		}
		if i%7 != 3 {
			var ents []string
			if p.Department == "Engineering" {
				ents = append(ents, "eng")
				if p.Location == "Berlin" {
					if berlinEngineers != 1 {
						ents = append(ents, "admin")
					}
					berlinEngineers++
				}
			} else {
				ents = append(ents, "member")
			}
			hook = append(hook, reconcile.Account{ID: "u-" + strings.ToLower(p.EmployeeID), Email: p.WorkEmail,
				Name: p.FirstName + " " + p.LastName, Status: models.AccountActive, Entitlements: ents})
		}
		if i%11 != 5 {
			laptops = append(laptops, reconcile.Account{ID: "laptop-" + strings.ToLower(p.EmployeeID), Email: p.WorkEmail,
				Name: p.FirstName + " " + p.LastName, Status: models.AccountActive, Entitlements: []string{"laptop"}})
		}
	}
	hook = append(hook,
		reconcile.Account{ID: "u-ci-bot", Email: "ci-bot@example.com", Name: "CI bot", Status: models.AccountActive, Entitlements: []string{"admin"}},
		reconcile.Account{ID: "u-old-contractor", Email: "sam.taylor@contractor.example", Name: "Sam Taylor", Status: models.AccountActive,
			Entitlements: []string{"eng"}})
	return hook, laptops
}
