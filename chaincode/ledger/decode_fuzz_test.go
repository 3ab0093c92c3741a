package ledger_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// fuzzDecoder checks one argument decoder on arbitrary input, seeded by the committed
// corpus under testdata/fuzz/<target>: it never panics; it refuses with INVALID only;
// whatever it accepts is within max bytes, validates, and re-encodes to a document that
// decodes to the same encoding again.
func fuzzDecoder[T any](f *testing.F, decode func(string) (T, error), max int, validate func(T) error) {
	f.Fuzz(func(t *testing.T, data string) {
		v, err := decode(data)
		if err != nil {
			require.Equal(t, ledger.CodeInvalid, ledger.CodeOf(err), "%v", err)
			require.Regexp(t, "^INVALID: ", err.Error())
			return
		}
		require.LessOrEqual(t, len(data), max)
		require.NoError(t, validate(v))
		first, err := json.Marshal(v)
		require.NoError(t, err)
		if len(first) > max {
			return // escaping grew it past the limit; nothing more to compare
		}
		again, err := decode(string(first))
		require.NoError(t, err, "%s", first)
		second, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(first), string(second))
	})
}

func FuzzDecodeConsortium(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeConsortium, ledger.MaxConsortiumJSON, ledger.Consortium.Validate)
}

func FuzzDecodeConsortiumChangeInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeConsortiumChangeInput, ledger.MaxConsortiumChangeJSON, ledger.ConsortiumChangeInput.Validate)
}

func FuzzDecodeCollectiveKeyInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeCollectiveKeyInput, ledger.MaxCollectiveKeyJSON, ledger.CollectiveKeyInput.Validate)
}

func FuzzDecodeDatasetInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeDatasetInput, ledger.MaxDatasetJSON, ledger.DatasetInput.Validate)
}

func FuzzDecodeSubmissionInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeSubmissionInput, ledger.MaxSubmissionJSON, ledger.SubmissionInput.Validate)
}

func FuzzDecodeQueryInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeQueryInput, ledger.MaxQueryJSON, ledger.QueryInput.Validate)
}

func FuzzDecodeResultInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeResultInput, ledger.MaxResultJSON, ledger.ResultInput.Validate)
}

func FuzzDecodeShareInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeShareInput, ledger.MaxShareJSON, ledger.ShareInput.Validate)
}

func FuzzDecodeReleaseInput(f *testing.F) {
	fuzzDecoder(f, ledger.DecodeReleaseInput, ledger.MaxReleaseJSON, ledger.ReleaseInput.Validate)
}
