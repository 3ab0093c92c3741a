package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
)

// workerSet is the parameter set of the worker tests: small and insecure, so that keys,
// encryption and evaluation take milliseconds.
var workerSet = params.MustNamed(params.InsecureN11T58)

// inProcessKeys are single-party keys standing in for a ceremony's collective key: the
// worker evaluates with rotation keys either way, and the test decrypts with sk.
type inProcessKeys struct {
	keyID string
	sk    *rlwe.SecretKey
	pk    *rlwe.PublicKey
	evk   *rlwe.MemEvaluationKeySet
}

// EvaluationKeys is the worker's key source (worker.Keys) for the test's key.
func (k *inProcessKeys) EvaluationKeys(_ context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	if keyID != k.keyID {
		return nil, nil, ledger.Errorf(ledger.CodeNotFound, "collective key %s is not the test's", keyID)
	}
	return workerSet, k.evk, nil
}

var _ worker.Keys = (*inProcessKeys)(nil)

// recordRealKey generates keys, uploads the public and rotation key blobs and records the
// key on the ledger with their digests, as StatOffice (a key holder).
func recordRealKey(t *testing.T, ctx context.Context, store *blobstore.Bucket) *inProcessKeys {
	t.Helper()
	kg := rlwe.NewKeyGenerator(workerSet.RLWE())
	k := &inProcessKeys{keyID: unique("key")}
	k.sk, k.pk = kg.GenKeyPairNew()
	k.evk = rlwe.NewMemEvaluationKeySet(nil, kg.GenGaloisKeysNew(workerSet.GaloisElements(), k.sk)...)
	var ref [32]byte
	_, _ = rand.Read(ref[:])
	pkBlob, err := ceremony.EncodePublicKey(workerSet, codec.KindPublicKey, ref, k.pk)
	require.NoError(t, err)
	evkBlob, err := ceremony.EncodeGaloisKeys(workerSet, ref, k.evk)
	require.NoError(t, err)
	pkDigest, err := store.Put(ctx, pkBlob)
	require.NoError(t, err)
	evkDigest, err := store.Put(ctx, evkBlob)
	require.NoError(t, err)
	_, err = connect(t, statOffice).RecordCollectiveKey(ctx, ledger.CollectiveKeyInput{
		ID: k.keyID, ParamSetID: workerSet.Name(), PublicKeyDigest: pkDigest, PublicKeyURI: store.URI(pkDigest),
		TranscriptDigests: []string{evkDigest},
		Participants:      []string{mspID(statOffice), mspID(hospitalA), mspID(hospitalB)},
		Threshold:         env.Net.Definition().Threshold,
	})
	require.NoError(t, err)
	return k
}

// submitEncrypted has a hospital encrypt n random admissions of the dataset's schema,
// upload the ciphertext blob and register the submission with its real digest. It adds
// the hospital's admissions by region to byRegion.
func submitEncrypted(t *testing.T, ctx context.Context, org string, store *blobstore.Bucket, k *inProcessKeys, ds ledger.Dataset, period string, n int, byRegion []int64) {
	t.Helper()
	layout, err := cube.NewLayout(ds.Schema, workerSet.RowSlots())
	require.NoError(t, err)
	c := layout.NewCube(workerSet.MaxAggregate())
	rng := mrand.New(mrand.NewPCG(uint64(len(org)), uint64(n)))
	codes := make([]int, len(ds.Schema.Dimensions))
	values := make([]int64, len(ds.Schema.Measures))
	for range n {
		for i, d := range ds.Schema.Dimensions {
			codes[i] = rng.IntN(len(d.Codes))
		}
		for j, m := range ds.Schema.Measures {
			values[j] = m.Min + rng.Int64N(m.Max-m.Min+1)
		}
		require.NoError(t, c.Add(codes, values))
		byRegion[codes[0]]++
	}
	enc, err := encrypt.New(workerSet, layout, k.pk)
	require.NoError(t, err)
	blob, err := enc.Encrypt(c)
	require.NoError(t, err)
	d, err := store.Put(ctx, blob)
	require.NoError(t, err)
	_, err = connect(t, org).SubmitData(ctx, ledger.SubmissionInput{DatasetID: ds.ID, Period: period, ParamSetID: workerSet.Name(),
		Records: c.Records(), Ciphertexts: []ledger.Ciphertext{{Digest: d, Size: int64(len(blob)), URI: store.URI(d)}}})
	require.NoError(t, err, "submission of %s", org)
}

// stallingStore is the blob store of a worker that hangs mid-job: every read blocks
// until the worker is killed. fetching is closed at the first read.
type stallingStore struct {
	*blobstore.Bucket
	once     sync.Once
	fetching chan struct{}
}

func (s *stallingStore) Get(ctx context.Context, _ string) ([]byte, error) {
	s.once.Do(func() { close(s.fetching) })
	<-ctx.Done()
	return nil, ctx.Err()
}

// syncLog is a log sink safe for a worker's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWorkerKilledMidJobIsTakenOverAfterItsLeaseExpires runs the fault of issue 7 on the
// real network: a worker hears of the approved query, claims it and is killed while
// fetching the inputs, without releasing anything; a second worker (another identity of
// the worker organisation) respects the live lease, takes the job over once it expires,
// computes the query on the real encrypted submissions and posts the result, which
// decrypts to the exact counts.
func TestWorkerKilledMidJobIsTakenOverAfterItsLeaseExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	store, err := blobstore.Open(ctx, "file://"+t.TempDir())
	require.NoError(t, err)
	defer store.Close()

	keys := recordRealKey(t, ctx, store)
	stat := connect(t, statOffice)
	ds, err := stat.RegisterDataset(ctx, ledger.DatasetInput{
		ID: unique("admissions"), Title: "Hospital admissions (worker e2e)", KeyID: keys.keyID,
		ParamSetID: workerSet.Name(), Schema: shippedSchema(t), Policy: shippedPolicy(t),
	})
	require.NoError(t, err)
	const period = "2026-Q4"
	byRegion := make([]int64, len(ds.Schema.Dimensions[0].Codes))
	submitEncrypted(t, ctx, hospitalA, store, keys, ds, period, 3000, byRegion)
	submitEncrypted(t, ctx, hospitalB, store, keys, ds, period, 2000, byRegion)
	settle(t, ctx)

	// The first worker follows events (its scans are an hour apart), so the approval's
	// event is what brings the job in.
	w1Client := connectRaw(t, statOffice)
	w1API := ledgerapi.New(w1Client)
	w1Self, err := w1API.GetCaller(ctx)
	require.NoError(t, err)
	w1Store := &stallingStore{Bucket: store, fetching: make(chan struct{})}
	var w1Log syncLog
	w1, err := worker.New(worker.Config{Lease: 5 * time.Second, PollEvery: time.Hour, Datasets: []string{ds.ID},
		CheckpointFile: t.TempDir() + "/events.checkpoint"},
		w1API, w1Store, keys, worker.WithEvents(w1Client), worker.WithLogger(slog.New(slog.NewJSONHandler(&w1Log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	w1Ctx, kill := context.WithCancel(ctx)
	w1Done := make(chan error, 1)
	go func() { w1Done <- w1.Run(w1Ctx) }()
	defer kill()

	q, err := stat.RequestQuery(ctx, countQuery(ds, period, unique("idem")))
	require.NoError(t, err)
	settle(t, ctx)
	_, err = connect(t, hospitalA).ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	settle(t, ctx)
	q, err = connect(t, hospitalB).ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	require.Equal(t, ledger.StatusApproved, q.Status)
	require.Len(t, q.InputDigests, 2)

	select {
	case <-w1Store.fetching:
	case <-time.After(30 * time.Second):
		t.Fatalf("the first worker did not start the job; its log:\n%s", w1Log.String())
	}
	job, err := stat.GetJob(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusLeased, job.Status)
	require.Equal(t, w1Self.ID, job.Lease.WorkerID)
	kill() // no release: the lease stays until it expires
	require.NoError(t, <-w1Done)
	require.Contains(t, w1Log.String(), `"stage":"lease"`)
	results, err := stat.ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Empty(t, results, "the killed worker posted nothing")
	job, err = stat.GetJob(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, w1Self.ID, job.Lease.WorkerID, "the lease outlives the worker")

	// The second worker acts as another identity of StatOffice, so it must wait for the
	// lease; its scans find the expired lease (no event announces an expiry).
	adminID, err := env.Net.Admin(statOffice)
	require.NoError(t, err)
	w2Client, err := fabric.Connect(adminID, fabric.Target{Channel: env.Net.Layout().ChannelID, Chaincode: env.Net.Layout().ChaincodeName})
	require.NoError(t, err)
	defer w2Client.Close()
	w2API := ledgerapi.New(w2Client)
	w2Self, err := w2API.GetCaller(ctx)
	require.NoError(t, err)
	require.NotEqual(t, w1Self.ID, w2Self.ID)
	var w2Log syncLog
	w2, err := worker.New(worker.Config{Lease: 5 * time.Second, PollEvery: 500 * time.Millisecond, Datasets: []string{ds.ID}},
		w2API, store, keys, worker.WithLogger(slog.New(slog.NewJSONHandler(&w2Log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	w2Ctx, stopW2 := context.WithCancel(ctx)
	w2Done := make(chan error, 1)
	go func() { w2Done <- w2.Run(w2Ctx) }()
	defer func() {
		stopW2()
		<-w2Done
	}()

	var got ledger.Query
	if !assert.Eventually(t, func() bool {
		got, err = stat.GetQuery(ctx, q.ID)
		return err == nil && got.Status == ledger.StatusDecrypting
	}, 2*time.Minute, 250*time.Millisecond, "the second worker's result") {
		t.Fatalf("query %s is %s; the second worker's log:\n%s", q.ID, got.Status, w2Log.String())
	}
	require.Contains(t, w2Log.String(), "leased by a worker of "+mspID(statOffice), "the live lease was respected")

	settle(t, ctx)
	results, err = stat.ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, results, 1)
	r := results[0]
	require.Equal(t, w2Self.ID, r.WorkerID)
	require.True(t, r.PostedAt.After(job.Lease.ExpiresAt), "posted at %s, before the lease expired at %s", r.PostedAt, job.Lease.ExpiresAt)
	require.Equal(t, q.InputDigests, r.InputDigests)
	require.Equal(t, r.OutputDigest, got.OutputDigest)
	job, err = stat.GetJob(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusDone, job.Status)
	require.Equal(t, 2, job.Claims)

	// The posted result is what anyone re-running the query gets, and it decrypts to the
	// exact admissions by region.
	layout, err := cube.NewLayout(ds.Schema, workerSet.RowSlots())
	require.NoError(t, err)
	plan, err := layout.Plan(q.Spec)
	require.NoError(t, err)
	data, err := store.Get(ctx, r.OutputDigest)
	require.NoError(t, err)
	require.Equal(t, store.URI(r.OutputDigest), r.OutputURI)
	require.Equal(t, int64(len(data)), r.OutputSize)
	var inputs []eval.Input
	for _, d := range q.InputDigests {
		b, err := store.Get(ctx, d)
		require.NoError(t, err)
		inputs = append(inputs, eval.Input{Data: b, Digest: codec.Digest(b)})
	}
	ev, err := eval.NewEvaluator(workerSet, layout, keys.evk)
	require.NoError(t, err)
	again, err := ev.Run(plan, inputs)
	require.NoError(t, err)
	require.Equal(t, data, again.Data, "evaluation is reproducible")

	cts, err := eval.DecodeResult(workerSet, plan.Output, data, nil)
	require.NoError(t, err)
	enc, dec := bgv.NewEncoder(workerSet.BGV()), rlwe.NewDecryptor(workerSet.RLWE(), keys.sk)
	slots := make([][]uint64, len(cts))
	for i, ct := range cts {
		slots[i] = make([]uint64, workerSet.Slots())
		require.NoError(t, enc.Decode(dec.DecryptNew(ct), slots[i]))
	}
	regions := ds.Schema.Dimensions[0].Codes
	require.Len(t, plan.Output.Cells, len(regions))
	for _, cell := range plan.Output.Cells {
		i := slices.Index(regions, cell.Group[0])
		require.Equal(t, uint64(byRegion[i]), slots[cell.Ciphertext][cell.Slot], "admissions in region %s", cell.Group[0])
	}
}
