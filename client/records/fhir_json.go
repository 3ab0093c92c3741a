package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// rawResource holds the top-level elements of a FHIR resource that a mapping may need. The
// elements whose JSON shape is the same in every R4 resource type that has them (subject,
// period, encounter, diagnosis, extension, gender, birthDate) are decoded with the resource;
// the others stay raw and are decoded only for the resource type they belong to, so that a
// same-named element of another type (Claim.total and ExplanationOfBenefit.total, say)
// never fails the read. Every other element is skipped. A reused rawResource keeps its
// buffers across reset.
type rawResource struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Gender       string          `json:"gender"`
	BirthDate    string          `json:"birthDate"`
	Subject      fhirReference   `json:"subject"`
	Period       fhirPeriod      `json:"period"`
	Encounter    fhirReference   `json:"encounter"`
	Diagnosis    []fhirDiagnosis `json:"diagnosis"`
	Extension    []fhirExtension `json:"extension"`
	Address      json.RawMessage `json:"address"`
	Code         json.RawMessage `json:"code"`
	Total        json.RawMessage `json:"total"`
	Item         json.RawMessage `json:"item"`
}

// reset empties r for the next resource, keeping the buffers. encoding/json decodes array
// elements into the slice's old elements beyond its length without zeroing them, so those
// are zeroed here.
func (r *rawResource) reset() {
	clear(r.Diagnosis[:cap(r.Diagnosis)])
	clear(r.Extension[:cap(r.Extension)])
	*r = rawResource{
		Diagnosis: r.Diagnosis[:0],
		Extension: r.Extension[:0],
		Address:   r.Address[:0],
		Code:      r.Code[:0],
		Total:     r.Total[:0],
		Item:      r.Item[:0],
	}
}

// The shapes of the FHIR data types the readers decode.
type (
	fhirReference struct {
		Reference string `json:"reference"`
	}
	fhirPeriod struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	fhirAddress struct {
		Use        string `json:"use"`
		State      string `json:"state"`
		PostalCode string `json:"postalCode"`
	}
	fhirCoding struct {
		System string `json:"system"`
		Code   string `json:"code"`
	}
	fhirCodeableConcept struct {
		Coding []fhirCoding `json:"coding"`
	}
	fhirDiagnosis struct {
		Condition fhirReference `json:"condition"`
		Rank      int           `json:"rank"`
	}
	fhirMoney struct {
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	}
	fhirExtension struct {
		URL          string      `json:"url"`
		ValueMoney   *fhirMoney  `json:"valueMoney"`
		ValueDecimal json.Number `json:"valueDecimal"`
		ValueInteger json.Number `json:"valueInteger"`
	}
	fhirClaimItem struct {
		Encounter []fhirReference `json:"encounter"`
	}
)

// errWrongType is the cause of an element whose JSON does not have the FHIR type's shape.
var errWrongType = fmt.Errorf("%w: wrong JSON type for the element", ErrSyntax)

// present reports whether an element is in the resource: JSON null counts as absent.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// jsonFeed decodes JSON values held in byte slices with one json.Decoder, which keeps its
// buffers from value to value, where json.Unmarshal allocates a decoder per call. It is not
// safe for concurrent use.
type jsonFeed struct {
	dec  *json.Decoder
	data []byte // the part of the current value not yet handed to the decoder
	fed  int64  // bytes handed to dec
}

// Read hands the current value to the decoder, then reports the end of input, at which the
// decoder ends a value or reports it incomplete.
func (f *jsonFeed) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	f.fed += int64(n)
	return n, nil
}

// decode decodes data, which must hold one JSON value and nothing but white space around
// it, into v. Its errors are those of json.Unmarshal, with syntax error offsets in data, or
// errTrailing.
func (f *jsonFeed) decode(data []byte, v any) error {
	if f.dec == nil {
		f.dec, f.fed = json.NewDecoder(f), 0
	}
	start := f.fed
	f.data = data
	err := f.dec.Decode(v)
	var typ *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typ) {
		// The decoder may be stuck on the error: start afresh next time.
		f.dec = nil
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return &json.SyntaxError{Offset: syn.Offset - start}
		}
		return err
	}
	if rest := f.fed - f.dec.InputOffset() + int64(len(f.data)); rest > 0 {
		// White space or more after the value: start afresh next time.
		f.dec = nil
		if len(bytes.TrimLeft(data[len(data)-int(rest):], " \t\r\n")) > 0 {
			return errTrailing
		}
	}
	return err
}

// errTrailing is the cause of JSON data after a value.
var errTrailing = fmt.Errorf("%w: more than one JSON value", ErrSyntax)

// decodeElem decodes an element; its error wraps ErrSyntax and holds no value.
func (f *jsonFeed) decodeElem(raw json.RawMessage, v any) error {
	if err := f.decode(raw, v); err != nil {
		return errWrongType
	}
	return nil
}

// jsonError turns an error of encoding/json into a cause wrapping ErrSyntax, without
// quoting the input (json.SyntaxError messages quote the offending character), and the
// decoder's path of the element at fault, if any. It returns false for an error that is not
// a JSON error, such as an I/O error.
func jsonError(err error) (path string, cause error, ok bool) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "", fmt.Errorf("%w: malformed JSON at byte %d", ErrSyntax, syn.Offset), true
	case errors.As(err, &typ):
		return typ.Field, errWrongType, true
	case errors.Is(err, ErrSyntax):
		return "", err, true
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", fmt.Errorf("%w: unexpected end of JSON input", ErrSyntax), true
	}
	return "", nil, false
}

// elementName names the element at a decoder path within resource r, such as
// "Encounter.period.start", or "Resource.resourceType" while r's type is unknown.
func elementName(path string, r *rawResource) string {
	if path == "" {
		return ""
	}
	if r.ResourceType == "" || path == "resourceType" {
		return "Resource." + path
	}
	return r.ResourceType + "." + path
}
