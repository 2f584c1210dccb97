package scim

import "encoding/json"

// Schema URNs (RFC 7643 §8.7, RFC 7644 §3.5.2 and §3.12).
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaListResp   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// User is a SCIM User with the attributes Roster reads and writes: the
// core schema's and the enterprise extension's. Empty attributes are left
// out of the JSON. Decoding is case-insensitive about attribute names, as
// RFC 7643 §2.1 asks.
type User struct {
	Schemas      []string        `json:"schemas,omitempty"`
	ID           string          `json:"id,omitempty"`
	ExternalID   string          `json:"externalId,omitempty"`
	UserName     string          `json:"userName,omitempty"`
	Name         *Name           `json:"name,omitempty"`
	DisplayName  string          `json:"displayName,omitempty"`
	NickName     string          `json:"nickName,omitempty"`
	Title        string          `json:"title,omitempty"`
	UserType     string          `json:"userType,omitempty"`
	Locale       string          `json:"locale,omitempty"`
	Timezone     string          `json:"timezone,omitempty"`
	Active       *bool           `json:"active,omitempty"`
	Emails       []MultiValue    `json:"emails,omitempty"`
	PhoneNumbers []MultiValue    `json:"phoneNumbers,omitempty"`
	Addresses    []Address       `json:"addresses,omitempty"`
	Groups       []GroupRef      `json:"groups,omitempty"` // read-only: the server fills it
	Enterprise   *EnterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta         *Meta           `json:"meta,omitempty"`
}

// IsActive reads active; a server that leaves it out is taken to mean
// the account works.
func (u User) IsActive() bool { return u.Active == nil || *u.Active }

// Email is the primary address, else the work one, else the first.
func (u User) Email() string {
	for _, e := range u.Emails {
		if e.Primary {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if e.Type == "work" {
			return e.Value
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Value
	}
	return ""
}

// Name is RFC 7643 §4.1.1's name.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// MultiValue is one of emails or phoneNumbers.
type MultiValue struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is one of addresses.
type Address struct {
	Type     string `json:"type,omitempty"`
	Locality string `json:"locality,omitempty"`
	Country  string `json:"country,omitempty"`
	Primary  bool   `json:"primary,omitempty"`
}

// EnterpriseUser is RFC 7643 §4.3's extension.
type EnterpriseUser struct {
	EmployeeNumber string   `json:"employeeNumber,omitempty"`
	CostCenter     string   `json:"costCenter,omitempty"`
	Organization   string   `json:"organization,omitempty"`
	Division       string   `json:"division,omitempty"`
	Department     string   `json:"department,omitempty"`
	Manager        *Manager `json:"manager,omitempty"`
}

// Manager is the enterprise manager: Value is the manager's SCIM id.
type Manager struct {
	Value       string `json:"value,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// GroupRef names a group a user is in, or a member of a group.
type GroupRef struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// Group is a SCIM Group (RFC 7643 §4.2).
type Group struct {
	Schemas     []string   `json:"schemas,omitempty"`
	ID          string     `json:"id,omitempty"`
	ExternalID  string     `json:"externalId,omitempty"`
	DisplayName string     `json:"displayName"`
	Members     []GroupRef `json:"members,omitempty"`
	Meta        *Meta      `json:"meta,omitempty"`
}

// Meta is RFC 7643 §3.1's meta.
type Meta struct {
	ResourceType string `json:"resourceType,omitempty"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// listResponse is RFC 7644 §3.4.2's answer to a query. itemsPerPage and
// startIndex are optional in practice; Resources is missing on some
// servers when there are none.
type listResponse[T any] struct {
	TotalResults int `json:"totalResults"`
	ItemsPerPage int `json:"itemsPerPage"`
	StartIndex   int `json:"startIndex"`
	Resources    []T `json:"Resources"`
}

// patchRequest is RFC 7644 §3.5.2's PatchOp.
type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

func newPatch(ops ...patchOp) patchRequest {
	return patchRequest{Schemas: []string{SchemaPatchOp}, Operations: ops}
}

// serviceProviderConfig is RFC 7643 §5, the parts Roster reads.
type serviceProviderConfig struct {
	Patch                 supported `json:"patch"`
	Bulk                  bulk      `json:"bulk"`
	Filter                filter    `json:"filter"`
	ChangePassword        supported `json:"changePassword"`
	Sort                  supported `json:"sort"`
	ETag                  supported `json:"etag"`
	AuthenticationSchemes []struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"authenticationSchemes"`
}

type supported struct {
	Supported bool `json:"supported"`
}

type bulk struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

type filter struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

// rawResource keeps every attribute of a resource, for a PUT that must
// not drop what Roster does not manage.
type rawResource map[string]json.RawMessage
