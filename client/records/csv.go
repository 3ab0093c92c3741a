package records

import (
	"bytes"
	"fmt"
	"io"

	"github.com/statledger/statledger/policies"
)

// ReadCSV reads CSV records for schema s from r and calls fn for each, returning the number
// of records read.
//
// The dialect is strict and simple: comma-separated fields, one record per line (LF or CRLF
// line ends), an optional UTF-8 byte order mark, and a header row that names the columns.
// There must be one column named after each dimension and measure of the schema, in any
// order; other columns are ignored. Spaces and tabs around a field are ignored. A field may be
// enclosed in double quotes, with "" for a quote inside, but may not span lines. Blank lines
// are skipped. Every record must have as many fields as the header; a dimension field must be
// one of the dimension's codes, exactly; a measure field must be a decimal integer.
//
// Errors are *ParseError values naming the line and column. ReadCSV holds no state between
// calls and is safe for concurrent use on different readers.
func ReadCSV(r io.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error) {
	if err := checkSchema(s); err != nil {
		return 0, err
	}
	o := newOptions(opts)
	lr := newLineReader(r, "CSV", o.maxLineBytes)
	p := csvParser{}

	raw, err := lr.next()
	if err == io.EOF {
		return 0, lineErr(lr.line, "", fmt.Errorf("%w: no header row", ErrSyntax))
	}
	if err != nil {
		return 0, err
	}
	header, err := p.split(raw)
	if err != nil {
		return 0, lineErr(lr.line, "", err)
	}
	cols, err := mapColumns(header, s)
	if err != nil {
		return 0, lineErr(lr.line, "", err)
	}
	lookups := make([]codeLookup, len(s.Dimensions))
	for i, d := range s.Dimensions {
		lookups[i] = newCodeLookup(d.Codes)
	}
	nd := len(s.Dimensions)
	codes := make([]int, nd)
	values := make([]int64, len(s.Measures))

	// The field callback is built once: a closure per line would allocate.
	var (
		col    int
		perr   error
		badCol int
	)
	each := func(f []byte) bool {
		if col < len(cols) {
			if slot := cols[col]; slot >= 0 {
				if slot < nd {
					idx, ok := lookups[slot].index(f)
					if !ok {
						perr, badCol = ErrUnknownCode, col
						return false
					}
					codes[slot] = idx
				} else {
					v, ok := parseInt(f)
					if !ok {
						perr, badCol = ErrNotInteger, col
						return false
					}
					values[slot-nd] = v
				}
			}
		}
		col++
		return true
	}

	n := 0
	for {
		raw, err := lr.next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		col, perr = 0, nil
		if serr := p.each(raw, each); serr != nil {
			return n, lineErr(lr.line, "", serr)
		}
		if perr != nil {
			return n, lineErr(lr.line, string(header[badCol]), perr)
		}
		if col != len(cols) {
			return n, lineErr(lr.line, "", fmt.Errorf("%w: %d fields, the header has %d", ErrSyntax, col, len(cols)))
		}
		if n >= o.maxRecords {
			return n, lineErr(lr.line, "", fmt.Errorf("%w: more than %d", ErrTooManyRecords, o.maxRecords))
		}
		if ferr := fn(codes, values); ferr != nil {
			return n, fmt.Errorf("CSV line %d: %w", lr.line, ferr)
		}
		n++
	}
}

// mapColumns returns, for every header column, the slot it fills: i for dimension i, nd+j
// for measure j, -1 for a column the schema does not use.
func mapColumns(header [][]byte, s policies.Schema) ([]int, error) {
	nd := len(s.Dimensions)
	cols := make([]int, len(header))
	seen := make(map[string]bool, len(header))
	slotOf := make(map[string]int, nd+len(s.Measures))
	for i, d := range s.Dimensions {
		slotOf[d.Name] = i
	}
	for j, m := range s.Measures {
		slotOf[m.Name] = nd + j
	}
	for i, h := range header {
		name := string(h)
		slot, ok := slotOf[name]
		if !ok {
			cols[i] = -1
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: column %q appears twice in the header", ErrSyntax, name)
		}
		seen[name] = true
		cols[i] = slot
	}
	for _, d := range s.Dimensions {
		if !seen[d.Name] {
			return nil, fmt.Errorf("%w: no column %q in the header", ErrMissingColumn, d.Name)
		}
	}
	for _, m := range s.Measures {
		if !seen[m.Name] {
			return nil, fmt.Errorf("%w: no column %q in the header", ErrMissingColumn, m.Name)
		}
	}
	return cols, nil
}

// csvParser splits lines into fields. Its scratch buffer holds unquoted fields; a parser
// is not safe for concurrent use.
type csvParser struct {
	scratch []byte
}

// each calls f with every field of line, trimmed of spaces and unquoted, until f returns
// false. The field slice is valid only during the call. It returns an error wrapping
// ErrSyntax for a malformed quoted field.
func (p *csvParser) each(line []byte, f func([]byte) bool) error {
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				f(trimSpace(line))
				return nil
			}
			if !f(trimSpace(line[:i])) {
				return nil
			}
			line = line[i+1:]
		}
	}
	for {
		line = trimLeftSpace(line)
		var field []byte
		if len(line) > 0 && line[0] == '"' {
			p.scratch = p.scratch[:0]
			i := 1
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return fmt.Errorf("%w: quoted field not closed on its line", ErrSyntax)
				}
				p.scratch = append(p.scratch, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' {
					p.scratch = append(p.scratch, '"')
					i++
					continue
				}
				break
			}
			field = p.scratch
			line = trimLeftSpace(line[i:])
			if len(line) > 0 && line[0] != ',' {
				return fmt.Errorf("%w: text after a closing quote", ErrSyntax)
			}
		} else {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				i = len(line)
			}
			field = trimSpace(line[:i])
			if bytes.IndexByte(field, '"') >= 0 {
				return fmt.Errorf("%w: quote inside an unquoted field", ErrSyntax)
			}
			line = line[i:]
		}
		if !f(field) {
			return nil
		}
		if len(line) == 0 {
			return nil
		}
		line = line[1:] // the comma
	}
}

// split returns copies of the fields of line; it is for the header row.
func (p *csvParser) split(line []byte) ([][]byte, error) {
	var fields [][]byte
	err := p.each(line, func(f []byte) bool {
		fields = append(fields, bytes.Clone(f))
		return true
	})
	return fields, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimSpace(b []byte) []byte {
	b = trimLeftSpace(b)
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseInt parses an optionally signed decimal integer that fits in int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// codeLookup finds the index of a code. Short code lists are searched linearly, which beats
// a map for the handful of codes most dimensions have.
type codeLookup struct {
	codes []string
	m     map[string]int
}

func newCodeLookup(codes []string) codeLookup {
	l := codeLookup{codes: codes}
	if len(codes) > 16 {
		l.m = make(map[string]int, len(codes))
		for i, c := range codes {
			l.m[c] = i
		}
	}
	return l
}

func (l codeLookup) index(b []byte) (int, bool) {
	if l.m != nil {
		i, ok := l.m[string(b)]
		return i, ok
	}
	for i, c := range l.codes {
		if c == string(b) {
			return i, true
		}
	}
	return 0, false
}
