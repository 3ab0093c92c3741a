// Package records reads a data provider's raw records (CSV, FHIR R4 Bundle JSON or FHIR
// NDJSON) and yields them as cube coordinates for a dataset schema: for every record, the
// index of its code in each of the schema's dimensions and the raw, unclipped value of each
// of its measures. Clipping and aggregation happen downstream.
//
// The readers are strict and bounded: a line longer than the line limit, more records than
// the record limit, an unknown code, a value that is not an integer or a missing column is an
// error, never a skipped record. Errors are *ParseError values that name the line (or Bundle
// entry) and the column (or FHIR element) at fault and wrap one of the sentinel errors below;
// they never contain record values, because error messages are public.
//
// ReadCSV takes a CSV file with one column per dimension and measure; ReadFHIRBundle and
// ReadFHIRNDJSON take hospital admissions in FHIR R4 (one record per Encounter, joined with
// its Patient, principal Condition and Claims) and fill the schema as a FHIRMapping says;
// Read and FormatOf pick the reader for a file. The readers hold no state between calls and
// are safe for concurrent use on different inputs.
//
// The CSV reader does not allocate per record; it reads some 4 million records a second on
// one core of the development machine (BenchmarkReadCSV, in CPU time). The FHIR readers are
// bound by encoding/json: some 30,000 (Bundle) to 40,000 (NDJSON) admissions of four
// resources a second.
package records

import (
	"errors"
	"fmt"
	"strings"

	"github.com/statledger/statledger/policies"
)

// Sentinel errors wrapped by the readers' errors.
var (
	// ErrUnknownCode means a value is not one of the codes of its dimension (or, for FHIR,
	// maps to no code of it).
	ErrUnknownCode = errors.New("value is not a code of the dimension")
	// ErrNotInteger means a measure value is not a decimal integer that fits 64 bits.
	ErrNotInteger = errors.New("measure value is not an integer")
	// ErrMissingColumn means a CSV header lacks a column for a dimension or measure of the
	// schema.
	ErrMissingColumn = errors.New("missing column")
	// ErrMissingField means a FHIR resource lacks an element the mapping needs.
	ErrMissingField = errors.New("missing field")
	// ErrSyntax means the input is not well-formed CSV, JSON or FHIR of the expected shape.
	ErrSyntax = errors.New("syntax error")
	// ErrLineTooLong means a line is longer than the line limit.
	ErrLineTooLong = errors.New("line too long")
	// ErrTooManyRecords means the input holds more records than the record limit.
	ErrTooManyRecords = errors.New("too many records")
	// ErrTooLarge means a FHIR Bundle is larger than the input size limit.
	ErrTooLarge = errors.New("input too large")
	// ErrUnmapped means the schema has a dimension or measure that the reader cannot fill.
	ErrUnmapped = errors.New("schema field has no source")
	// ErrUnresolved means a FHIR reference (to a Patient, Condition or Encounter) names a
	// resource that the input does not hold.
	ErrUnresolved = errors.New("unresolved reference")
	// ErrImplausible means FHIR elements contradict each other, such as an Encounter that
	// ends before it starts or a patient born after the admission.
	ErrImplausible = errors.New("implausible value")
	// ErrCurrency means a FHIR Money value is in another currency than the mapping wants.
	ErrCurrency = errors.New("amount in another currency")
)

// ParseError says where a record is wrong and why. Its message names the place and the
// column or element, never a record value.
type ParseError struct {
	// Line is the 1-based line of CSV or NDJSON input, or 0 in a FHIR Bundle.
	Line int
	// Entry is the 0-based index of the entry of a FHIR Bundle, or -1 for CSV and NDJSON
	// input and for a Bundle's elements outside its entries.
	Entry int
	// Field is the CSV column or the FHIR element at fault, such as "ageBand" or
	// "Encounter.period.end"; it is empty when the whole line or entry is at fault.
	Field string
	// Err is the cause; it wraps one of the package's sentinel errors.
	Err error
}

// Error returns a message such as `line 12, column "ageBand": value is not a code of the
// dimension` or `Bundle.entry[7], Patient.gender: missing field`.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.place())
	if e.Field != "" {
		if strings.Contains(e.Field, ".") {
			fmt.Fprintf(&b, ", %s", e.Field)
		} else {
			fmt.Fprintf(&b, ", column %q", e.Field)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// place names the entry or line of the error.
func (e *ParseError) place() string {
	switch {
	case e.Entry >= 0:
		return fmt.Sprintf("Bundle.entry[%d]", e.Entry)
	case e.Line > 0:
		return fmt.Sprintf("line %d", e.Line)
	}
	return "input"
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// lineErr builds a *ParseError for a line of CSV or NDJSON input.
func lineErr(line int, field string, err error) *ParseError {
	return &ParseError{Line: line, Entry: -1, Field: field, Err: err}
}

// Handler receives one record: codes[i] is the index of the record's code in
// s.Dimensions[i].Codes and values[j] is its raw, unclipped value of s.Measures[j]. The
// slices are reused for the next record: a handler must copy what it keeps. A non-nil error
// stops reading; the reader returns it wrapped.
type Handler func(codes []int, values []int64) error

// Default limits of the readers.
const (
	// DefaultMaxLineBytes is the longest line, in bytes, of CSV or NDJSON input, and the
	// longest entry (or other JSON value) of a FHIR Bundle.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxRecords is the largest number of records that one input may hold and, for
	// FHIR, the largest number of resources of each type that the mapping uses.
	DefaultMaxRecords = 100_000_000
	// DefaultMaxBundleBytes is the largest FHIR Bundle, in bytes. Larger exports should use
	// NDJSON, which is read line by line.
	DefaultMaxBundleBytes = 1 << 30
)

// Option configures a reader.
type Option func(*options)

type options struct {
	maxLineBytes   int
	maxRecords     int
	maxBundleBytes int64
	mapping        *FHIRMapping // nil: DefaultFHIRMapping
}

func newOptions(opts []Option) options {
	o := options{
		maxLineBytes:   DefaultMaxLineBytes,
		maxRecords:     DefaultMaxRecords,
		maxBundleBytes: DefaultMaxBundleBytes,
	}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithMaxLineBytes sets the longest line of CSV or NDJSON input and the longest entry of a
// FHIR Bundle (DefaultMaxLineBytes by default). Values below 64 are raised to 64.
func WithMaxLineBytes(n int) Option {
	return func(o *options) { o.maxLineBytes = max(n, 64) }
}

// WithMaxRecords sets the largest number of records of one input and, for FHIR, of
// resources of each type the mapping uses (DefaultMaxRecords by default). Values below 0
// are taken as 0.
func WithMaxRecords(n int) Option {
	return func(o *options) { o.maxRecords = max(n, 0) }
}

// WithMaxBundleBytes sets the largest FHIR Bundle, in bytes (DefaultMaxBundleBytes by
// default). Values below 0 are taken as 0.
func WithMaxBundleBytes(n int64) Option {
	return func(o *options) { o.maxBundleBytes = max(n, 0) }
}

// WithFHIRMapping replaces DefaultFHIRMapping for the FHIR readers. The readers check m
// against the schema when they start and do not keep it.
func WithFHIRMapping(m FHIRMapping) Option {
	return func(o *options) { o.mapping = &m }
}

// checkSchema validates the schema once, so that the readers can rely on it.
func checkSchema(s policies.Schema) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	return nil
}
