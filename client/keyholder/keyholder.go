// Package keyholder is a key-holding member's side of threshold decryption: for a query
// that the ledger says is ready to decrypt and that names this organisation among its
// decryptors, it checks the query's history on the ledger, re-derives what the share is
// for from the ledger alone (the agreed result digest, the analyst's key, the active set,
// the noise calibrated from the dataset's policy), produces its one decryption share
// with its part of the differential-privacy noise, persists it before anything leaves
// the process, uploads it and records its digest on the ledger.
//
// A share is produced once per result, ever (LATTIGO-NOTES: never re-run a threshold
// protocol): the share journal returns the identical bytes for the identical request, so
// a holder that crashed after persisting re-posts the same share, and refuses any other
// request for the same ciphertexts.
//
// A Holder is safe for concurrent use.
package keyholder

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/eval"
)

// ErrNotReady means the ledger does not (yet) allow this holder to share for the query;
// the message says which check failed.
var ErrNotReady = errors.New("keyholder: the query may not be decrypted by this holder")

// Ledger is what a key holder reads and writes on the ledger; *ledgerapi.API implements it.
type Ledger interface {
	GetQuery(ctx context.Context, queryID string) (ledger.Query, error)
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
	GetBudget(ctx context.Context, datasetID string) (ledger.Budget, error)
	ListResults(ctx context.Context, queryID string) ([]ledger.Result, error)
	ListDecryptionShares(ctx context.Context, queryID string) ([]ledger.DecryptionShare, error)
	PostDecryptionShare(ctx context.Context, in ledger.ShareInput) (ledger.DecryptionShare, error)
}

// Store is the blob store; *blobstore.Bucket implements it.
type Store interface {
	Get(ctx context.Context, digest string) ([]byte, error)
	Put(ctx context.Context, data []byte) (string, error)
	URI(digest string) string
}

// Keys opens the collective key a dataset names and this holder's threshold key of it.
type Keys interface {
	KeySet(ctx context.Context, keyID string) (*keyceremony.KeySet, error)
	ThresholdKey(ks *keyceremony.KeySet) (*ceremony.ThresholdKey, error)
}

// Holder produces one organisation's decryption shares.
type Holder struct {
	MSPID   string
	Ledger  Ledger
	Store   Store
	Keys    Keys
	Journal decrypt.Journal
	// MinHonest is how many of a query's decryptors are trusted to add their noise and
	// keep it secret (dp.Params.MinHonest); zero means all of them.
	MinHonest int
	// Rand is the noise's randomness; nil means crypto/rand.Reader.
	Rand io.Reader
}

// Share produces, persists and records this holder's decryption share for queryID, or
// returns the share it recorded before. It returns an error wrapping ErrNotReady when a
// ledger check fails (not a decryptor, results missing or disagreeing, budget not
// debited), the ledger's errors, and those of the cryptography (such as
// decrypt.ErrAlreadyShared when asked to share the same ciphertexts for another request).
func (h *Holder) Share(ctx context.Context, queryID string) (ledger.DecryptionShare, error) {
	q, err := h.Ledger.GetQuery(ctx, queryID)
	if err != nil {
		return ledger.DecryptionShare{}, err
	}
	if prev, ok, err := h.posted(ctx, q.ID); err != nil || ok {
		return prev, err
	}
	if err := h.check(ctx, q); err != nil {
		return ledger.DecryptionShare{}, err
	}
	req, ks, err := h.request(ctx, q)
	if err != nil {
		return ledger.DecryptionShare{}, err
	}
	key, err := h.Keys.ThresholdKey(ks)
	if err != nil {
		return ledger.DecryptionShare{}, err
	}
	rng := h.Rand
	if rng == nil {
		rng = rand.Reader
	}
	blob, err := decrypt.NewShare(key, req, h.Journal, rng)
	if err != nil {
		return ledger.DecryptionShare{}, fmt.Errorf("decryption share of query %s: %w", q.ID, err)
	}
	digest, err := h.Store.Put(ctx, blob)
	if err != nil {
		return ledger.DecryptionShare{}, err
	}
	rec, err := h.Ledger.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: digest, URI: h.Store.URI(digest), Size: int64(len(blob))})
	if errors.Is(err, ledger.ErrConflict) {
		// A post that reached the ledger before a crash: the journal gave the same bytes.
		if prev, ok, perr := h.posted(ctx, q.ID); perr == nil && ok && prev.Digest == digest {
			return prev, nil
		}
	}
	return rec, err
}

// posted returns this holder's share of the query if the ledger has one.
func (h *Holder) posted(ctx context.Context, queryID string) (ledger.DecryptionShare, bool, error) {
	shares, err := h.Ledger.ListDecryptionShares(ctx, queryID)
	if err != nil {
		return ledger.DecryptionShare{}, false, err
	}
	for _, s := range shares {
		if s.KeyHolder == h.MSPID {
			return s, true, nil
		}
	}
	return ledger.DecryptionShare{}, false, nil
}

// check verifies on the ledger that the holder may share for q: q is decrypting, names
// this holder among its decryptors, its budget was debited, and the required number of
// worker organisations posted the agreed output digest with no disagreeing result.
func (h *Holder) check(ctx context.Context, q ledger.Query) error {
	if q.Status != ledger.StatusDecrypting {
		return fmt.Errorf("%w: query %s is %s, not decrypting", ErrNotReady, q.ID, q.Status)
	}
	if !slices.Contains(q.Decryptors, h.MSPID) {
		return fmt.Errorf("%w: %s is not among the decryptors %v of query %s", ErrNotReady, h.MSPID, q.Decryptors, q.ID)
	}
	results, err := h.Ledger.ListResults(ctx, q.ID)
	if err != nil {
		return err
	}
	agree := map[string]bool{}
	for _, r := range results {
		if r.OutputDigest != q.OutputDigest {
			return fmt.Errorf("%w: worker %s posted output %s, not the agreed %s", ErrNotReady, r.WorkerMSPID, r.OutputDigest, q.OutputDigest)
		}
		if !slices.Equal(r.InputDigests, q.InputDigests) {
			return fmt.Errorf("%w: worker %s computed on inputs other than the frozen ones", ErrNotReady, r.WorkerMSPID)
		}
		agree[r.WorkerMSPID] = true
	}
	if len(agree) < q.RequiredResults {
		return fmt.Errorf("%w: %d of %d required worker results for query %s", ErrNotReady, len(agree), q.RequiredResults, q.ID)
	}
	b, err := h.Ledger.GetBudget(ctx, q.DatasetID)
	if err != nil {
		return err
	}
	if b.SpentMicroEpsilon < q.EpsilonMicro {
		return fmt.Errorf("%w: dataset %s has spent %d micro-epsilon, less than query %s's %d", ErrNotReady, q.DatasetID, b.SpentMicroEpsilon, q.ID, q.EpsilonMicro)
	}
	return nil
}

// request re-derives, from the ledger and the blob store only, what the share is for.
func (h *Holder) request(ctx context.Context, q ledger.Query) (decrypt.Request, *keyceremony.KeySet, error) {
	ds, err := h.Ledger.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	ks, err := h.Keys.KeySet(ctx, ds.KeyID)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	set := ks.Set()
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	plan, err := layout.Plan(q.Spec)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	resultDigest, err := blobstore.ParseDigest(q.OutputDigest)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	data, err := h.Store.Get(ctx, q.OutputDigest)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	result, err := eval.DecodeResult(set, plan.Output, data, &resultDigest)
	if err != nil {
		return decrypt.Request{}, nil, fmt.Errorf("result of query %s: %w", q.ID, err)
	}
	analystDigest, err := blobstore.ParseDigest(q.AnalystKeyDigest)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	analystBlob, err := h.Store.Get(ctx, q.AnalystKeyDigest)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	analyst, err := decrypt.ParseAnalystPublic(set, analystBlob, &analystDigest)
	if err != nil {
		return decrypt.Request{}, nil, fmt.Errorf("analyst key of query %s: %w", q.ID, err)
	}
	active, err := ActiveSet(ks, q.Decryptors)
	if err != nil {
		return decrypt.Request{}, nil, err
	}
	req := decrypt.Request{ResultDigest: resultDigest, Result: result, Analyst: analyst, Active: active}
	if !ds.Policy.NoiseOff {
		noise, err := Noise(ds, q, plan.Output, len(active), h.MinHonest)
		if err != nil {
			return decrypt.Request{}, nil, err
		}
		req.Noise, req.NoiseSlots = &noise, plan.Output.NoiseSlots()
	}
	return req, ks, nil
}

// ActiveSet maps a query's decryptors (MSP IDs) to their Shamir indexes in the key's
// ceremony, ascending.
func ActiveSet(ks *keyceremony.KeySet, decryptors []string) ([]int, error) {
	active := make([]int, 0, len(decryptors))
	for _, m := range decryptors {
		i, ok := ks.HolderIndex(m)
		if !ok {
			return nil, fmt.Errorf("%w: decryptor %s holds no share of key %s", ErrNotReady, m, ks.ID())
		}
		active = append(active, i)
	}
	slices.Sort(active)
	return active, nil
}

// Noise is the per-holder differential-privacy noise of query q: calibrated from the
// query's epsilon, the policy's delta and the sensitivity of the released vector, shared
// by the query's decryptors, of which minHonest (zero: all) are trusted. Every holder and
// the auditor derive the same value.
func Noise(ds ledger.Dataset, q ledger.Query, out cube.Output, parties, minHonest int) (dp.Noise, error) {
	l1, l2, err := out.Sensitivity(ds.Schema)
	if err != nil {
		return dp.Noise{}, err
	}
	delta, err := strconv.ParseFloat(ds.Policy.Delta, 64)
	if err != nil {
		return dp.Noise{}, fmt.Errorf("delta %q of dataset %s: %w", ds.Policy.Delta, ds.ID, err)
	}
	return dp.CalibrateParams(dp.Params{L1: l1, L2: l2, EpsilonMicro: q.EpsilonMicro, Delta: delta, Parties: parties, MinHonest: minHonest, MaxValues: len(out.Cells)})
}
