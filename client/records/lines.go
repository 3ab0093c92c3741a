package records

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader reads the non-blank lines of CSV or NDJSON input, bounded by a line limit.
// It is not safe for concurrent use.
type lineReader struct {
	br   *bufio.Reader
	what string // "CSV" or "NDJSON", for I/O errors
	line int    // 1-based number of the last line returned
	eof  bool
}

func newLineReader(r io.Reader, what string, maxLineBytes int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLineBytes), what: what}
}

// next returns the next line that holds more than spaces and tabs, without its line end
// (LF or CRLF) and, on line 1, without a UTF-8 byte order mark. The slice is valid until the
// next call. At the end of input it returns io.EOF; a line longer than the buffer gives a
// *ParseError wrapping ErrLineTooLong.
func (lr *lineReader) next() ([]byte, error) {
	for !lr.eof {
		raw, err := lr.br.ReadSlice('\n')
		if err == io.EOF && len(raw) == 0 {
			break // no last, unterminated line
		}
		lr.line++
		switch {
		case err == nil:
			raw = raw[:len(raw)-1]
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, lineErr(lr.line, "", fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, lr.br.Size()-1))
		case err == io.EOF:
			lr.eof = true
		default:
			return nil, fmt.Errorf("read %s line %d: %w", lr.what, lr.line, err)
		}
		if len(raw) > 0 && raw[len(raw)-1] == '\r' {
			raw = raw[:len(raw)-1]
		}
		if lr.line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		if len(raw) > 0 && (!isSpace(raw[0]) || len(trimLeftSpace(raw)) > 0) {
			return raw, nil
		}
	}
	return nil, io.EOF
}
