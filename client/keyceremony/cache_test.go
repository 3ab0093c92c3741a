package keyceremony_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/submit"
	"github.com/statledger/statledger/crypto/params"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// The cache serves providers (submit.Keys) and workers (worker.Keys' method).
var (
	_ submit.Keys = (*keyceremony.Cache)(nil)
	_ interface {
		EvaluationKeys(ctx context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error)
	} = (*keyceremony.Cache)(nil)
	_ submit.Keys = keyceremony.PublicKeys{}
)

// countingLedger counts collective-key reads.
type countingLedger struct {
	keyceremony.KeyReader
	reads atomic.Int64
}

func (c *countingLedger) GetCollectiveKey(ctx context.Context, id string) (ledger.CollectiveKey, error) {
	c.reads.Add(1)
	return c.KeyReader.GetCollectiveKey(ctx, id)
}

func TestCacheLoadsEachKeyOnceAndRetriesFailures(t *testing.T) {
	ctx := context.Background()
	f := runLocal(t, "key-c")
	l := &countingLedger{KeyReader: f.ledger}
	c := keyceremony.NewCache(l, f.store)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			set, evk, err := c.EvaluationKeys(ctx, "key-c")
			require.NoError(t, err)
			require.Equal(t, testSet, set.Name())
			require.NotNil(t, evk)
			_, pk, err := c.PublicKey(ctx, "key-c")
			require.NoError(t, err)
			require.NotNil(t, pk)
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), l.reads.Load())

	_, err := c.KeySet(ctx, "key-later")
	require.ErrorIs(t, err, ledger.ErrNotFound)
	f.ledger.keys["key-later"] = f.ledger.keys["key-c"]
	f.ledger.edit("key-later", func(k *ledger.CollectiveKey) { k.ID = "key-later" })
	_, err = c.KeySet(ctx, "key-later")
	require.ErrorIs(t, err, keyceremony.ErrMismatch, "the manifest names key-c")
	require.Equal(t, int64(3), l.reads.Load())
}
