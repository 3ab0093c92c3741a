package ledgerapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// fakeCaller records calls and answers with a fixed result or error.
type fakeCaller struct {
	fn     string
	args   []string
	submit bool
	result []byte
	err    error
}

var _ Caller = (*fakeCaller)(nil)

func (f *fakeCaller) Submit(_ context.Context, fn string, args ...string) ([]byte, error) {
	f.fn, f.args, f.submit = fn, args, true
	return f.result, f.err
}

func (f *fakeCaller) Evaluate(_ context.Context, fn string, args ...string) ([]byte, error) {
	f.fn, f.args, f.submit = fn, args, false
	return f.result, f.err
}

func TestSubmitEncodesTheInputAndDecodesTheRecord(t *testing.T) {
	want := ledger.Query{ID: "q-1", Status: ledger.StatusPending}
	result, err := json.Marshal(want)
	require.NoError(t, err)
	f := &fakeCaller{result: result}
	in := ledger.QueryInput{IdempotencyKey: "k", DatasetID: "d"}
	got, err := New(f).RequestQuery(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.True(t, f.submit)
	require.Equal(t, "RequestQuery", f.fn)
	var sent ledger.QueryInput
	require.NoError(t, json.Unmarshal([]byte(f.args[0]), &sent))
	require.Equal(t, in, sent)
}

func TestEvaluatePassesIDsAndLeaseAsStrings(t *testing.T) {
	f := &fakeCaller{result: []byte(`{"queryID":"q-1"}`)}
	_, err := New(f).ClaimJob(context.Background(), "q-1", 90)
	require.NoError(t, err)
	require.Equal(t, []string{"q-1", "90"}, f.args)

	_, err = New(f).ListSubmissions(context.Background(), "d-1", "", "")
	require.NoError(t, err)
	require.False(t, f.submit)
	require.Equal(t, []string{"d-1", "", ""}, f.args)
}

func TestErrorsPassThroughAndBadResultsAreNamed(t *testing.T) {
	refused := &ledger.Error{Code: ledger.CodeForbidden, Msg: "no"}
	_, err := New(&fakeCaller{err: refused}).GetQuery(context.Background(), "q-1")
	require.ErrorIs(t, err, ledger.ErrForbidden)

	_, err = New(&fakeCaller{result: []byte("not json")}).GetQuery(context.Background(), "q-1")
	require.ErrorContains(t, err, "decode the result of GetQuery")
	require.False(t, errors.Is(err, ledger.ErrForbidden))
}
