package records

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/statledger/statledger/policies"
	"github.com/stretchr/testify/require"
)

// The fuzz targets feed arbitrary bytes to each reader with the healthcare schema. Their seed
// corpora are committed under testdata/fuzz; the fixtures in testdata are added too.

// sentinels are the causes a reader's error may wrap.
var sentinels = []error{
	ErrUnknownCode, ErrNotInteger, ErrMissingColumn, ErrMissingField, ErrSyntax, ErrLineTooLong,
	ErrTooManyRecords, ErrTooLarge, ErrUnresolved, ErrImplausible, ErrCurrency,
}

type reader func(r io.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error)

// fuzzRead reads data and checks what any input must give: either records whose codes are in
// range, one call of the handler per record counted, or a *ParseError wrapping a sentinel.
func fuzzRead(t *testing.T, read reader, s policies.Schema, data []byte) {
	calls := 0
	n, err := read(bytes.NewReader(data), s, func(codes []int, values []int64) error {
		calls++
		require.Len(t, codes, len(s.Dimensions))
		require.Len(t, values, len(s.Measures))
		for i, c := range codes {
			require.True(t, c >= 0 && c < len(s.Dimensions[i].Codes), "code index %d of dimension %d", c, i)
		}
		return nil
	}, WithMaxLineBytes(4096), WithMaxBundleBytes(1<<20), WithMaxRecords(1000))
	require.Equal(t, calls, n)
	if err == nil {
		return
	}
	var pe *ParseError
	require.True(t, errors.As(err, &pe), "%T: %v", err, err)
	wraps := false
	for _, e := range sentinels {
		wraps = wraps || errors.Is(err, e)
	}
	require.True(t, wraps, "%v wraps no sentinel", err)
	require.NotEmpty(t, err.Error())
}

func addFiles(f *testing.F, names ...string) {
	for _, name := range names {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
}

func FuzzReadCSV(f *testing.F) {
	s := healthcareSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, ReadCSV, s, data) })
}

func FuzzReadFHIRBundle(f *testing.F) {
	s := healthcareSchema(f)
	addFiles(f, "testdata/admissions.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, ReadFHIRBundle, s, data) })
}

func FuzzReadFHIRNDJSON(f *testing.F) {
	s := healthcareSchema(f)
	addFiles(f, "testdata/admissions.ndjson")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, ReadFHIRNDJSON, s, data) })
}
