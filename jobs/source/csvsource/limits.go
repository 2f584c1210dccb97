package csvsource

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"
)

// The bounds of one file. Every page that shows a person or a rule lists
// custom attributes, and every mail about a person carries their fields, so
// what one file may hold is what those pages and mails must carry.
const (
	// MaxRows bounds a file: a bigger export is almost certainly the wrong
	// file, and Parse (the upload preview) still holds its records whole.
	MaxRows = 100000
	// MaxCustomColumns bounds the custom attributes a file defines. HR
	// exports carry a few dozen; thousands is a pivot table exported by
	// mistake, and would make every person's and every rule's page huge.
	MaxCustomColumns = 200
	// MaxValueLength bounds one value, in characters. The longest real
	// values (titles, divisions, group lists) are well under it.
	MaxValueLength = 1000
	// MaxRowBytes bounds one row as read from the file, line ending
	// included: 200 custom columns of long values still fit.
	MaxRowBytes = 64 << 10
)

// maxErrors caps the report: past a thousand problems the file needs
// fixing at its origin, not row by row.
const maxErrors = 1000

// maxCustomName bounds a custom column name, which rules refer to.
const maxCustomName = 64

// rowLimiter sits between the file and the CSV reader's buffer and never
// hands over more than MaxRowBytes+1 bytes past the start of the row being
// read, so one huge row (often an unclosed quote that swallows the rest of
// the file) is cut short instead of being read into memory whole. The row
// reader moves start after every row.
type rowLimiter struct {
	r     io.Reader
	n     int64 // bytes handed over
	start int64 // offset at which the current row begins
	cut   bool  // the current row went past the limit and was cut short
}

// Read hands over the file up to the current row's budget; past it the
// file ends. The buffer asks for more only when everything after start
// belongs to the unfinished row, so a cut row is always too long.
func (l *rowLimiter) Read(p []byte) (int, error) {
	room := l.start + MaxRowBytes + 1 - l.n
	if room <= 0 {
		l.cut = true
		return 0, io.EOF
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// consumed is the offset up to which the CSV reader has taken bytes from
// its buffer br: the end of the row it last returned.
func (l *rowLimiter) consumed(br *bufio.Reader) int64 {
	return l.n - int64(br.Buffered())
}

// checkValue explains why a value cannot be stored, or returns "". Every
// column is single-line text: names and emails end up in mail headers and
// subjects, where a line break starts a new header, and custom attributes
// are matched by rules and shown in table cells. Tab is allowed, since a
// value pasted from a spreadsheet may carry one and it is harmless
// whitespace in HTML and in mail headers; every other control character
// (C0, DEL, C1) and the Unicode line and paragraph separators are refused.
func checkValue(v string) string {
	if !utf8.ValidString(v) {
		return `is not UTF-8 text: save the file as "CSV UTF-8"`
	}
	for _, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return "contains a line break: a value must be on one line"
		case r == 0:
			return "contains a NUL character"
		case r == '\t':
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return fmt.Sprintf("contains the control character U+%04X", r)
		}
	}
	if n := utf8.RuneCountInString(v); n > MaxValueLength {
		return fmt.Sprintf("is %d characters long: a value may have at most %d", n, MaxValueLength)
	}
	return ""
}

// excerpt shortens a value quoted in a message, so that a report of a
// thousand problems stays readable and small.
func excerpt(v string) string {
	const keep = 40
	if utf8.RuneCountInString(v) <= keep {
		return v
	}
	return string([]rune(v)[:keep]) + "…"
}
