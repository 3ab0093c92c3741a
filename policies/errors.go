package policies

import (
	"errors"
	"fmt"
)

// Documents named in errors.
const (
	docPolicy = "policy"
	docSchema = "schema"
	docQuery  = "query"
)

// ErrMalformed is wrapped by the parse functions when a document is not well-formed YAML or
// JSON of the expected shape: a syntax error, an unknown or duplicated field, a value of the
// wrong type, an anchor or alias, an empty document, more than one document, or a document
// with more than MaxDocumentNodes nodes or nested deeper than MaxDocumentDepth. When the
// problem is at a field, the error wraps a *FieldError naming it too.
var ErrMalformed = errors.New("malformed document")

// ErrTooLarge is wrapped by the parse functions when a document is longer than
// MaxDocumentSize bytes.
var ErrTooLarge = errors.New("document too large")

// FieldError says which field of a schema, policy or query is wrong and why. Every error
// that Validate, ValidateFor, OutputCells and CheckQuery return is a *FieldError, so
// callers can use errors.As; the parse functions' errors wrapping ErrMalformed wrap one too
// when the problem is at a field, so use errors.Is(err, ErrMalformed) to tell a malformed
// document from an invalid one. Its message is public: it names the field and may quote the
// offending field value, never anything else.
type FieldError struct {
	// Document is the kind of document the field belongs to: "schema", "policy" or
	// "query".
	Document string
	// Field is the path of the field, such as "measures[1].max" or "epsilonPerQuery".
	Field string
	// Reason says what is wrong, such as "must be at least 1".
	Reason string
}

// Error returns a sentence such as
// `policy field "epsilonPerQuery": must be at most epsilonTotal (2)`.
func (e *FieldError) Error() string {
	if e.Document == "" {
		return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s field %q: %s", e.Document, e.Field, e.Reason)
}

// fieldErr builds a *FieldError with a formatted reason.
func fieldErr(doc, field, format string, args ...any) *FieldError {
	return &FieldError{Document: doc, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// index appends an index to a field path: index("measures", 1) is "measures[1]".
func index(field string, i int) string {
	return fmt.Sprintf("%s[%d]", field, i)
}
