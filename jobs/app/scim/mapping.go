package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Person is what Roster knows of a person, by the field names of Roster's
// HR attributes. The caller fills it; this package does not read Roster's
// models.
type Person struct {
	EmployeeID     string
	FirstName      string
	LastName       string
	PreferredName  string
	WorkEmail      string
	PersonalEmail  string
	Phone          string
	Title          string
	Department     string
	Team           string
	Division       string
	CostCenter     string
	ManagerID      string // the manager's HR id
	Location       string
	Country        string
	Timezone       string
	EmploymentType string
	// ManagerAccountID is the manager's SCIM id in this app, when the
	// caller knows it: enterprise manager.value must be an id the app
	// knows, not an HR id.
	ManagerAccountID string
	Custom           map[string]string // custom HR attributes, mapped as "custom.<name>"
}

// personFields are the fields a Mapping may read, in the order a form
// lists them. display_name is derived: the preferred (else first) name and
// the last name.
var personFields = []string{
	"employee_id", "first_name", "last_name", "preferred_name", "display_name", "work_email",
	"personal_email", "phone", "title", "department", "team", "division", "cost_center",
	"manager_id", "manager_account_id", "location", "country", "timezone", "employment_type",
}

// customPrefix starts the name of a custom HR attribute in a Mapping.
const customPrefix = "custom."

// PersonFields are the field names a FieldMap may read, besides
// "custom.<name>".
func PersonFields() []string { return slices.Clone(personFields) }

// Value is the person's field by name, and whether the name is a field.
func (p Person) Value(field string) (string, bool) {
	if name, ok := strings.CutPrefix(field, customPrefix); ok {
		return p.Custom[name], name != ""
	}
	switch field {
	case "employee_id":
		return p.EmployeeID, true
	case "first_name":
		return p.FirstName, true
	case "last_name":
		return p.LastName, true
	case "preferred_name":
		return p.PreferredName, true
	case "display_name":
		return p.displayName(), true
	case "work_email":
		return p.WorkEmail, true
	case "personal_email":
		return p.PersonalEmail, true
	case "phone":
		return p.Phone, true
	case "title":
		return p.Title, true
	case "department":
		return p.Department, true
	case "team":
		return p.Team, true
	case "division":
		return p.Division, true
	case "cost_center":
		return p.CostCenter, true
	case "manager_id":
		return p.ManagerID, true
	case "manager_account_id":
		return p.ManagerAccountID, true
	case "location":
		return p.Location, true
	case "country":
		return p.Country, true
	case "timezone":
		return p.Timezone, true
	case "employment_type":
		return p.EmploymentType, true
	}
	return "", false
}

func (p Person) displayName() string {
	first := p.PreferredName
	if first == "" {
		first = p.FirstName
	}
	return strings.TrimSpace(first + " " + p.LastName)
}

// FieldMap fills one SCIM attribute from one person field.
type FieldMap struct {
	Field     string `json:"field"`     // a PersonFields name or "custom.<name>"
	Attribute string `json:"attribute"` // an Attributes name
}

// Mapping says which person field fills each SCIM attribute Roster sets.
type Mapping []FieldMap

// attributes are the SCIM attributes a Mapping may fill, each with how it
// is set on a User. The "enterprise." names stand for the enterprise
// extension's attributes (urn:ietf:params:scim:schemas:extension:
// enterprise:2.0:User); emails.work is the primary work address.
var attributeSetters = []struct {
	name string
	set  func(u *User, v string)
}{
	{"userName", func(u *User, v string) { u.UserName = v }},
	{"externalId", func(u *User, v string) { u.ExternalID = v }},
	{"name.givenName", func(u *User, v string) { name(u).GivenName = v }},
	{"name.familyName", func(u *User, v string) { name(u).FamilyName = v }},
	{"name.formatted", func(u *User, v string) { name(u).Formatted = v }},
	{"displayName", func(u *User, v string) { u.DisplayName = v }},
	{"nickName", func(u *User, v string) { u.NickName = v }},
	{"title", func(u *User, v string) { u.Title = v }},
	{"userType", func(u *User, v string) { u.UserType = v }},
	{"locale", func(u *User, v string) { u.Locale = v }},
	{"timezone", func(u *User, v string) { u.Timezone = v }},
	{"emails.work", func(u *User, v string) {
		u.Emails = append([]MultiValue{{Value: v, Type: "work", Primary: true}}, u.Emails...)
	}},
	{"emails.home", func(u *User, v string) { u.Emails = append(u.Emails, MultiValue{Value: v, Type: "home"}) }},
	{"phoneNumbers.work", func(u *User, v string) {
		u.PhoneNumbers = append(u.PhoneNumbers, MultiValue{Value: v, Type: "work", Primary: len(u.PhoneNumbers) == 0})
	}},
	{"phoneNumbers.mobile", func(u *User, v string) {
		u.PhoneNumbers = append(u.PhoneNumbers, MultiValue{Value: v, Type: "mobile", Primary: len(u.PhoneNumbers) == 0})
	}},
	{"addresses.work.locality", func(u *User, v string) { workAddress(u).Locality = v }},
	{"addresses.work.country", func(u *User, v string) { workAddress(u).Country = v }},
	{"enterprise.employeeNumber", func(u *User, v string) { enterprise(u).EmployeeNumber = v }},
	{"enterprise.costCenter", func(u *User, v string) { enterprise(u).CostCenter = v }},
	{"enterprise.organization", func(u *User, v string) { enterprise(u).Organization = v }},
	{"enterprise.division", func(u *User, v string) { enterprise(u).Division = v }},
	{"enterprise.department", func(u *User, v string) { enterprise(u).Department = v }},
	{"enterprise.manager", func(u *User, v string) { enterprise(u).Manager = &Manager{Value: v} }},
}

// Attributes are the SCIM attribute names a FieldMap may fill.
func Attributes() []string {
	names := make([]string, len(attributeSetters))
	for i, a := range attributeSetters {
		names[i] = a.name
	}
	return names
}

func name(u *User) *Name {
	if u.Name == nil {
		u.Name = &Name{}
	}
	return u.Name
}

func enterprise(u *User) *EnterpriseUser {
	if u.Enterprise == nil {
		u.Enterprise = &EnterpriseUser{}
	}
	return u.Enterprise
}

func workAddress(u *User) *Address {
	if len(u.Addresses) == 0 {
		u.Addresses = []Address{{Type: "work", Primary: true}}
	}
	return &u.Addresses[0]
}

// DefaultMapping is the mapping a new SCIM app starts with.
func DefaultMapping() Mapping {
	return Mapping{
		{"work_email", "userName"},
		{"employee_id", "externalId"},
		{"first_name", "name.givenName"},
		{"last_name", "name.familyName"},
		{"display_name", "displayName"},
		{"work_email", "emails.work"},
		{"phone", "phoneNumbers.work"},
		{"title", "title"},
		{"employment_type", "userType"},
		{"timezone", "timezone"},
		{"location", "addresses.work.locality"},
		{"country", "addresses.work.country"},
		{"employee_id", "enterprise.employeeNumber"},
		{"department", "enterprise.department"},
		{"division", "enterprise.division"},
		{"cost_center", "enterprise.costCenter"},
		{"manager_account_id", "enterprise.manager"},
	}
}

// Validate checks every field and attribute is known, no attribute is
// filled twice and userName is filled (RFC 7643 requires it).
func (m Mapping) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range m {
		if _, ok := (Person{}).Value(f.Field); !ok {
			errs = append(errs, fmt.Errorf("scim: %q is not a person field; use one of %s or custom.<name>", f.Field, strings.Join(personFields, ", ")))
		}
		if setter(f.Attribute) == nil {
			errs = append(errs, fmt.Errorf("scim: %q is not a SCIM attribute Roster can set; use one of %s", f.Attribute, strings.Join(Attributes(), ", ")))
			continue
		}
		if seen[f.Attribute] {
			errs = append(errs, fmt.Errorf("scim: %s is mapped more than once", f.Attribute))
		}
		seen[f.Attribute] = true
	}
	if !seen["userName"] {
		errs = append(errs, errors.New("scim: map a person field to userName; every SCIM user needs one"))
	}
	return errors.Join(errs...)
}

func setter(attribute string) func(*User, string) {
	for _, a := range attributeSetters {
		if a.name == attribute {
			return a.set
		}
	}
	return nil
}

// Build is the User that m makes of p: each mapped field that has a value
// sets its attribute, fields without one set nothing, and the account is
// active. Unknown names are skipped; Validate reports them.
func Build(p Person, m Mapping) User {
	u := User{}
	for _, a := range attributeSetters { // in the attributes' order, so emails.work comes first
		for _, f := range m {
			if f.Attribute != a.name {
				continue
			}
			if v, _ := p.Value(f.Field); strings.TrimSpace(v) != "" {
				a.set(&u, strings.TrimSpace(v))
			}
			break
		}
	}
	on := true
	u.Active = &on
	u.Schemas = userSchemas(u)
	return u
}

// PreviewJSON is the JSON Roster would POST for p, indented for a person
// to read, or the mapping's problems.
func PreviewJSON(p Person, m Mapping) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(Build(p, m), "", "  ")
}
