package records

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/statledger/statledger/policies"
)

// ReadFHIRBundle reads a FHIR R4 Bundle (JSON) of hospital admissions for schema s from r
// and calls fn for each, returning the number of records passed to fn.
//
// Each Encounter resource is one record. The mapping (DefaultFHIRMapping unless
// WithFHIRMapping says otherwise) says which elements of the Encounter and of the Patient,
// Condition and Claim resources it refers to, or that refer to it, fill each dimension and
// measure. References may use the entries' fullUrl ("urn:uuid:…" or an absolute URL) or
// the relative "Type/id" form, in any order of entries. Resources of other types are
// skipped; those of the four types must have every element the mapping needs, even when no
// Encounter uses them.
//
// The Bundle may start with a UTF-8 byte order mark. It is read as a stream with
// encoding/json's Decoder, one entry at a time: an entry may be at most the line limit long
// (WithMaxLineBytes), the Bundle at most WithMaxBundleBytes, and each resource type at most
// WithMaxRecords resources. Memory grows with the number of resources (about a hundred
// bytes each), not with their size. Records are passed to fn in the order of the
// Encounters, after the whole Bundle has been read and checked; an error means fn has not
// been called.
//
// Errors are *ParseError values naming the entry and element, such as
// `Bundle.entry[7], Patient.gender: value is not a code of the dimension`; a schema that
// the mapping does not fill gives an error wrapping ErrUnmapped. ReadFHIRBundle is safe for
// concurrent use on different readers.
func ReadFHIRBundle(r io.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error) {
	c, o, err := startFHIR(s, true, opts)
	if err != nil {
		return 0, err
	}
	in := bufio.NewReader(r)
	if bom, _ := in.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = in.Discard(3)
	}
	br := &boundedReader{r: in, total: o.maxBundleBytes}
	b := bundleReader{dec: json.NewDecoder(br), br: br, maxValue: int64(o.maxLineBytes)}
	if err := b.read(c); err != nil {
		return 0, err
	}
	return c.emit(fn)
}

// ReadFHIRNDJSON reads FHIR R4 resources in NDJSON (one resource per line, as the FHIR Bulk
// Data export writes them) for schema s from r and calls fn for each admission, returning
// the number of records passed to fn. Several exports (Patient.ndjson, Encounter.ndjson, …)
// may simply be concatenated, in any order.
//
// Records are made as ReadFHIRBundle makes them, from the same resources and mapping, with
// references of the form "Type/id". Lines may be at most the line limit long; blank lines
// are skipped. Errors are *ParseError values naming the line and element. It is safe for
// concurrent use on different readers. As with ReadFHIRBundle, records are passed to fn
// only once the whole input has been read and checked.
func ReadFHIRNDJSON(r io.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error) {
	c, o, err := startFHIR(s, false, opts)
	if err != nil {
		return 0, err
	}
	lr := newLineReader(r, "NDJSON", o.maxLineBytes)
	var res rawResource
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		res.reset()
		if err := c.feed.decode(line, &res); err != nil {
			path, cause, ok := jsonError(err)
			if !ok {
				cause = fmt.Errorf("%w: malformed JSON", ErrSyntax)
			}
			return 0, lineErr(lr.line, elementName(path, &res), cause)
		}
		if err := c.add(lr.line, "", &res); err != nil {
			return 0, err
		}
	}
	return c.emit(fn)
}

// startFHIR checks the schema and the mapping and returns a collector for one input.
func startFHIR(s policies.Schema, bundle bool, opts []Option) (*collector, options, error) {
	if err := checkSchema(s); err != nil {
		return nil, options{}, err
	}
	o := newOptions(opts)
	m := o.mapping
	if m == nil {
		d := DefaultFHIRMapping()
		m = &d
	}
	plan, err := m.compile(s)
	if err != nil {
		return nil, options{}, fmt.Errorf("records: %w", err)
	}
	return newCollector(plan, bundle, o.maxRecords), o, nil
}

// bundleReader walks a Bundle's JSON with a streaming decoder.
type bundleReader struct {
	dec      *json.Decoder
	br       *boundedReader
	maxValue int64
	entry    int // index of the entry being read, or -1
}

// bundleEntry is one element of Bundle.entry.
type bundleEntry struct {
	FullURL  string      `json:"fullUrl"`
	Resource rawResource `json:"resource"`
}

// read reads the Bundle into c.
func (b *bundleReader) read(c *collector) error {
	b.entry = -1
	if err := b.delim('{', ""); err != nil {
		return err
	}
	var (
		resourceType string
		seen         = map[string]bool{"resourceType": false, "entry": false} // whether read
		skip         json.RawMessage
		e            bundleEntry
	)
	for b.more() {
		key, err := b.token()
		if err != nil {
			return err
		}
		name, _ := key.(string)
		if done, tracked := seen[name]; tracked {
			if done {
				return b.fail("Bundle."+name, fmt.Errorf("%w: the element appears twice", ErrSyntax))
			}
			seen[name] = true
		}
		switch name {
		case "resourceType":
			if err := b.decode(&resourceType, "Bundle.resourceType", nil); err != nil {
				return err
			}
			if resourceType != "Bundle" {
				return b.fail("Bundle.resourceType", fmt.Errorf("%w: the resource is not a Bundle", ErrSyntax))
			}
		case "entry":
			if err := b.delim('[', "Bundle.entry"); err != nil {
				return err
			}
			for b.entry = 0; b.more(); b.entry++ {
				e.FullURL = ""
				e.Resource.reset()
				if err := b.decode(&e, "", &e.Resource); err != nil {
					return err
				}
				if err := c.add(b.entry, e.FullURL, &e.Resource); err != nil {
					return err
				}
			}
			b.entry = -1
			if err := b.delim(']', "Bundle.entry"); err != nil {
				return err
			}
		default:
			if err := b.decode(&skip, "", nil); err != nil {
				return err
			}
		}
	}
	if err := b.delim('}', ""); err != nil {
		return err
	}
	if resourceType == "" {
		return b.fail("Bundle.resourceType", ErrMissingField)
	}
	b.arm()
	switch _, err := b.dec.Token(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return b.fail("", fmt.Errorf("%w: data after the Bundle", ErrSyntax))
	default:
		return b.wrap(err, "", nil)
	}
}

// arm bounds the next JSON value the decoder reads to maxValue bytes.
func (b *bundleReader) arm() {
	b.br.stop = b.dec.InputOffset() + b.maxValue
}

func (b *bundleReader) more() bool {
	b.arm()
	return b.dec.More()
}

func (b *bundleReader) token() (json.Token, error) {
	b.arm()
	t, err := b.dec.Token()
	if err != nil {
		return nil, b.wrap(err, "", nil)
	}
	return t, nil
}

// delim reads the delimiter want; field names the element it opens or closes.
func (b *bundleReader) delim(want json.Delim, field string) error {
	t, err := b.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return b.fail(field, fmt.Errorf("%w: expected %c", ErrSyntax, rune(want)))
	}
	return nil
}

// decode decodes the next value into v: an entry holding r, or the value of element field
// of the Bundle (r nil).
func (b *bundleReader) decode(v any, field string, r *rawResource) error {
	b.arm()
	if err := b.dec.Decode(v); err != nil {
		return b.wrap(err, field, r)
	}
	return nil
}

// fail builds a *ParseError at the current entry (or the Bundle itself).
func (b *bundleReader) fail(field string, cause error) error {
	if b.entry >= 0 {
		return &ParseError{Entry: b.entry, Field: field, Err: cause}
	}
	return &ParseError{Entry: -1, Field: field, Err: cause}
}

// wrap turns a decoder error into a *ParseError, or an I/O error into a plain error; field
// and r are those of decode.
func (b *bundleReader) wrap(err error, field string, r *rawResource) error {
	switch {
	case errors.Is(err, errValueLimit):
		return b.fail("", fmt.Errorf("%w: a JSON value longer than %d bytes", ErrTooLarge, b.maxValue))
	case errors.Is(err, errInputLimit):
		return b.fail("", fmt.Errorf("%w: a Bundle longer than %d bytes", ErrTooLarge, b.br.total))
	case err == io.EOF:
		return b.fail("", fmt.Errorf("%w: unexpected end of JSON input", ErrSyntax))
	}
	path, cause, ok := jsonError(err)
	if !ok {
		return fmt.Errorf("read FHIR Bundle: %w", err)
	}
	if r != nil && path != "" {
		if rest, inResource := strings.CutPrefix(path, "resource."); inResource {
			field = elementName(rest, r)
		} else {
			field = "Bundle.entry." + path
		}
	}
	return b.fail(field, cause)
}

// The errors of boundedReader.
var (
	errInputLimit = errors.New("input limit reached")
	errValueLimit = errors.New("value limit reached")
)

// boundedReader limits the bytes read from r to total, and to stop, the offset that the
// JSON value being decoded may not pass. json.Decoder reads more only while the value it is
// decoding is incomplete, so a read at stop means the value is too long.
// Its limit errors are sticky: json.Decoder.More swallows errors and reads again.
type boundedReader struct {
	r     io.Reader
	n     int64 // bytes read so far
	total int64
	stop  int64
	err   error // errInputLimit once reached
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.n >= b.total {
		// An input of exactly total bytes is fine: look for its end.
		var one [1]byte
		k, err := b.r.Read(one[:])
		if k > 0 {
			b.err = errInputLimit
			return 0, b.err
		}
		return 0, err
	}
	if b.n >= b.stop {
		return 0, errValueLimit
	}
	if room := min(b.total, b.stop) - b.n; int64(len(p)) > room {
		p = p[:room]
	}
	k, err := b.r.Read(p)
	b.n += int64(k)
	return k, err
}
