package submit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

type fakeLedger struct {
	datasets    map[string]ledger.Dataset
	submissions []ledger.SubmissionInput
}

func (f *fakeLedger) GetDataset(_ context.Context, id string) (ledger.Dataset, error) {
	ds, ok := f.datasets[id]
	if !ok {
		return ledger.Dataset{}, &ledger.Error{Code: ledger.CodeNotFound, Msg: "dataset " + id + " does not exist"}
	}
	return ds, nil
}

func (f *fakeLedger) SubmitData(_ context.Context, in ledger.SubmissionInput) (ledger.Submission, error) {
	f.submissions = append(f.submissions, in)
	return ledger.Submission{ID: "s-1", DatasetID: in.DatasetID, Period: in.Period, Ciphertexts: in.Ciphertexts, Status: ledger.StatusLive}, nil
}

// singleKey stands in for the collective key: one party's key, so the test can decrypt.
type singleKey struct {
	set *params.Set
	sk  *rlwe.SecretKey
	pk  *rlwe.PublicKey
}

func newSingleKey(t *testing.T) *singleKey {
	set := params.MustNamed(params.InsecureN11T58)
	kg := rlwe.NewKeyGenerator(set.RLWE())
	sk, pk := kg.GenKeyPairNew()
	return &singleKey{set: set, sk: sk, pk: pk}
}

func (k *singleKey) PublicKey(context.Context, string) (*params.Set, *rlwe.PublicKey, error) {
	return k.set, k.pk, nil
}

func healthcareSchema(t testing.TB) policies.Schema {
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", "schema.yaml"))
	require.NoError(t, err)
	s, err := policies.ParseSchema(data)
	require.NoError(t, err)
	return s
}

func fixture(t *testing.T) (*fakeLedger, *blobstore.Bucket, *singleKey, Provider) {
	t.Helper()
	key := newSingleKey(t)
	l := &fakeLedger{datasets: map[string]ledger.Dataset{
		"admissions": {ID: "admissions", KeyID: "key-1", ParamSetID: key.set.Name(), Schema: healthcareSchema(t),
			Policy: policies.Policy{MaxRecordsPerSubmission: 6000}},
	}}
	store, err := blobstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return l, store, key, Provider{Ledger: l, Store: store, Keys: key}
}

func TestSubmitUploadsTheEncryptedCubeOfTheRecords(t *testing.T) {
	ctx := context.Background()
	l, store, key, p := fixture(t)
	var csv bytes.Buffer
	require.NoError(t, synth.Generate(&csv, records.FormatCSV, synth.Config{Seed: 7, Records: 5000}))
	plain := csv.Bytes()

	sub, st, err := p.Submit(ctx, Request{DatasetID: "admissions", Period: "2026-Q3", Records: bytes.NewReader(plain), Format: records.FormatCSV})
	require.NoError(t, err)
	require.Equal(t, 5000, st.Records)
	require.Len(t, l.submissions, 1)
	require.Equal(t, int64(5000), l.submissions[0].Records, "the submission declares its record count")
	ct := l.submissions[0].Ciphertexts[0]
	require.Equal(t, sub.Ciphertexts[0], ct)
	require.Equal(t, store.URI(ct.Digest), ct.URI)

	// Decrypting the uploaded blob gives exactly the cube of the same records.
	layout, err := cube.NewLayout(l.datasets["admissions"].Schema, key.set.RowSlots())
	require.NoError(t, err)
	want, n, err := Aggregate(bytes.NewReader(plain), records.FormatCSV, layout, key.set.MaxAggregate(), 5000, nil)
	require.NoError(t, err)
	require.Equal(t, 5000, n)
	blob, err := store.Get(ctx, ct.Digest)
	require.NoError(t, err)
	require.Equal(t, int64(len(blob)), ct.Size)
	cts, err := encrypt.Decode(key.set, layout, blob, nil)
	require.NoError(t, err)
	dec := rlwe.NewDecryptor(key.set.RLWE(), key.sk)
	ecd := bgv.NewEncoder(key.set.BGV())
	slots := want.Slots(key.set.PlaintextModulus())
	require.Len(t, cts, len(slots))
	for i, c := range cts {
		got := make([]uint64, key.set.Slots())
		require.NoError(t, ecd.Decode(dec.DecryptNew(c), got))
		require.Equal(t, slots[i], got, "ciphertext %d", i)
	}
}

func TestSubmitRefusesBadInputAndRegistersNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, dataset, input, want string
	}{
		{"an unknown dataset", "nope", "region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\n", "NOT_FOUND"},
		{"a malformed CSV line", "admissions", "region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\nXX,0-14,F,A00-B99,notanumber,3,100\n", "line 2"},
		{"a missing column", "admissions", "region,sex\nX,F\n", "read records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, _, p := fixture(t)
			_, _, err := p.Submit(ctx, Request{DatasetID: tt.dataset, Period: "2026-Q3", Records: strings.NewReader(tt.input), Format: records.FormatCSV})
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, l.submissions, "nothing is registered")
		})
	}
}

// countingStore counts the blobs put into a Store.
type countingStore struct {
	Store
	puts int
}

func (c *countingStore) Put(ctx context.Context, data []byte) (string, error) {
	c.puts++
	return c.Store.Put(ctx, data)
}

func TestSubmitRefusesMoreRecordsThanThePolicyAllows(t *testing.T) {
	ctx := context.Background()
	var csv bytes.Buffer
	require.NoError(t, synth.Generate(&csv, records.FormatCSV, synth.Config{Seed: 7, Records: 101}))
	l, store, _, p := fixture(t)
	counting := &countingStore{Store: store}
	p.Store = counting
	ds := l.datasets["admissions"]
	ds.Policy.MaxRecordsPerSubmission = 100
	l.datasets["admissions"] = ds

	_, _, err := p.Submit(ctx, Request{DatasetID: "admissions", Period: "2026-Q3", Records: bytes.NewReader(csv.Bytes()), Format: records.FormatCSV})
	require.ErrorIs(t, err, records.ErrTooManyRecords)
	require.ErrorContains(t, err, "dataset admissions: read records: the policy allows at most 100 records per submission (maxRecordsPerSubmission)")
	require.Zero(t, counting.puts, "nothing is uploaded")
	require.Empty(t, l.submissions, "nothing is registered")

	ds.Policy.MaxRecordsPerSubmission = 101
	l.datasets["admissions"] = ds
	_, st, err := p.Submit(ctx, Request{DatasetID: "admissions", Period: "2026-Q3", Records: bytes.NewReader(csv.Bytes()), Format: records.FormatCSV})
	require.NoError(t, err, "exactly the limit is accepted")
	require.Equal(t, 101, st.Records)
	require.Equal(t, 1, counting.puts)
	require.Equal(t, int64(101), l.submissions[0].Records)
}

func TestSubmitRefusesInputWithoutRecords(t *testing.T) {
	l, store, _, p := fixture(t)
	counting := &countingStore{Store: store}
	p.Store = counting
	_, _, err := p.Submit(context.Background(), Request{DatasetID: "admissions", Period: "2026-Q3",
		Records: strings.NewReader("region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\n"), Format: records.FormatCSV})
	require.ErrorContains(t, err, "no records to submit")
	require.Zero(t, counting.puts)
	require.Empty(t, l.submissions)
}

func TestAggregateStopsAtTheCubesCapacityBelowThePolicysLimit(t *testing.T) {
	key := newSingleKey(t)
	layout, err := cube.NewLayout(healthcareSchema(t), key.set.RowSlots())
	require.NoError(t, err)
	var csv bytes.Buffer
	require.NoError(t, synth.Generate(&csv, records.FormatCSV, synth.Config{Seed: 7, Records: 3}))
	// A plaintext range for two records of costEUR's squared bound 200000^2.
	_, _, err = Aggregate(bytes.NewReader(csv.Bytes()), records.FormatCSV, layout, 2*200_000*200_000, 1000, nil)
	require.ErrorIs(t, err, records.ErrTooManyRecords)
	require.ErrorContains(t, err, "the parameter set holds exact sums of at most 2 records")
}
