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

func TestAuditReadsCallTheirEvaluateTransactions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		result string
		call   func(a *API) (any, error)
		fn     string
		args   []string
	}{
		{"live submissions of one period", `{"items":[{"id":"s-1"}],"bookmark":"ab"}`,
			func(a *API) (any, error) { return a.ListLiveSubmissions(ctx, "d-1", "2026", "") },
			"ListLiveSubmissions", []string{"d-1", "2026", ""}},
		{"approvals of a query", `[{"mspID":"AMSP","decision":"approve"}]`,
			func(a *API) (any, error) { return a.ListApprovals(ctx, "q-1") }, "ListApprovals", []string{"q-1"}},
		{"one worker's result", `{"queryID":"q-1","workerMSPID":"WMSP"}`,
			func(a *API) (any, error) { return a.GetResult(ctx, "q-1", "WMSP") }, "GetResult", []string{"q-1", "WMSP"}},
		{"one key holder's share", `{"queryID":"q-1","keyHolder":"KMSP"}`,
			func(a *API) (any, error) { return a.GetDecryptionShare(ctx, "q-1", "KMSP") }, "GetDecryptionShare", []string{"q-1", "KMSP"}},
		{"a page of releases", `{"items":[],"bookmark":""}`,
			func(a *API) (any, error) { return a.ListReleases(ctx, "0a") }, "ListReleases", []string{"0a"}},
		{"a query's history", `[{"txID":"t1","value":{"id":"q-1"}}]`,
			func(a *API) (any, error) { return a.GetQueryHistory(ctx, "q-1") }, "GetQueryHistory", []string{"q-1"}},
		{"a dataset's history", `{"dataset":[{"txID":"t1"}],"budget":[{"txID":"t2"}]}`,
			func(a *API) (any, error) { return a.GetDatasetHistory(ctx, "d-1") }, "GetDatasetHistory", []string{"d-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeCaller{result: []byte(tc.result)}
			got, err := tc.call(New(f))
			require.NoError(t, err)
			require.False(t, f.submit, "a read is an evaluate transaction")
			require.Equal(t, tc.fn, f.fn)
			require.Equal(t, tc.args, f.args)
			require.Contains(t, ledger.EvaluateTransactions(), tc.fn)
			again, err := json.Marshal(got)
			require.NoError(t, err)
			require.NotEqual(t, "null", string(again))

			_, err = tc.call(New(&fakeCaller{result: []byte("{not json")}))
			require.ErrorContains(t, err, "decode the result of "+tc.fn)
		})
	}
}
