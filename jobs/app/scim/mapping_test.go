package scim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/scim"
)

func grace() scim.Person {
	return scim.Person{
		EmployeeID: "E007", FirstName: "Grace", LastName: "Hopper", PreferredName: "Amazing Grace",
		WorkEmail: "grace@example.com", PersonalEmail: "grace@home.example", Phone: "+14155550100",
		Title: "Rear Admiral", Department: "Navy", Division: "Research", CostCenter: "CC-1",
		ManagerID: "E001", ManagerAccountID: "m-17", Location: "Arlington", Country: "US",
		Timezone: "America/New_York", EmploymentType: "Employee",
		Custom: map[string]string{"badge": "B-9"},
	}
}

func TestDefaultMappingPreview(t *testing.T) {
	t.Parallel()
	require.NoError(t, scim.DefaultMapping().Validate())
	raw, err := scim.PreviewJSON(grace(), scim.DefaultMapping())
	require.NoError(t, err)
	assert.JSONEq(t, `{
	  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "externalId": "E007",
	  "userName": "grace@example.com",
	  "name": {"givenName": "Grace", "familyName": "Hopper"},
	  "displayName": "Amazing Grace Hopper",
	  "title": "Rear Admiral",
	  "userType": "Employee",
	  "timezone": "America/New_York",
	  "active": true,
	  "emails": [{"value": "grace@example.com", "type": "work", "primary": true}],
	  "phoneNumbers": [{"value": "+14155550100", "type": "work", "primary": true}],
	  "addresses": [{"type": "work", "locality": "Arlington", "country": "US", "primary": true}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
	    "employeeNumber": "E007", "costCenter": "CC-1", "division": "Research", "department": "Navy",
	    "manager": {"value": "m-17"}
	  }
	}`, string(raw))
}

func TestBuildCustomMapping(t *testing.T) {
	t.Parallel()
	m := scim.Mapping{
		{Field: "employee_id", Attribute: "userName"},
		{Field: "personal_email", Attribute: "emails.home"},
		{Field: "work_email", Attribute: "emails.work"},
		{Field: "custom.badge", Attribute: "nickName"},
		{Field: "team", Attribute: "enterprise.department"}, // empty: sets nothing
	}
	require.NoError(t, m.Validate())
	p := grace()
	u := scim.Build(p, m)
	assert.Equal(t, "E007", u.UserName)
	assert.Equal(t, "B-9", u.NickName)
	assert.Equal(t, []scim.MultiValue{{Value: "grace@example.com", Type: "work", Primary: true}, {Value: "grace@home.example", Type: "home"}}, u.Emails)
	assert.Nil(t, u.Enterprise, "no enterprise attribute had a value")
	assert.Equal(t, []string{scim.SchemaUser}, u.Schemas)
	assert.Equal(t, "grace@example.com", u.Email())
}

func TestMappingValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       scim.Mapping
		wantErr []string
	}{
		{"unknown attribute", scim.Mapping{{"work_email", "userName"}, {"title", "jobTitle"}}, []string{`scim: "jobTitle" is not a SCIM attribute Roster can set; use one of userName, externalId`}},
		{"unknown field", scim.Mapping{{"work_email", "userName"}, {"shoe_size", "title"}}, []string{`scim: "shoe_size" is not a person field; use one of employee_id`}},
		{"empty custom name", scim.Mapping{{"work_email", "userName"}, {"custom.", "title"}}, []string{`"custom." is not a person field`}},
		{"an attribute twice", scim.Mapping{{"work_email", "userName"}, {"title", "title"}, {"department", "title"}}, []string{"scim: title is mapped more than once"}},
		{"no userName", scim.Mapping{{"title", "title"}}, []string{"scim: map a person field to userName"}},
		{"attribute names are exact", scim.Mapping{{"work_email", "username"}}, []string{`"username" is not a SCIM attribute`, "map a person field to userName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.m.Validate()
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
			_, err = scim.PreviewJSON(grace(), tt.m)
			assert.Error(t, err, "no preview of an invalid mapping")
		})
	}
}

func TestMappingNames(t *testing.T) {
	t.Parallel()
	assert.Contains(t, scim.PersonFields(), "work_email")
	assert.Contains(t, scim.Attributes(), "enterprise.manager")
	for _, f := range scim.DefaultMapping() {
		assert.Contains(t, scim.PersonFields(), f.Field)
		assert.Contains(t, scim.Attributes(), f.Attribute)
	}
}
