package compute_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/crypto/params/paramstest"
	"github.com/statledger/statledger/policies"
)

var testSet = paramstest.Set

// testKeys returns the shared test keys (paramstest.Keys) without the secret key.
func testKeys() (*rlwe.PublicKey, *rlwe.MemEvaluationKeySet) {
	_, pk, evk := paramstest.Keys()
	return pk, evk
}

// keys serves the test key under "key-1" and counts its loads.
type keys struct {
	mu    sync.Mutex
	loads int
	set   *params.Set
	none  bool
}

func (k *keys) EvaluationKeys(_ context.Context, id string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loads++
	if id != "key-1" {
		return nil, nil, fmt.Errorf("no key %s", id)
	}
	if k.none {
		return nil, nil, nil
	}
	_, evk := testKeys()
	set := testSet
	if k.set != nil {
		set = k.set
	}
	return set, evk, nil
}

func schema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"R1", "R2", "R3"}}},
		Measures:   []policies.Measure{{Name: "stay", Min: 0, Max: 30}},
	}
}

// world is a dataset with two encrypted submissions in a memory blob store.
type world struct {
	store   *blobstore.Bucket
	ds      ledger.Dataset
	q       ledger.Query
	digests []string
}

func newWorld(t *testing.T) *world {
	pk, _ := testKeys()
	l, err := cube.NewLayout(schema(), testSet.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	store, err := blobstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	w := &world{store: store, ds: ledger.Dataset{ID: "d-1", KeyID: "key-1", ParamSetID: testSet.Name(), Schema: schema()}}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 2 {
		c := l.NewCube(testSet.MaxAggregate())
		for range 50 {
			require.NoError(t, c.Add([]int{rng.IntN(3)}, []int64{rng.Int64N(31)}))
		}
		blob, err := enc.Encrypt(c)
		require.NoError(t, err)
		d, err := store.Put(context.Background(), blob)
		require.NoError(t, err)
		w.digests = append(w.digests, d)
	}
	w.q = ledger.Query{ID: "q-1", DatasetID: "d-1", Spec: policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}, InputDigests: w.digests}
	return w
}

func stageOf(t *testing.T, err error) string {
	t.Helper()
	var ce *compute.Error
	require.True(t, errors.As(err, &ce), "a *compute.Error: %v", err)
	return ce.Stage
}

func TestRunningTwiceGivesTheSameResultDigest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	task, err := compute.Prepare(ctx, &keys{}, w.ds, w.q)
	require.NoError(t, err)
	var digests [][32]byte
	for range 2 {
		inputs, size, err := compute.Fetch(ctx, w.store, w.q.InputDigests)
		require.NoError(t, err)
		require.Len(t, inputs, 2)
		require.Equal(t, int64(len(inputs[0].Data)+len(inputs[1].Data)), size)
		res, err := task.Run(inputs)
		require.NoError(t, err)
		require.Equal(t, blobstore.Digest(res.Data), fmt.Sprintf("%x", res.Digest))
		digests = append(digests, res.Digest)
	}
	require.Equal(t, digests[0], digests[1])
}

func TestPrepareNamesTheStageThatFailed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	otherSet := params.MustNamed(params.N14T58)

	_, err := compute.Prepare(ctx, &keys{}, ledger.Dataset{ID: "d-2", KeyID: "key-2", ParamSetID: testSet.Name(), Schema: schema()}, w.q)
	require.Equal(t, compute.StageKeys, stageOf(t, err))
	require.ErrorContains(t, err, "key-2")

	_, err = compute.Prepare(ctx, &keys{none: true}, w.ds, w.q)
	require.Equal(t, compute.StageKeys, stageOf(t, err))
	require.ErrorContains(t, err, "no keys")

	_, err = compute.Prepare(ctx, &keys{set: otherSet}, w.ds, w.q)
	require.Equal(t, compute.StageKeys, stageOf(t, err))
	require.ErrorContains(t, err, "parameter set")

	bad := w.q
	bad.Spec.GroupBy = []string{"ward"}
	_, err = compute.Prepare(ctx, &keys{}, w.ds, bad)
	require.Equal(t, compute.StagePlan, stageOf(t, err))
	require.ErrorContains(t, err, "plan query q-1")
}

func TestFetchNamesEveryInputItCannotRead(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	missing := blobstore.Digest([]byte("never stored"))
	_, _, err := compute.Fetch(ctx, w.store, []string{w.digests[0], missing, w.digests[1], missing})
	require.Equal(t, compute.StageFetch, stageOf(t, err))
	ies := compute.InputErrors(err)
	require.Len(t, ies, 2)
	require.Equal(t, 1, ies[0].Index)
	require.Equal(t, 3, ies[1].Index)
	require.Equal(t, missing, ies[0].Digest)
	require.ErrorIs(t, ies[0], blobstore.ErrNotFound)

	_, _, err = compute.Fetch(ctx, w.store, []string{"zz"})
	require.Equal(t, compute.StageFetch, stageOf(t, err))
	require.ErrorContains(t, err, "malformed digest")
	require.Empty(t, compute.InputErrors(err))
}

func TestRunRefusesAnInputThatDoesNotMatchItsDigest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	task, err := compute.Prepare(ctx, &keys{}, w.ds, w.q)
	require.NoError(t, err)
	inputs, _, err := compute.Fetch(ctx, w.store, w.q.InputDigests)
	require.NoError(t, err)
	inputs[1].Data = bytes.Clone(inputs[1].Data)
	inputs[1].Data[len(inputs[1].Data)/2] ^= 1
	_, err = task.Run(inputs)
	require.Equal(t, compute.StageEvaluate, stageOf(t, err))
}

func TestKeyCacheLoadsEachKeyOnce(t *testing.T) {
	src := &keys{}
	c := compute.NewKeyCache(src)
	for range 3 {
		set, evk, err := c.EvaluationKeys(context.Background(), "key-1")
		require.NoError(t, err)
		require.Equal(t, testSet.Name(), set.Name())
		require.NotNil(t, evk)
	}
	require.Equal(t, 1, src.loads)
	_, _, err := c.EvaluationKeys(context.Background(), "key-2")
	require.ErrorContains(t, err, "no key key-2")
	_, _, err = compute.NewKeyCache(&keys{none: true}).EvaluationKeys(context.Background(), "key-1")
	require.ErrorContains(t, err, "no keys")
}
