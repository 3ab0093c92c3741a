package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// decodeStrict decodes exactly one JSON value from data into out: at most max bytes,
// unknown fields refused, nothing but white space after the value. It returns an INVALID
// *Error naming what.
func decodeStrict(what, data string, max int, out any) error {
	if len(data) > max {
		return invalid("%s is %d bytes long; the limit is %d", what, len(data), max)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return invalid("%s is empty; expected a JSON object", what)
		}
		return invalid("%s is not valid JSON of the expected shape: %w", what, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("%s has data after its JSON value", what)
	}
	return nil
}

// DecodeConsortium decodes and validates the argument of InitConsortium. It returns an
// INVALID *Error.
func DecodeConsortium(data string) (Consortium, error) {
	var c Consortium
	if err := decodeStrict("the consortium", data, MaxConsortiumJSON, &c); err != nil {
		return Consortium{}, err
	}
	return c, c.Validate()
}

// DecodeConsortiumChangeInput decodes and validates the argument of
// ProposeConsortiumChange. It returns an INVALID *Error.
func DecodeConsortiumChangeInput(data string) (ConsortiumChangeInput, error) {
	var in ConsortiumChangeInput
	if err := decodeStrict("the consortium change", data, MaxConsortiumChangeJSON, &in); err != nil {
		return ConsortiumChangeInput{}, err
	}
	return in, in.Validate()
}

// DecodeCollectiveKeyInput decodes and validates the argument of RecordCollectiveKey. It
// returns an INVALID *Error.
func DecodeCollectiveKeyInput(data string) (CollectiveKeyInput, error) {
	var in CollectiveKeyInput
	if err := decodeStrict("the collective key", data, MaxCollectiveKeyJSON, &in); err != nil {
		return CollectiveKeyInput{}, err
	}
	return in, in.Validate()
}

// DecodeDatasetInput decodes and validates the argument of RegisterDataset. It returns an
// INVALID *Error.
func DecodeDatasetInput(data string) (DatasetInput, error) {
	var in DatasetInput
	if err := decodeStrict("the dataset", data, MaxDatasetJSON, &in); err != nil {
		return DatasetInput{}, err
	}
	return in, in.Validate()
}

// DecodeSubmissionInput decodes and validates the argument of SubmitData. It returns an
// INVALID *Error.
func DecodeSubmissionInput(data string) (SubmissionInput, error) {
	var in SubmissionInput
	if err := decodeStrict("the submission", data, MaxSubmissionJSON, &in); err != nil {
		return SubmissionInput{}, err
	}
	return in, in.Validate()
}

// DecodeQueryInput decodes and validates the argument of RequestQuery. It returns an
// INVALID *Error.
func DecodeQueryInput(data string) (QueryInput, error) {
	var in QueryInput
	if err := decodeStrict("the query request", data, MaxQueryJSON, &in); err != nil {
		return QueryInput{}, err
	}
	return in, in.Validate()
}

// DecodeResultInput decodes and validates the argument of PostResult. It returns an
// INVALID *Error.
func DecodeResultInput(data string) (ResultInput, error) {
	var in ResultInput
	if err := decodeStrict("the result", data, MaxResultJSON, &in); err != nil {
		return ResultInput{}, err
	}
	return in, in.Validate()
}

// DecodeShareInput decodes and validates the argument of PostDecryptionShare. It returns
// an INVALID *Error.
func DecodeShareInput(data string) (ShareInput, error) {
	var in ShareInput
	if err := decodeStrict("the decryption share", data, MaxShareJSON, &in); err != nil {
		return ShareInput{}, err
	}
	return in, in.Validate()
}

// DecodeReleaseInput decodes and validates the argument of RecordRelease. It returns an
// INVALID *Error.
func DecodeReleaseInput(data string) (ReleaseInput, error) {
	var in ReleaseInput
	if err := decodeStrict("the release", data, MaxReleaseJSON, &in); err != nil {
		return ReleaseInput{}, err
	}
	return in, in.Validate()
}
