package scim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rosterhq/roster/jobs/app/scim"
)

func TestEq(t *testing.T) {
	t.Parallel()
	tests := []struct{ attr, value, want string }{
		{"userName", "ada@example.com", `userName eq "ada@example.com"`},
		{"userName", `o"brien`, `userName eq "o\"brien"`},
		{"externalId", `back\slash`, `externalId eq "back\\slash"`},
		{"userName", `x" or userName pr or "`, `userName eq "x\" or userName pr or \""`},
		{"displayName", "tab\there\nnewline", `displayName eq "tab\there\nnewline"`},
		{"displayName", "<R&D>", `displayName eq "<R&D>"`},
		{"displayName", "Zoë", `displayName eq "Zoë"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, scim.Eq(tt.attr, tt.value))
	}
}
