package csvsource

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/phone"
	"github.com/rosterhq/roster/models"
)

// dateLayouts are the ISO 8601 forms HR exports write dates in.
var dateLayouts = []string{time.DateOnly, time.RFC3339, "2006-01-02T15:04:05", "20060102"}

// normaliseDate returns the calendar date as written, YYYY-MM-DD. A
// timestamp's offset is kept, not converted: "2024-03-01T23:00:00-05:00"
// is 1 March, the day HR meant.
func normaliseDate(v string) (string, error) {
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		// A year like 0202 or 20224 is a typo, not a hire date.
		if y := t.Year(); y < 1900 || y > 2199 {
			return "", fmt.Errorf("bad date %q: the year must be between 1900 and 2199", v)
		}
		return t.Format(time.DateOnly), nil
	}
	return "", fmt.Errorf("bad date %q: use YYYY-MM-DD", v)
}

// normaliseEmail lower-cases a bare address ("Ann <ann@x.com>" is
// refused: the column holds one mailbox, not a display name).
func normaliseEmail(v string) (string, error) {
	addr := strings.ToLower(v)
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return "", fmt.Errorf("malformed email %q", v)
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", fmt.Errorf("malformed email %q", v)
	}
	return addr, nil
}

// normaliseStatus reads a status case-insensitively.
func normaliseStatus(v string) (models.PersonStatus, error) {
	s := strings.ToLower(v)
	if s == "on leave" || s == "on_leave" {
		return models.StatusLeave, nil
	}
	if status := models.PersonStatus(s); status.Valid() {
		return status, nil
	}
	return "", fmt.Errorf("unknown status %q: use pending, active, leave or terminated", v)
}

var separatorsToUnderscore = strings.NewReplacer("-", "_", " ", "_")

// normaliseEmploymentType accepts "Full-time" and "full time" as full_time.
func normaliseEmploymentType(v string) (string, error) {
	s := separatorsToUnderscore.Replace(strings.ToLower(v))
	if slices.Contains(models.EmploymentTypes, s) {
		return s, nil
	}
	return "", fmt.Errorf("unknown employment type %q: use %s", v, orList(models.EmploymentTypes))
}

// orList writes "a, b or c".
func orList(choices []string) string {
	if len(choices) < 2 {
		return strings.Join(choices, "")
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// splitGroups reads "a; b;;a" as [a b]: trimmed, no empties, first
// occurrence kept. Names are compared exactly.
func splitGroups(v string) []string {
	var groups []string
	for g := range strings.SplitSeq(v, ";") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return groups
}

// normaliseCountry returns an upper-case ISO 3166-1 alpha-2 code that the
// phone library knows, so the country can also place a local phone number.
func normaliseCountry(v string) (string, error) {
	code := strings.ToUpper(v)
	if code == "UK" {
		return "", fmt.Errorf("unknown country code %q: the code for the United Kingdom is GB", v)
	}
	if len(code) != 2 || !phone.KnownRegion(code) {
		return "", fmt.Errorf("unknown country code %q", v)
	}
	return code, nil
}
