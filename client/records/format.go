package records

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/statledger/statledger/policies"
)

// Format is an input format the readers understand.
type Format string

// The input formats.
const (
	FormatCSV        Format = "csv"
	FormatFHIRBundle Format = "fhir-bundle"
	FormatFHIRNDJSON Format = "fhir-ndjson"
)

// ParseFormat parses a format name: "csv", "fhir-bundle" (or "bundle", "json") or
// "fhir-ndjson" (or "ndjson").
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "csv":
		return FormatCSV, nil
	case "fhir-bundle", "bundle", "json":
		return FormatFHIRBundle, nil
	case "fhir-ndjson", "ndjson":
		return FormatFHIRNDJSON, nil
	}
	return "", fmt.Errorf("unknown input format %q: want csv, fhir-bundle or fhir-ndjson", name)
}

// FormatOf guesses the format of a file from its name (.csv, .json, .ndjson, .jsonl) and,
// for other names, from its first bytes: a JSON object that spans lines is a Bundle, one
// that ends on its first line is NDJSON, anything else is CSV. It consumes nothing of r.
func FormatOf(name string, r *bufio.Reader) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".ndjson", ".jsonl":
		return FormatFHIRNDJSON
	case ".json":
		return FormatFHIRBundle
	}
	head, _ := r.Peek(4096)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return FormatCSV
	}
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	if bytes.HasSuffix(bytes.TrimRight(first, " \t\r"), []byte("}")) {
		return FormatFHIRNDJSON
	}
	return FormatFHIRBundle
}

// Read reads r in format f with the matching reader (ReadCSV, ReadFHIRBundle or
// ReadFHIRNDJSON) and returns the number of records passed to fn, with that reader's
// errors, or an error for an unknown format. It is safe for concurrent use on different
// readers.
func Read(r io.Reader, f Format, s policies.Schema, fn Handler, opts ...Option) (int, error) {
	switch f {
	case FormatCSV:
		return ReadCSV(r, s, fn, opts...)
	case FormatFHIRBundle:
		return ReadFHIRBundle(r, s, fn, opts...)
	case FormatFHIRNDJSON:
		return ReadFHIRNDJSON(r, s, fn, opts...)
	}
	return 0, fmt.Errorf("read records: unknown input format %q", string(f))
}
