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

// decodeElem decodes an element; its error wraps ErrSyntax and holds no value.
func decodeElem(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
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
