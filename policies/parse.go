package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"
)

// ParsePolicy decodes a policy document, YAML or JSON (JSON is read as YAML), and validates
// it with Policy.Validate. Decoding is strict: unknown and duplicated fields, values of the
// wrong type, anchors and aliases, trailing documents, and documents with more than
// MaxDocumentNodes nodes or nested deeper than MaxDocumentDepth are refused, in time linear
// in the document's size. It returns an error wrapping ErrTooLarge for a document longer
// than MaxDocumentSize; an error wrapping ErrMalformed for a document it cannot decode,
// which also wraps a *FieldError naming the field when the problem is at one (an unknown or
// repeated field, a value of the wrong kind); and a bare *FieldError for a decoded policy
// that is not valid. Optional lists that are empty are returned as nil, so that equal
// documents give equal values. The JSON escape "\/" is not understood; write "/" instead.
func ParsePolicy(data []byte) (Policy, error) {
	var p Policy
	if err := decodeStrict(docPolicy, data, &p); err != nil {
		return Policy{}, err
	}
	if len(p.AllowedDimensions) == 0 {
		p.AllowedDimensions = nil
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// ParseSchema decodes a schema document, YAML or JSON, as strictly as ParsePolicy, and
// validates it with Schema.Validate. Empty optional lists are returned as nil. It returns the
// same kinds of error as ParsePolicy.
func ParseSchema(data []byte) (Schema, error) {
	var s Schema
	if err := decodeStrict(docSchema, data, &s); err != nil {
		return Schema{}, err
	}
	if len(s.Measures) == 0 {
		s.Measures = nil
	}
	for i := range s.Measures {
		if len(s.Measures[i].HistogramEdges) == 0 {
			s.Measures[i].HistogramEdges = nil
		}
	}
	if err := s.Validate(); err != nil {
		return Schema{}, err
	}
	return s, nil
}

// ParseQuery decodes a query document, YAML or JSON, as strictly as ParsePolicy, and checks
// its shape with Query.Validate. Whether the query is allowed on a dataset is for
// CheckQuery to say. Empty optional lists are returned as nil. It returns the same kinds of
// error as ParsePolicy.
func ParseQuery(data []byte) (Query, error) {
	var q Query
	if err := decodeStrict(docQuery, data, &q); err != nil {
		return Query{}, err
	}
	if len(q.GroupBy) == 0 {
		q.GroupBy = nil
	}
	if len(q.Filters) == 0 {
		q.Filters = nil
	}
	if err := q.Validate(); err != nil {
		return Query{}, err
	}
	return q, nil
}

// decimalFields are the fields whose values may be written as decimal fractions; every
// other number must be a whole number. YAML decoders otherwise truncate 1.5 to 1 silently.
var decimalFields = map[string]bool{"epsilon": true, "epsilonPerQuery": true, "epsilonTotal": true, "delta": true}

// decodeStrict decodes exactly one YAML document from data into out, a pointer to a struct,
// and returns errors wrapping ErrTooLarge or ErrMalformed. Before the typed decoder runs,
// checkShape refuses on the syntax tree, in linear time, unknown and repeated fields,
// anchors and aliases, values of the wrong kind, fractions outside decimalFields, and
// documents nested too deeply or with too many nodes; the error wraps a *FieldError when
// the problem is at a field.
func decodeStrict(doc string, data []byte, out any) (err error) {
	if len(data) > MaxDocumentSize {
		return fmt.Errorf("%s: %w: %d bytes, at most %d allowed", doc, ErrTooLarge, len(data), MaxDocumentSize)
	}
	defer func() {
		// yaml.v3 reports some malformed input by panicking; never let that reach the
		// chaincode.
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: %v", doc, ErrMalformed, r)
		}
	}()
	// First pass: the document's syntax tree, which yaml.v3 builds in linear time, to
	// check what the typed decoder would let through or take quadratic time to refuse.
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w: empty document", doc, ErrMalformed)
		}
		return fmt.Errorf("%s: %w: %w", doc, ErrMalformed, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("%s: %w: after the first document: %w", doc, ErrMalformed, err)
		}
		return fmt.Errorf("%s: %w: more than one document", doc, ErrMalformed)
	}
	if err := checkShape(doc, &root, reflect.TypeOf(out).Elem()); err != nil {
		return fmt.Errorf("%s: %w: %w", doc, ErrMalformed, err)
	}
	// Second pass: the typed value. The checks above leave it nothing slow to do; unknown
	// fields are refused again, should the two passes ever disagree.
	typed := yaml.NewDecoder(bytes.NewReader(data))
	typed.KnownFields(true)
	if err := typed.Decode(out); err != nil {
		return fmt.Errorf("%s: %w: %w", doc, ErrMalformed, err)
	}
	return nil
}
