// Package analyst is the requesting analyst's side of a query's end: the analyst's own
// key pair (generated locally, sealed at rest, its public half published for the key
// holders to re-encrypt towards), and the release: gather the decryptors' shares from
// the ledger and the blob store, check that each was made for this query's result, this
// analyst's key and the noise the policy calls for, combine and decrypt them, derive the
// published table (package release: means, variances, suppressed and flagged small
// cells), publish it in the blob store and record its digest and URI on the ledger.
//
// A Releaser is safe for concurrent use if its Ledger, Store and Keys are.
package analyst

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/keyholder"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
)

// ErrNotReady means the query does not have every decryptor's share yet.
var ErrNotReady = errors.New("analyst: the query is not ready for release")

// ErrBadShare means a share on the ledger was not made for this query's result, this
// analyst's key or the policy's noise.
var ErrBadShare = errors.New("analyst: a decryption share does not fit the query")

// LoadOrCreateKey opens the analyst key pair sealed at path, or generates one for set
// and seals it there when the file does not exist (created is then true).
func LoadOrCreateKey(path string, set *params.Set, prot keyceremony.Protection) (key *decrypt.AnalystKey, created bool, err error) {
	data, err := prot.Open(path)
	if err == nil {
		key, err := decrypt.ParseAnalystKey(set, data)
		if err != nil {
			return nil, false, fmt.Errorf("analyst key %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("open analyst key %s: %w", path, err)
	}
	key = decrypt.NewAnalystKey(set)
	secret, err := key.MarshalBinary()
	if err != nil {
		return nil, false, err
	}
	if err := prot.Seal(path, secret); err != nil {
		return nil, false, fmt.Errorf("seal analyst key %s: %w", path, err)
	}
	return key, true, nil
}

// Store is the blob store; *blobstore.Bucket implements it.
type Store interface {
	Get(ctx context.Context, digest string) ([]byte, error)
	Put(ctx context.Context, data []byte) (string, error)
	URI(digest string) string
}

// PublishKey uploads the public half of key and returns its digest and URI, which a
// query request names (ledger.QueryInput.AnalystKeyDigest and AnalystKeyURI).
func PublishKey(ctx context.Context, store Store, key *decrypt.AnalystKey) (digest, uri string, err error) {
	pub, err := key.PublicBytes()
	if err != nil {
		return "", "", err
	}
	if digest, err = store.Put(ctx, pub); err != nil {
		return "", "", err
	}
	return digest, store.URI(digest), nil
}

// Ledger is what the release reads and writes; *ledgerapi.API implements it.
type Ledger interface {
	GetQuery(ctx context.Context, queryID string) (ledger.Query, error)
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
	ListDecryptionShares(ctx context.Context, queryID string) ([]ledger.DecryptionShare, error)
	RecordRelease(ctx context.Context, in ledger.ReleaseInput) (ledger.Release, error)
	GetRelease(ctx context.Context, queryID string) (ledger.Release, error)
}

// Keys opens the collective key a dataset names.
type Keys interface {
	KeySet(ctx context.Context, keyID string) (*keyceremony.KeySet, error)
}

// Releaser opens and releases an analyst's queries.
type Releaser struct {
	Ledger Ledger
	Store  Store
	Keys   Keys
	// Key opens the analyst key pair of a parameter set (LoadOrCreateKey, typically).
	Key func(set *params.Set) (*decrypt.AnalystKey, error)
}

// Open decrypts a ready query's result and returns its published table. It checks
// every share against the ledger (ErrBadShare) and returns ErrNotReady while a
// decryptor's share is missing.
func (r *Releaser) Open(ctx context.Context, queryID string) (*release.Table, ledger.Query, error) {
	q, err := r.Ledger.GetQuery(ctx, queryID)
	if err != nil {
		return nil, q, err
	}
	if q.Status != ledger.StatusReady && q.Status != ledger.StatusReleased {
		return nil, q, fmt.Errorf("%w: query %s is %s", ErrNotReady, q.ID, q.Status)
	}
	ds, err := r.Ledger.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return nil, q, err
	}
	ks, err := r.Keys.KeySet(ctx, ds.KeyID)
	if err != nil {
		return nil, q, err
	}
	set := ks.Set()
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	if err != nil {
		return nil, q, err
	}
	plan, err := layout.Plan(q.Spec)
	if err != nil {
		return nil, q, err
	}
	key, err := r.Key(set)
	if err != nil {
		return nil, q, err
	}
	if err := checkAnalystKey(set, key, q); err != nil {
		return nil, q, err
	}
	resultDigest, err := blobstore.ParseDigest(q.OutputDigest)
	if err != nil {
		return nil, q, err
	}
	data, err := r.Store.Get(ctx, q.OutputDigest)
	if err != nil {
		return nil, q, err
	}
	result, err := eval.DecodeResult(set, plan.Output, data, &resultDigest)
	if err != nil {
		return nil, q, fmt.Errorf("result of query %s: %w", q.ID, err)
	}
	shares, err := r.shares(ctx, set, ds, q, ks, plan.Output)
	if err != nil {
		return nil, q, err
	}
	values, err := key.Open(resultDigest, result, shares)
	if err != nil {
		return nil, q, fmt.Errorf("decrypt query %s: %w", q.ID, err)
	}
	cells, err := release.CellsFromOutput(plan.Output, values)
	if err != nil {
		return nil, q, err
	}
	t, err := release.New(release.Input{DatasetID: ds.ID, QueryID: q.ID, Schema: ds.Schema, Policy: ds.Policy, Query: q.Spec, Cells: cells})
	return t, q, err
}

// Release opens the query, publishes its table (canonical JSON) in the blob store and
// records its release on the ledger: the table's digest and URI, and the table itself
// when the dataset's releases are public. Releasing a released query again records
// nothing and returns the recorded release, after checking that the table is the same.
func (r *Releaser) Release(ctx context.Context, queryID string) (*release.Table, ledger.Release, error) {
	t, q, err := r.Open(ctx, queryID)
	if err != nil {
		return nil, ledger.Release{}, err
	}
	if q.Status == ledger.StatusReleased {
		rel, err := r.Ledger.GetRelease(ctx, q.ID)
		if err != nil {
			return nil, rel, err
		}
		if rel.TableDigest != t.Digest() {
			return nil, rel, fmt.Errorf("query %s was released with table %s, but its shares decrypt to table %s", q.ID, rel.TableDigest, t.Digest())
		}
		return t, rel, nil
	}
	ds, err := r.Ledger.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return nil, ledger.Release{}, err
	}
	rel, err := r.record(ctx, q, ds.Policy.PublicReleases, t)
	return t, rel, err
}

// record publishes the canonical table t of query q in the blob store and records the
// release with the table's digest and URI, and the table itself when public.
func (r *Releaser) record(ctx context.Context, q ledger.Query, public bool, t *release.Table) (ledger.Release, error) {
	canonical := t.Canonical()
	digest, err := r.Store.Put(ctx, canonical)
	if err != nil {
		return ledger.Release{}, fmt.Errorf("publish the table of query %s: %w", q.ID, err)
	}
	if digest != t.Digest() {
		return ledger.Release{}, fmt.Errorf("the blob store stored the table of query %s under digest %s, not %s", q.ID, digest, t.Digest())
	}
	in := ledger.ReleaseInput{QueryID: q.ID, Format: ledger.FormatJSON, TableDigest: digest, TableURI: r.Store.URI(digest), Suppressed: t.Suppressed()}
	if public {
		in.Table = string(canonical)
	}
	return r.Ledger.RecordRelease(ctx, in)
}

// shares fetches and checks every decryptor's share of q.
func (r *Releaser) shares(ctx context.Context, set *params.Set, ds ledger.Dataset, q ledger.Query, ks *keyceremony.KeySet, out cube.Output) ([]*decrypt.Share, error) {
	recs, err := r.Ledger.ListDecryptionShares(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	if len(recs) < len(q.Decryptors) {
		return nil, fmt.Errorf("%w: %d of %d decryption shares of query %s", ErrNotReady, len(recs), len(q.Decryptors), q.ID)
	}
	active, err := keyholder.ActiveSet(ks, q.Decryptors)
	if err != nil {
		return nil, err
	}
	wantNoise := [32]byte{}
	if !ds.Policy.NoiseOff {
		noise, err := keyholder.Noise(ds, q, out, len(active), 0)
		if err != nil {
			return nil, err
		}
		wantNoise = decrypt.NoiseDigest(&noise, out.NoiseSlots())
	}
	var shares []*decrypt.Share
	for _, rec := range recs {
		d, err := blobstore.ParseDigest(rec.Digest)
		if err != nil {
			return nil, err
		}
		data, err := r.Store.Get(ctx, rec.Digest)
		if err != nil {
			return nil, err
		}
		s, err := decrypt.ParseShare(set, data, &d)
		if err != nil {
			return nil, fmt.Errorf("%w: share of %s: %v", ErrBadShare, rec.KeyHolder, err)
		}
		if idx, ok := ks.HolderIndex(rec.KeyHolder); !ok || idx != s.Holder {
			return nil, fmt.Errorf("%w: the share recorded by %s was made by holder %d", ErrBadShare, rec.KeyHolder, s.Holder)
		}
		if subtle.ConstantTimeCompare(s.Noise[:], wantNoise[:]) != 1 {
			return nil, fmt.Errorf("%w: %s's share carries noise other than the policy's", ErrBadShare, rec.KeyHolder)
		}
		shares = append(shares, s)
	}
	return shares, nil
}

// checkAnalystKey makes sure the query names this analyst's key.
func checkAnalystKey(set *params.Set, key *decrypt.AnalystKey, q ledger.Query) error {
	d, err := decrypt.AnalystDigest(set, key.PublicKey())
	if err != nil {
		return err
	}
	if hex.EncodeToString(d[:]) != q.AnalystKeyDigest {
		return fmt.Errorf("query %s is re-encrypted to analyst key %s, not to this analyst's key %x", q.ID, q.AnalystKeyDigest, d)
	}
	return nil
}
