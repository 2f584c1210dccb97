// Package csvsource reads people from a CSV export: the column list, a
// downloadable template, and a parser that validates every row and
// reports each problem by line number.
package csvsource

import _ "github.com/nyaruka/phonenumbers" // E.164 normalisation (see parse.go)
