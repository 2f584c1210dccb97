package phone

import (
	"errors"
	"testing"
)

func TestE164(t *testing.T) {
	for _, tc := range []struct {
		in, region, want, err string
	}{
		{in: "(212) 555-0123", region: "US", want: "+12125550123"},
		{in: "+1 212 555 0123", want: "+12125550123"},
		{in: "＋1 212 555 0123", want: "+12125550123"}, // a full-width plus
		{in: "020 7946 0123", region: "GB", want: "+442079460123"},
		{in: "+44 20 7946 0123", region: "US", want: "+442079460123"}, // the code wins over the region
		{in: "03-1234-5678", region: "JP", want: "+81312345678"},
		{in: "+49 30 901820", want: "+4930901820"},
		{in: "212 555 0123", err: ErrNeedsCountry.Error()},
		{in: "12", region: "US", err: `not a valid phone number: "12"`},
		{in: "+1 212 555 0123 ext. 7", err: `phone "+1 212 555 0123 ext. 7" has an extension, which E.164 cannot hold: remove it`},
	} {
		got, err := E164(tc.in, tc.region)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("E164(%q, %q) = %q, %v; want error %q", tc.in, tc.region, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("E164(%q, %q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
		}
	}
	if _, err := E164("212 555 0123", ""); !errors.Is(err, ErrNeedsCountry) {
		t.Errorf("a local number with no country: %v, want ErrNeedsCountry", err)
	}
}

func TestKnownRegion(t *testing.T) {
	for code, want := range map[string]bool{"GB": true, "US": true, "JP": true, "UK": false, "gb": false, "": false, "XX": false} {
		if got := KnownRegion(code); got != want {
			t.Errorf("KnownRegion(%q) = %v, want %v", code, got, want)
		}
	}
}
