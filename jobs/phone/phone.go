// Package phone puts phone numbers in one form, E.164 ("+14155550123"),
// so that a number an HR system wrote as "(415) 555-0123" and the one an
// app holds as "+1 415 555 0123" compare equal. Numbers are parsed and
// validated with github.com/nyaruka/phonenumbers (Google's libphonenumber
// metadata), not by pattern.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrNeedsCountry is returned for a number written without a country
// code when no country is known to read it in.
var ErrNeedsCountry = errors.New("phone needs a country code or a country column")

// E164 returns v in E.164. region is the ISO 3166 country to read a
// number written without a country code in ("" when unknown: then only
// numbers starting with a plus sign are understood). A number that is not
// valid, or has an extension (which E.164 cannot hold: dropping it would
// store a number that does not reach the person), is an error that quotes
// it.
func E164(v, region string) (string, error) {
	num, err := phonenumbers.Parse(v, region)
	if errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "" && !HasPlus(v) {
		return "", ErrNeedsCountry
	}
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("not a valid phone number: %q", v)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("phone %q has an extension, which E.164 cannot hold: remove it", v)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// HasPlus reports whether a phone number starts with a plus sign (ASCII
// or full-width, which phone keyboards produce).
func HasPlus(v string) bool {
	v = strings.TrimLeft(v, " (")
	return strings.HasPrefix(v, "+") || strings.HasPrefix(v, "＋")
}

// KnownRegion reports whether code is an upper-case ISO 3166-1 alpha-2
// country the numbering metadata knows, so a local number can be read in
// it.
func KnownRegion(code string) bool { return phonenumbers.GetSupportedRegions()[code] }
