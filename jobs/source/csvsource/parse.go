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
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		rs = &replayReader{r: r}
	}
	var records []models.PersonFields
	res, err := Stream(rs, func(f models.PersonFields) error {
		records = append(records, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(res.Errors) == 0 && res.Records == nil {
		res.Records = records
		if res.Records == nil {
			res.Records = []models.PersonFields{}
		}
	}
	if len(res.Errors) > 0 {
		res.Records = nil
	}
	return res, nil
}

// Stream reads a file row by row, handing each valid record to fn in file
// order, so a large file is never held in memory whole. It reads the file
// twice: once for the employee ids alone (a manager may come after their
// report, and a duplicate id names the line it first appeared on), then
// to check and hand over the rows. Problems are reported as by Parse, in
// the returned Result's Errors (Records stays nil); once there is one, fn
// is not called again, and a caller that wrote what it was handed must
// undo it: a file with any invalid row changes nothing. An error from fn
// stops reading and is returned as is.
func Stream(r io.ReadSeeker, fn func(models.PersonFields) error) (*Result, error) {
	return StreamWith(r, Options{}, fn)
}

// Options tune Stream.
type Options struct {
	// KnownPhones maps phone numbers as written (by models.PhoneKey of
	// the input and the record's country) to their E.164 form, from
	// earlier imports (models.Store.KnownPhones): normalising is a third
	// of checking a row, and its answer depends on nothing else.
	KnownPhones map[string]string
}

// StreamWith is Stream with options.
func StreamWith(r io.ReadSeeker, opts Options, fn func(models.PersonFields) error) (*Result, error) {
	res, h, ids, err := scanIDs(r)
	if err != nil || h == nil {
		return res, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("csvsource: rewind: %w", err)
	}
	rr := newRowReader(r)
	checkEncoding(rr.br)
	if _, err := rr.next(); err != nil {
		return nil, fmt.Errorf("csvsource: read header: %w", err)
	}
	p := newRowParser(h, ids)
	p.knownPhones = opts.KnownPhones
	checked := make(chan []checkedRow, 4)
	done, exited := make(chan struct{}), make(chan struct{})
	defer func() {
		close(done)
		<-exited // the reader is the caller's again once Stream returns
	}()
	var readErr error
	go func() {
		defer close(exited)
		defer close(checked)
		readErr = checkAll(rr, p, checked, done)
	}()
	for batch := range checked {
		for _, c := range batch {
			var more bool
			if res.Errors, more = appendCapped(res.Errors, c.errs); !more {
				return res, nil
			}
			if len(res.Errors) > 0 {
				continue
			}
			if err := fn(c.rec); err != nil {
				return nil, err
			}
		}
	}
	if readErr != nil {
		return nil, readErr
	}
	return res, nil
}

// checkedRow is one data row, checked.
type checkedRow struct {
	rec  models.PersonFields
	errs []models.RowError
}

// checkBatch is how many checked rows go to Stream's caller at a time.
const checkBatch = 256

// checkAll reads and checks the rows in a goroutine of its own, so that
// checking the next rows (a phone number costs more than the rest of a
// row) overlaps with what the caller does with the last ones (writing
// them to the database); rows arrive in file order. It stops when done
// is closed.
func checkAll(rr *rowReader, p *rowParser, out chan<- []checkedRow, done <-chan struct{}) error {
	batch := make([]checkedRow, 0, checkBatch)
	send := func() bool {
		select {
		case out <- batch:
			batch = make([]checkedRow, 0, checkBatch)
			return true
		case <-done:
			return false
		}
	}
	for {
		row, err := rr.next()
		var perr *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			if len(batch) > 0 {
				send()
			}
			return nil
		case errors.As(err, &perr):
		case err != nil:
			return fmt.Errorf("csvsource: read: %w", err)
		case isBlank(row.cells):
			continue
		}
		rec, errs := p.parse(row)
		batch = append(batch, checkedRow{rec: rec, errs: errs})
		if len(batch) == checkBatch && !send() {
			return nil
		}
	}
}

// replayReader lets Stream read a plain reader twice: the first pass keeps
// what it reads (only as far as it reads: a row too long stops it), the
// second replays that.
type replayReader struct {
	r      io.Reader
	kept   bytes.Buffer
	replay *bytes.Reader
}

func (rr *replayReader) Read(p []byte) (int, error) {
	if rr.replay != nil {
		return rr.replay.Read(p)
	}
	n, err := rr.r.Read(p)
	rr.kept.Write(p[:n])
	return n, err
}

// Seek rewinds to the start; it is the only move Stream makes.
func (rr *replayReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("csvsource: replayReader only rewinds")
	}
	rr.replay = bytes.NewReader(rr.kept.Bytes())
	return 0, nil
}

// scanIDs is Stream's first pass: the header, and every employee id with
// the line it first appears on. A nil header means there is nothing to
// check row by row: the file is empty, cannot be read, has too many rows,
// a row too long, or a wrong header (against which every row would fail
// the same way); res says why, or for a header and no rows is an empty
// snapshot.
func scanIDs(r io.Reader) (*Result, *header, map[string]int, error) {
	rr := newRowReader(r)
	if msg := checkEncoding(rr.br); msg != "" {
		return &Result{Errors: []models.RowError{{Line: 1, Message: msg}}}, nil, nil, nil
	}
	head, err := rr.next()
	var long *rowTooLongError
	switch {
	case errors.Is(err, io.EOF):
		return &Result{Errors: []models.RowError{{Line: 1, Message: "the file is empty: the first line must be the header"}}}, nil, nil, nil
	case errors.As(err, &long):
		return &Result{Errors: []models.RowError{{Line: long.line, Message: fmt.Sprintf(
			"the header is longer than %d KiB: a file may have at most %d custom columns, named in at most %d characters each",
			MaxRowBytes>>10, MaxCustomColumns, maxCustomName)}}}, nil, nil, nil
	case err != nil:
		return nil, nil, nil, fmt.Errorf("csvsource: read header: %w", err)
	}
	h, headerErrs := parseHeader(head.line, head.cells)
	rows, ids, err := readIDs(rr, h)
	res := &Result{Rows: rows, CustomColumns: h.custom, Errors: headerErrs}
	switch {
	case errors.As(err, &long):
		// Past a row this long neither line numbers nor employee ids can
		// be trusted (it is usually a quote that was never closed), so it
		// is reported alone, after any header problems.
		res.Errors = append(res.Errors, models.RowError{Line: long.line, Message: fmt.Sprintf(
			"the row is longer than %d KiB, the most one row may hold; reading stopped here (a quote that is never closed makes the rest of the file one row)",
			MaxRowBytes>>10)})
	case err != nil:
		return nil, nil, nil, err
	case rows > MaxRows:
		res.Rows = MaxRows
		res.Errors = []models.RowError{{Line: 1, Message: fmt.Sprintf("the file has more than %d rows, the most one import reads", MaxRows)}}
	case len(headerErrs) > 0:
		// Rows are counted but not checked: against a wrong header every
		// row would fail the same way.
	case rows == 0:
		// A valid header and nobody: an empty snapshot. It is not an
		// error; the brake holds it, since it would mean everyone left.
		res.Records = []models.PersonFields{}
	default:
		return res, h, ids, nil
	}
	return res, nil, nil, nil
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

// readIDs reads every data row, skipping empty ones, and maps each
// employee id to the line it first appears on. It stops one row past
// MaxRows or at a row longer than MaxRowBytes (a *rowTooLongError). Rows
// that are not valid CSV count as rows.
func readIDs(rr *rowReader, h *header) (int, map[string]int, error) {
	ids := map[string]int{}
	col, hasCol := h.col["employee_id"]
	rows := 0
	for rows <= MaxRows {
		row, err := rr.next()
		var perr *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return rows, ids, nil
		case errors.As(err, &perr):
			rows++
			continue
		case errors.As(err, new(*rowTooLongError)):
			return rows, ids, err
		case err != nil:
			return 0, nil, fmt.Errorf("csvsource: read: %w", err)
		}
		if isBlank(row.cells) {
			continue
		}
		rows++
		if !hasCol || col >= len(row.cells) {
			continue
		}
		id := strings.TrimSpace(row.cells[col])
		if _, seen := ids[id]; id != "" && !seen {
			// A copy: the cell shares its row's memory, which would stay
			// alive with the key.
			ids[strings.Clone(id)] = row.line
		}
	}
	return rows, ids, nil
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
