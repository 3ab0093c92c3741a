package keyholder

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/policies"
)

// fakeLedger answers from fixed records and records posted shares.
type fakeLedger struct {
	query   ledger.Query
	results []ledger.Result
	budget  ledger.Budget
	shares  []ledger.DecryptionShare
	posted  int
}

func (f *fakeLedger) GetQuery(context.Context, string) (ledger.Query, error) { return f.query, nil }
func (f *fakeLedger) GetDataset(context.Context, string) (ledger.Dataset, error) {
	return ledger.Dataset{}, errors.New("the checks must fail before the dataset is read")
}
func (f *fakeLedger) GetBudget(context.Context, string) (ledger.Budget, error) { return f.budget, nil }
func (f *fakeLedger) ListResults(context.Context, string) ([]ledger.Result, error) {
	return f.results, nil
}
func (f *fakeLedger) ListDecryptionShares(context.Context, string) ([]ledger.DecryptionShare, error) {
	return f.shares, nil
}
func (f *fakeLedger) PostDecryptionShare(context.Context, ledger.ShareInput) (ledger.DecryptionShare, error) {
	f.posted++
	return ledger.DecryptionShare{}, nil
}

var _ Ledger = (*fakeLedger)(nil)

const out = "1111111111111111111111111111111111111111111111111111111111111111"

// decrypting is a query that passes every check for HospitalAMSP.
func decrypting() *fakeLedger {
	return &fakeLedger{
		query: ledger.Query{ID: "q-1", DatasetID: "d-1", Status: ledger.StatusDecrypting, Decryptors: []string{"HospitalAMSP", "HospitalBMSP"},
			OutputDigest: out, InputDigests: []string{"a", "b"}, RequiredResults: 2, EpsilonMicro: 500_000},
		results: []ledger.Result{
			{WorkerMSPID: "StatOfficeMSP", OutputDigest: out, InputDigests: []string{"a", "b"}},
			{WorkerMSPID: "HospitalBMSP", OutputDigest: out, InputDigests: []string{"a", "b"}},
		},
		budget: ledger.Budget{DatasetID: "d-1", TotalMicroEpsilon: 10_000_000, SpentMicroEpsilon: 500_000},
	}
}

func TestShareRefusesWhatTheLedgerDoesNotAllow(t *testing.T) {
	tests := []struct {
		name string
		edit func(f *fakeLedger)
		want string
	}{
		{"a query that is still approved", func(f *fakeLedger) { f.query.Status = ledger.StatusApproved }, "is approved, not decrypting"},
		{"a holder that is not a decryptor", func(f *fakeLedger) { f.query.Decryptors = []string{"HospitalBMSP", "StatOfficeMSP"} }, "is not among the decryptors"},
		{"a worker result that disagrees", func(f *fakeLedger) { f.results[1].OutputDigest = "22" }, "not the agreed"},
		{"a result on other inputs", func(f *fakeLedger) { f.results[0].InputDigests = []string{"a"} }, "inputs other than the frozen ones"},
		{"too few worker organisations", func(f *fakeLedger) { f.results = f.results[:1] }, "1 of 2 required worker results"},
		{"one organisation's result counted twice", func(f *fakeLedger) { f.results[1].WorkerMSPID = "StatOfficeMSP" }, "1 of 2 required worker results"},
		{"a budget that was not debited", func(f *fakeLedger) { f.budget.SpentMicroEpsilon = 0 }, "less than query q-1's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := decrypting()
			tt.edit(f)
			h := &Holder{MSPID: "HospitalAMSP", Ledger: f}
			_, err := h.Share(context.Background(), "q-1")
			require.ErrorIs(t, err, ErrNotReady)
			require.ErrorContains(t, err, tt.want)
			require.Zero(t, f.posted, "nothing is posted")
		})
	}
}

func TestShareReturnsTheShareAlreadyOnTheLedger(t *testing.T) {
	f := decrypting()
	f.query.Status = ledger.StatusReady
	f.shares = []ledger.DecryptionShare{{QueryID: "q-1", KeyHolder: "HospitalAMSP", Digest: out}}
	h := &Holder{MSPID: "HospitalAMSP", Ledger: f}
	got, err := h.Share(context.Background(), "q-1")
	require.NoError(t, err)
	require.Equal(t, f.shares[0], got)
	require.Zero(t, f.posted)
}

func TestChecksPassForAQueryTheLedgerAllows(t *testing.T) {
	f := decrypting()
	h := &Holder{MSPID: "HospitalAMSP", Ledger: f}
	require.NoError(t, h.check(context.Background(), f.query))
}

func TestNoiseIsTheSameForEveryHolderAndGrowsWithTheSensitivity(t *testing.T) {
	schema := policies.Schema{
		Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"N", "S"}}},
		Measures:   []policies.Measure{{Name: "stay", Min: 0, Max: 60}},
	}
	ds := ledger.Dataset{ID: "d-1", Schema: schema, Policy: policies.Policy{Delta: "1e-9"}}
	q := ledger.Query{ID: "q-1", EpsilonMicro: 500_000}
	count := cube.Output{Components: []cube.Component{{Kind: cube.ComponentCount}}, Cells: make([]cube.OutputCell, 2)}
	mean := cube.Output{Components: []cube.Component{{Kind: cube.ComponentCount}, {Kind: cube.ComponentSum, Measure: "stay"}}, Cells: make([]cube.OutputCell, 4)}

	a, err := Noise(ds, q, count, 2, 0)
	require.NoError(t, err)
	b, err := Noise(ds, q, count, 2, 0)
	require.NoError(t, err)
	require.Equal(t, a, b, "every holder derives the same noise")
	m, err := Noise(ds, q, mean, 2, 0)
	require.NoError(t, err)
	require.Greater(t, m.TotalVariance(), a.TotalVariance(), "a sum of stays needs more noise than a count")

	ds.Policy.Delta = "not a number"
	_, err = Noise(ds, q, count, 2, 0)
	require.ErrorContains(t, err, "delta")
}
