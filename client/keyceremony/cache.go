package keyceremony

import (
	"context"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/params"
)

// Cache loads each collective key once (Load, with its rotation keys) and keeps it: a key
// ID is recorded on the ledger once and never changes, so a long-running worker or key
// holder need not fetch 45 MB of rotation keys per job. Failed loads are not cached. It
// implements the Keys interfaces of packages submit (PublicKey) and worker
// (EvaluationKeys). It is safe for concurrent use; concurrent first loads of one key are
// done once.
type Cache struct {
	ledger KeyReader
	store  BlobReader

	mu   sync.Mutex
	keys map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	ks   *KeySet
	err  error
}

// NewCache returns an empty cache over the ledger and the blob store.
func NewCache(l KeyReader, store BlobReader) *Cache {
	return &Cache{ledger: l, store: store, keys: map[string]*cacheEntry{}}
}

// KeySet returns the key set of keyID, loading it on first use. Its errors are Load's.
func (c *Cache) KeySet(ctx context.Context, keyID string) (*KeySet, error) {
	c.mu.Lock()
	e, ok := c.keys[keyID]
	if !ok {
		e = &cacheEntry{}
		c.keys[keyID] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.ks, e.err = Load(ctx, c.ledger, c.store, keyID) })
	if e.err != nil {
		c.mu.Lock()
		if c.keys[keyID] == e {
			delete(c.keys, keyID)
		}
		c.mu.Unlock()
		return nil, e.err
	}
	return e.ks, nil
}

// PublicKey returns the parameter set and collective public key of keyID. Its errors are
// Load's.
func (c *Cache) PublicKey(ctx context.Context, keyID string) (*params.Set, *rlwe.PublicKey, error) {
	ks, err := c.KeySet(ctx, keyID)
	if err != nil {
		return nil, nil, err
	}
	return ks.Set(), ks.PublicKey(), nil
}

// EvaluationKeys returns the parameter set and collective rotation keys of keyID. Its
// errors are Load's.
func (c *Cache) EvaluationKeys(ctx context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	ks, err := c.KeySet(ctx, keyID)
	if err != nil {
		return nil, nil, err
	}
	return ks.Set(), ks.EvaluationKeys(), nil
}
