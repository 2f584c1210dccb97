package reconcile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/models"
)

// The documented columns of an accounts file, in the template's order.
// Only account_id is required; a file needs at least one of email, phone
// and employee_number to match anyone.
const (
	ColAccountID      = "account_id"
	ColEmail          = "email"
	ColPhone          = "phone"
	ColEmployeeNumber = "employee_number"
	ColName           = "name"
	ColStatus         = "status"
	ColEntitlements   = "entitlements"
)

// Columns lists the documented columns in order.
var Columns = []string{ColAccountID, ColEmail, ColPhone, ColEmployeeNumber, ColName, ColStatus, ColEntitlements}

// Template is the file offered for download: the header and two example
// rows. Entitlements are the app's keys (as in its catalogue), separated
// by semicolons; status is active (the default) or disabled.
const Template = "account_id,email,phone,employee_number,name,status,entitlements\n" +
	"u-1001,ada@example.com,+44 20 7946 0018,E1001,Ada Lovelace,active,eng;admin\n" +
	"u-1002,grace@example.com,,E1002,Grace Hopper,disabled,\n"

// Bounds of one accounts file.
const (
	MaxRows        = 200000
	MaxValueLength = 1000
	maxErrors      = 1000
)

// FileError is an accounts file that cannot be applied: every problem,
// by line. Nothing is recorded from such a file.
type FileError struct {
	Problems  []models.RowError
	Truncated bool // more problems than maxErrors
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the accounts file has %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == 20 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// ParseCSV reads an app's accounts file. A file that is not CSV, lacks the
// account_id column, or has any invalid row is a *FileError listing every
// problem by line; nothing of it is returned.
func ParseCSV(r io.Reader) ([]Account, error) {
	br := bufio.NewReader(r)
	start, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(start, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(start, []byte("\xff\xfe")), bytes.HasPrefix(start, []byte("\xfe\xff")):
		return nil, fileError(models.RowError{Line: 1, Message: `the file is UTF-16 text: save it as "CSV UTF-8"`})
	case bytes.IndexByte(start, 0) >= 0 || !utf8.Valid(trimPartialRune(start)):
		return nil, fileError(models.RowError{Line: 1, Message: "this does not look like a CSV file"})
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileError(models.RowError{Line: 1, Message: "the file is empty: it needs a header row with " + ColAccountID})
	}
	if err != nil {
		return nil, fileError(models.RowError{Line: 1, Message: "cannot read the header row: " + csvReason(err)})
	}
	cols, problems := readHeader(header)
	if len(problems) > 0 {
		return nil, &FileError{Problems: problems}
	}
	var out []Account
	fe := &FileError{}
	seen := map[string]int{}
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			fe.add(models.RowError{Line: line, Message: "cannot read this row: " + csvReason(err)})
			continue
		}
		if blank(cells) {
			continue
		}
		if len(out) >= MaxRows {
			fe.add(models.RowError{Line: line, Message: fmt.Sprintf("the file has more than %d accounts", MaxRows)})
			break
		}
		a, rowProblems := readRow(line, cols, cells)
		if first, dup := seen[strings.ToLower(a.ID)]; dup && a.ID != "" {
			rowProblems = append(rowProblems, models.RowError{Line: line, Field: ColAccountID,
				Message: fmt.Sprintf("%s appears twice (first on line %d)", a.ID, first)})
		} else if a.ID != "" {
			seen[strings.ToLower(a.ID)] = line
		}
		for _, p := range rowProblems {
			fe.add(p)
		}
		if len(fe.Problems) == 0 {
			out = append(out, a)
		}
		if fe.Truncated {
			break
		}
	}
	if len(fe.Problems) > 0 {
		return nil, fe
	}
	if out == nil {
		out = []Account{}
	}
	return out, nil
}

func fileError(p models.RowError) *FileError { return &FileError{Problems: []models.RowError{p}} }

func (e *FileError) add(p models.RowError) {
	if len(e.Problems) >= maxErrors {
		e.Truncated = true
		return
	}
	e.Problems = append(e.Problems, p)
}

// readHeader maps each documented column to its cell index.
func readHeader(header []string) (map[string]int, []models.RowError) {
	cols := map[string]int{}
	var problems []models.RowError
	for i, h := range header {
		name := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(h, " ", "_")), "_"))
		switch {
		case name == "":
			continue
		case !known(name):
			problems = append(problems, models.RowError{Line: 1, Field: h,
				Message: "not a column of an accounts file; the columns are " + strings.Join(Columns, ", ")})
		case hasCol(cols, name):
			problems = append(problems, models.RowError{Line: 1, Field: h, Message: "this column appears twice"})
		default:
			cols[name] = i
		}
	}
	if _, ok := cols[ColAccountID]; !ok && len(problems) == 0 {
		problems = append(problems, models.RowError{Line: 1, Field: ColAccountID, Message: "the file needs an account_id column: the app's own id for each account"})
	}
	return cols, problems
}

func known(name string) bool {
	for _, c := range Columns {
		if c == name {
			return true
		}
	}
	return false
}

func hasCol(cols map[string]int, name string) bool { _, ok := cols[name]; return ok }

func readRow(line int, cols map[string]int, cells []string) (Account, []models.RowError) {
	var problems []models.RowError
	get := func(col string) string {
		i, ok := cols[col]
		if !ok || i >= len(cells) {
			return ""
		}
		v := strings.TrimSpace(cells[i])
		if utf8.RuneCountInString(v) > MaxValueLength {
			problems = append(problems, models.RowError{Line: line, Field: col, Message: fmt.Sprintf("longer than %d characters", MaxValueLength)})
			return ""
		}
		return v
	}
	a := Account{ID: get(ColAccountID), Email: get(ColEmail), Phone: get(ColPhone),
		EmployeeNumber: get(ColEmployeeNumber), Name: get(ColName)}
	if a.ID == "" {
		problems = append(problems, models.RowError{Line: line, Field: ColAccountID, Message: "every account needs its id in the app"})
	}
	if a.Email != "" && !strings.Contains(a.Email, "@") {
		problems = append(problems, models.RowError{Line: line, Field: ColEmail, Message: fmt.Sprintf("%q is not an email address", a.Email)})
	}
	switch st := strings.ToLower(get(ColStatus)); st {
	case "", "active", "enabled":
		a.Status = models.AccountActive
	case "disabled", "suspended", "inactive", "deactivated":
		a.Status = models.AccountDisabled
	default:
		problems = append(problems, models.RowError{Line: line, Field: ColStatus, Message: fmt.Sprintf("%q is not a status: write active or disabled", st)})
	}
	for k := range strings.SplitSeq(get(ColEntitlements), ";") {
		if k = strings.TrimSpace(k); k != "" {
			a.Entitlements = append(a.Entitlements, k)
		}
	}
	return a, problems
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// trimPartialRune drops a rune cut off at the end of a peeked prefix.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}
