package scim

import (
	"bytes"
	"encoding/json"
)

// Eq is the SCIM filter `attr eq "value"` (RFC 7644 §3.4.2.2). The value
// is written as a JSON string, as the filter grammar says, so quotes,
// backslashes and control characters in it cannot end the string early
// or change the filter.
func Eq(attr, value string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<" stays "<": filters are not HTML
	_ = enc.Encode(value)    // a string always encodes
	return attr + " eq " + string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
