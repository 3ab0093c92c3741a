package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// ParsePolicy decodes a policy document, YAML or JSON (JSON is read as YAML), and validates
// it with Policy.Validate. Decoding is strict: unknown and duplicated fields, values of the
// wrong type and trailing documents are refused. It returns an error wrapping ErrTooLarge
// for a document longer than MaxDocumentSize, an error wrapping ErrMalformed for a document
// it cannot decode, and a *FieldError for a decoded policy that is not valid. The JSON
// escape "\/" is not understood; write "/" instead.
func ParsePolicy(data []byte) (Policy, error) {
	var p Policy
	if err := decodeStrict(docPolicy, data, &p); err != nil {
		return Policy{}, err
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// ParseSchema decodes a schema document, YAML or JSON, as strictly as ParsePolicy, and
// validates it with Schema.Validate. It returns the same kinds of error as ParsePolicy.
func ParseSchema(data []byte) (Schema, error) {
	var s Schema
	if err := decodeStrict(docSchema, data, &s); err != nil {
		return Schema{}, err
	}
	if err := s.Validate(); err != nil {
		return Schema{}, err
	}
	return s, nil
}

// ParseQuery decodes a query document, YAML or JSON, as strictly as ParsePolicy, and checks
// its shape with Query.Validate. Whether the query is allowed on a dataset is for
// CheckQuery to say. It returns the same kinds of error as ParsePolicy.
func ParseQuery(data []byte) (Query, error) {
	var q Query
	if err := decodeStrict(docQuery, data, &q); err != nil {
		return Query{}, err
	}
	if err := q.Validate(); err != nil {
		return Query{}, err
	}
	return q, nil
}

// decodeStrict decodes exactly one YAML document from data into out, refusing unknown
// fields, and returns errors wrapping ErrTooLarge or ErrMalformed.
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
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
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
	return nil
}
