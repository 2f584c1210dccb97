package csvsource

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rosterhq/roster/models"
)

// Result of parsing.
type Result struct {
	Records       []models.PersonFields // in file order; only meaningful when Errors is empty
	Errors        []models.RowError     // every problem, ordered by line then field
	Rows          int                   // data rows read
	CustomColumns []string              // names of the custom columns, normalised
}

// rawRow is one data row as read, before any checking.
type rawRow struct {
	line  int
	cells []string
	err   string // why the row could not be read as CSV
}

// Parse reads a whole file. It returns an error only when the file cannot
// be read as CSV at all; everything else is a RowError. Records is nil
// when there is any RowError, so an invalid file cannot be applied in part.
func Parse(r io.Reader) (*Result, error) {
	rr := newRowReader(r)
	if msg := checkEncoding(rr.br); msg != "" {
		return &Result{Errors: []models.RowError{{Line: 1, Message: msg}}}, nil
	}
	head, err := rr.next()
	var long *rowTooLongError
	switch {
	case errors.Is(err, io.EOF):
		return &Result{Errors: []models.RowError{{Line: 1, Message: "the file is empty: the first line must be the header"}}}, nil
	case errors.As(err, &long):
		return &Result{Errors: []models.RowError{{Line: long.line, Message: fmt.Sprintf(
			"the header is longer than %d KiB: a file may have at most %d custom columns, named in at most %d characters each",
			MaxRowBytes>>10, MaxCustomColumns, maxCustomName)}}}, nil
	case err != nil:
		return nil, fmt.Errorf("csvsource: read header: %w", err)
	}
	h, headerErrs := parseHeader(head.line, head.cells)
	rows, err := readRows(rr)
	res := &Result{Rows: len(rows), CustomColumns: h.custom, Errors: headerErrs}
	switch {
	case errors.As(err, &long):
		// Past a row this long neither line numbers nor employee ids can
		// be trusted (it is usually a quote that was never closed), so it
		// is reported alone, after any header problems.
		res.Errors = append(res.Errors, models.RowError{Line: long.line, Message: fmt.Sprintf(
			"the row is longer than %d KiB, the most one row may hold; reading stopped here (a quote that is never closed makes the rest of the file one row)",
			MaxRowBytes>>10)})
	case err != nil:
		return nil, err
	case len(rows) > MaxRows:
		res.Rows = MaxRows
		res.Errors = []models.RowError{{Line: 1, Message: fmt.Sprintf("the file has more than %d rows, the most one import reads", MaxRows)}}
	case len(headerErrs) > 0:
		// Rows are counted but not checked: against a wrong header every
		// row would fail the same way.
	case len(rows) == 0:
		// A valid header and nobody: an empty snapshot. It is not an
		// error; the brake holds it, since it would mean everyone left.
		res.Records = []models.PersonFields{}
	default:
		res.Records, res.Errors = checkRows(h, rows)
	}
	return res, nil
}

// checkEncoding peeks at the start of the file: it drops a UTF-8 byte
// order mark, and explains a UTF-16 file, which Excel writes as "Unicode
// text" and which would otherwise read as a header of garbage.
func checkEncoding(br *bufio.Reader) string {
	start, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(start, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(start, []byte("\xff\xfe")), bytes.HasPrefix(start, []byte("\xfe\xff")):
		return `the file is UTF-16 text: save it as "CSV UTF-8"`
	}
	return ""
}

// rowReader reads a file record by record and holds each to MaxRowBytes.
type rowReader struct {
	lim *rowLimiter
	br  *bufio.Reader // the CSV reader reads this buffer itself, so its offset is known
	cr  *csv.Reader
	end int // line the last record ended on
}

func newRowReader(r io.Reader) *rowReader {
	lim := &rowLimiter{r: r}
	br := bufio.NewReader(lim)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // a short row is read as empty trailing cells
	cr.TrimLeadingSpace = true
	return &rowReader{lim: lim, br: br, cr: cr}
}

// rowTooLongError is a row longer than MaxRowBytes; reading stops there.
type rowTooLongError struct{ line int }

func (e *rowTooLongError) Error() string {
	return fmt.Sprintf("csvsource: line %d is longer than %d bytes", e.line, MaxRowBytes)
}

// next reads one record. A row that is not valid CSV (a stray quote) is
// returned with its reason as a *csv.ParseError alongside the row, so it can
// be reported in its place and reading can go on.
func (rr *rowReader) next() (rawRow, error) {
	cells, err := rr.cr.Read()
	at := rr.lim.consumed(rr.br)
	size := at - rr.lim.start
	rr.lim.start = at
	var row rawRow
	var perr *csv.ParseError
	switch {
	case errors.As(err, &perr):
		row, rr.end = rawRow{line: perr.StartLine, err: perr.Err.Error()}, perr.Line
	case errors.Is(err, io.EOF) && rr.lim.cut:
		return rawRow{}, &rowTooLongError{line: rr.end + 1} // a run of blank lines
	case err != nil:
		return rawRow{}, err
	default:
		last := len(cells) - 1
		row.line, _ = rr.cr.FieldPos(0)
		lastLine, _ := rr.cr.FieldPos(last)
		row.cells, rr.end = cells, lastLine+strings.Count(cells[last], "\n")
	}
	if rr.lim.cut || size > MaxRowBytes {
		return rawRow{}, &rowTooLongError{line: row.line}
	}
	if perr != nil {
		return row, perr
	}
	return row, nil
}

// readRows reads every data row, skipping empty ones, and stops one row
// past MaxRows or at a row longer than MaxRowBytes (a *rowTooLongError,
// with the rows before it). Rows that are not valid CSV are kept with
// their reason.
func readRows(rr *rowReader) ([]rawRow, error) {
	var rows []rawRow
	for len(rows) <= MaxRows {
		row, err := rr.next()
		var perr *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return rows, nil
		case errors.As(err, &perr):
			rows = append(rows, row)
			continue
		case errors.As(err, new(*rowTooLongError)):
			return rows, err
		case err != nil:
			return nil, fmt.Errorf("csvsource: read: %w", err)
		}
		if isBlank(row.cells) {
			continue
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// isBlank reports whether a row has no values: spreadsheets export rows
// that merely had formatting as ",,,,".
func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// checkRows turns rows into records. Every row is checked against the
// whole file's employee ids, since a manager may come after their report.
func checkRows(h *header, rows []rawRow) ([]models.PersonFields, []models.RowError) {
	p := newRowParser(h, firstLines(h, rows))
	records := make([]models.PersonFields, 0, len(rows))
	var errs []models.RowError
	for _, row := range rows {
		rec, rowErrs := p.parse(row)
		var more bool
		if errs, more = appendCapped(errs, rowErrs); !more {
			break
		}
		if len(errs) == 0 {
			records = append(records, rec)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return records, nil
}

// firstLines maps each employee id to the line it first appears on.
func firstLines(h *header, rows []rawRow) map[string]int {
	ids := make(map[string]int, len(rows))
	col := h.col["employee_id"]
	for _, row := range rows {
		if col >= len(row.cells) {
			continue
		}
		id := strings.TrimSpace(row.cells[col])
		if _, seen := ids[id]; id != "" && !seen {
			ids[id] = row.line
		}
	}
	return ids
}

// appendCapped adds a row's errors while the report has room. When it
// runs out it adds one last error, on the first line left out, and
// reports false.
func appendCapped(errs, more []models.RowError) ([]models.RowError, bool) {
	room := maxErrors - len(errs)
	if len(more) <= room {
		return append(errs, more...), true
	}
	errs = append(errs, more[:room]...)
	return append(errs, models.RowError{Line: more[room].Line, Message: "too many errors; fix these first"}), false
}
