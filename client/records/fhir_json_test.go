package records

import (
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONFeedDecodesOneValueAtATime(t *testing.T) {
	var f jsonFeed
	var ref fhirReference
	var n int
	var s string
	var list []int

	require.NoError(t, f.decode([]byte(`{"reference":"Patient/1"}`), &ref))
	require.Equal(t, "Patient/1", ref.Reference)
	require.NoError(t, f.decode([]byte(` 42 `), &n), "a number ends at the end of its input")
	require.Equal(t, 42, n)
	require.NoError(t, f.decode([]byte(`"x"`), &s))
	require.Equal(t, "x", s)
	require.NoError(t, f.decode([]byte("[1,2]\t"), &list))
	require.Equal(t, []int{1, 2}, list)

	// A type error leaves the decoder usable.
	require.Error(t, f.decode([]byte(`{"reference":7}`), &ref))
	require.NoError(t, f.decode([]byte(`{"reference":"Patient/2"}`), &ref))
	require.Equal(t, "Patient/2", ref.Reference)

	// Two values, a truncated value and a syntax error are refused, and the next value is read.
	require.ErrorIs(t, f.decode([]byte(`{} {}`), &ref), ErrSyntax)
	require.ErrorIs(t, f.decode([]byte(`{"reference":"Pat`), &ref), io.ErrUnexpectedEOF)
	err := f.decode([]byte(`{"reference" "x"}`), &ref)
	var syn *json.SyntaxError
	require.True(t, errors.As(err, &syn))
	require.EqualValues(t, 14, syn.Offset, "the offset is within the value")
	require.NoError(t, f.decode([]byte(`{"reference":"Patient/3"}`), &ref))
	require.Equal(t, "Patient/3", ref.Reference)
}
