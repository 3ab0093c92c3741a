package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// rawResource holds the top-level elements of a FHIR resource that a mapping may need,
// undecoded: only the elements a plan uses are decoded, with the type of the resource they
// belong to, so that a same-named element of another resource type (Claim.total and
// ExplanationOfBenefit.total, say) never fails the read. Every other element is skipped.
// The raw slices keep their capacity across reset, so a reused rawResource does not
// allocate once warm.
type rawResource struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Gender       json.RawMessage `json:"gender"`
	BirthDate    json.RawMessage `json:"birthDate"`
	Address      json.RawMessage `json:"address"`
	Subject      json.RawMessage `json:"subject"`
	Period       json.RawMessage `json:"period"`
	Diagnosis    json.RawMessage `json:"diagnosis"`
	Extension    json.RawMessage `json:"extension"`
	Code         json.RawMessage `json:"code"`
	Encounter    json.RawMessage `json:"encounter"`
	Total        json.RawMessage `json:"total"`
	Item         json.RawMessage `json:"item"`
}

// reset empties r for the next resource, keeping the buffers.
func (r *rawResource) reset() {
	r.ResourceType, r.ID = "", ""
	for _, m := range []*json.RawMessage{&r.Gender, &r.BirthDate, &r.Address, &r.Subject, &r.Period,
		&r.Diagnosis, &r.Extension, &r.Code, &r.Encounter, &r.Total, &r.Item} {
		*m = (*m)[:0]
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

// decodeString decodes a JSON string element. raw has been checked by the JSON decoder that
// produced it, so a string without escapes is read in place.
func decodeString(raw json.RawMessage) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := decodeElem(raw, &s)
	return s, err
}

// jsonError turns an error of encoding/json into a cause wrapping ErrSyntax and the path of
// the element at fault (prefix plus the decoder's field path), without quoting the input:
// json.SyntaxError messages quote the offending character. It returns false for an error
// that is not a JSON error, such as an I/O error.
func jsonError(err error, prefix string) (field string, cause error, ok bool) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "", fmt.Errorf("%w: malformed JSON at byte %d", ErrSyntax, syn.Offset), true
	case errors.As(err, &typ) && typ.Field != "":
		return prefix + typ.Field, errWrongType, true
	case errors.As(err, &typ):
		return "", fmt.Errorf("%w: not a JSON object", ErrSyntax), true
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", fmt.Errorf("%w: unexpected end of JSON input", ErrSyntax), true
	}
	return "", nil, false
}
