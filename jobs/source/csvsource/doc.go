// Package csvsource reads people from a CSV export: the column list, a
// downloadable template, and a parser that validates every row and
// reports each problem by line number.
//
// Stream checks a file row by row and hands each valid record over as it
// goes (Parse collects them); `roster import` streams, so a file is never
// held whole.
//
// The parser is all-or-nothing: a file with any invalid row yields no
// records, so an upload or `roster import` either applies every row or
// changes nothing. Line numbers are the physical lines a spreadsheet user
// sees (the header is line 1), and every problem is reported, not only the
// first, up to a cap.
//
// A file is bounded while it is read (see limits.go): at most MaxRows
// rows, MaxCustomColumns custom columns, MaxValueLength characters per
// value and MaxRowBytes bytes per row. Every value is one line of text: a
// line break, NUL or other control character (tab excepted) is refused
// with its line and column, since names and emails end up in mail headers
// and custom attributes in table cells; no column is multi-line. A row
// longer than MaxRowBytes is cut short as it is read, so a quote that is
// never closed cannot pull the rest of a file into one row in memory; it
// is reported on its line and reading stops there.
//
// Any column that is not one of Columns (or an alias of one) becomes a
// custom attribute that rules can match on. Phone numbers are normalised
// to E.164 by package phone (github.com/nyaruka/phonenumbers), and time zones are checked
// against the Go tz database embedded in the binary (time/tzdata), so
// validation does not depend on the host's /usr/share/zoneinfo.
package csvsource
