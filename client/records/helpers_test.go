package records

import (
	"os"
	"testing"

	"github.com/statledger/statledger/policies"
	"github.com/stretchr/testify/require"
)

// healthcareSchema returns the shipped healthcare schema.
func healthcareSchema(t testing.TB) policies.Schema {
	t.Helper()
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	require.NoError(t, err)
	s, err := policies.ParseSchema(data)
	require.NoError(t, err)
	return s
}

// record is one record as a handler sees it, decoded to codes.
type record struct {
	Codes  []string
	Values []int64
}

// collect returns a handler that appends each record, with its codes spelled out, to out.
func collect(s policies.Schema, out *[]record) Handler {
	return func(codes []int, values []int64) error {
		r := record{Values: append([]int64(nil), values...)}
		for i, c := range codes {
			r.Codes = append(r.Codes, s.Dimensions[i].Codes[c])
		}
		*out = append(*out, r)
		return nil
	}
}
