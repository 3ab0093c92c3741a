package keyceremony

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/statledger/statledger/chaincode/ledger"
)

// LocalHolder is one key holder of a local ceremony: its MSP ID, where its key share goes
// and what seals it.
type LocalHolder struct {
	// MSPID is the holder's MSP ID, a key holder of the consortium.
	MSPID string
	// KeySharePath is the file of the holder's sealed threshold key.
	KeySharePath string
	// Protection seals the holder's secrets at rest.
	Protection Protection
}

// LocalInput describes a local ceremony.
type LocalInput struct {
	// KeyID is the ID the collective key gets on the ledger.
	KeyID string
	// ParamSet is the parameter set's name (params.Named).
	ParamSet string
	// Holders are every key holder of the consortium, in any order.
	Holders []LocalHolder
}

// LocalResult is the outcome of RunLocal.
type LocalResult struct {
	// Setup is the ceremony's setup; zero when the key existed already.
	Setup SetupResult `json:"setup"`
	// Contributions are the holders' contributions in Shamir order; nil when the key
	// existed already.
	Contributions []Contribution `json:"contributions"`
	// Published is the published manifest and the ledger record.
	Published Published `json:"published"`
	// Existing says the key was recorded by an earlier run and every holder's key share
	// opens and matches it: nothing was done.
	Existing bool `json:"existing"`
}

// RunLocal runs every step of a ceremony in one process for every key holder of the
// consortium (in.Holders, each with its own key share path and protection), the demo's
// way: NewTransport for each holder, NewSetup, Contribute and Finalize for each holder
// (holders concurrently), and Publish, recording the key as the caller of l, which must be
// one of the holders. If the key in.KeyID is already recorded and every holder's key
// share opens and belongs to it, RunLocal does nothing and reports Existing, so a demo can
// be re-run. Errors wrap ErrHolders (the holders are not exactly the consortium's key
// holders, or repeat an MSP ID or key share path) or are those of the steps and of Load.
func RunLocal(ctx context.Context, l Ledger, store Blobs, in LocalInput) (LocalResult, error) {
	if err := validID("key ID", in.KeyID); err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: %w", err)
	}
	msps, paths := map[string]bool{}, map[string]bool{}
	for _, h := range in.Holders {
		if msps[h.MSPID] {
			return LocalResult{}, fmt.Errorf("local ceremony: %w: %s is given twice", ErrHolders, h.MSPID)
		}
		if h.KeySharePath == "" {
			return LocalResult{}, fmt.Errorf("local ceremony: %w: %s has no key share path", ErrHolders, h.MSPID)
		}
		if paths[h.KeySharePath] {
			return LocalResult{}, fmt.Errorf("local ceremony: %w: two holders share the key share path %s", ErrHolders, h.KeySharePath)
		}
		msps[h.MSPID], paths[h.KeySharePath] = true, true
		if err := h.Protection.check(); err != nil {
			return LocalResult{}, fmt.Errorf("local ceremony: holder %s: %w", h.MSPID, err)
		}
	}
	if _, err := l.GetCollectiveKey(ctx, in.KeyID); err == nil {
		return existingLocal(ctx, l, store, in)
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return LocalResult{}, fmt.Errorf("local ceremony: read collective key %s: %w", in.KeyID, err)
	}
	c, err := l.GetConsortium(ctx)
	if err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: read the consortium: %w", err)
	}
	given := slices.Sorted(func(yield func(string) bool) {
		for m := range msps {
			if !yield(m) {
				return
			}
		}
	})
	if want := c.KeyHolders(); !slices.Equal(given, want) {
		return LocalResult{}, fmt.Errorf("local ceremony: %w: the holders given are %s, the consortium's key holders are %s", ErrHolders, strings.Join(given, ", "), strings.Join(want, ", "))
	}
	byMSP := map[string]LocalHolder{}
	recipients := map[string]string{}
	for _, h := range in.Holders {
		tr, err := NewTransport(h.KeySharePath, h.Protection)
		if err != nil {
			return LocalResult{}, fmt.Errorf("local ceremony: holder %s: %w", h.MSPID, err)
		}
		recipients[h.MSPID], byMSP[h.MSPID] = tr.Recipient, h
	}
	var out LocalResult
	if out.Setup, err = NewSetup(ctx, l, store, in.ParamSet, recipients); err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: %w", err)
	}
	ordered := make([]LocalHolder, len(out.Setup.Holders))
	for i, msp := range out.Setup.Holders {
		ordered[i] = byMSP[msp]
	}
	out.Contributions = make([]Contribution, len(ordered))
	if err := eachHolder(ordered, func(i int, h LocalHolder) (err error) {
		out.Contributions[i], err = Contribute(ctx, store, out.Setup.Digest, h.KeySharePath, h.Protection)
		return err
	}); err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: %w", err)
	}
	digests := make([]string, len(ordered))
	for i, c := range out.Contributions {
		digests[i] = c.MessageDigest
	}
	if err := eachHolder(ordered, func(_ int, h LocalHolder) error {
		_, err := Finalize(ctx, store, out.Setup.Digest, digests, h.KeySharePath, h.Protection)
		return err
	}); err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: %w", err)
	}
	if out.Published, err = Publish(ctx, l, store, PublishInput{KeyID: in.KeyID, SetupDigest: out.Setup.Digest, MessageDigests: digests}); err != nil {
		// The key shares are written: the ceremony is complete but for its publication,
		// which anyone may retry with the public digests.
		return LocalResult{}, fmt.Errorf("local ceremony: every key share is written but publishing failed (retry with setup %s and messages %s): %w",
			out.Setup.Digest, strings.Join(digests, ","), err)
	}
	return out, nil
}

// existingLocal checks that every holder's key share belongs to the recorded key.
func existingLocal(ctx context.Context, l Ledger, store Blobs, in LocalInput) (LocalResult, error) {
	ks, err := Load(ctx, l, store, in.KeyID, WithoutEvaluationKeys())
	if err != nil {
		return LocalResult{}, fmt.Errorf("local ceremony: key %s is already recorded: %w", in.KeyID, err)
	}
	if in.ParamSet != "" && in.ParamSet != ks.Set().Name() {
		return LocalResult{}, fmt.Errorf("local ceremony: key %s is already recorded with parameter set %s, not %s", in.KeyID, ks.Set().Name(), in.ParamSet)
	}
	holders := make([]string, 0, len(in.Holders))
	for _, h := range in.Holders {
		holders = append(holders, h.MSPID)
		if _, err := ks.LoadThresholdKey(h.MSPID, h.KeySharePath, h.Protection); err != nil {
			return LocalResult{}, fmt.Errorf("local ceremony: key %s is already recorded: %w", in.KeyID, err)
		}
	}
	sort.Strings(holders)
	if want := slices.Sorted(slices.Values(ks.Holders())); !slices.Equal(holders, want) {
		return LocalResult{}, fmt.Errorf("local ceremony: %w: key %s is already recorded for the holders %s", ErrHolders, in.KeyID, strings.Join(want, ", "))
	}
	return LocalResult{Existing: true, Published: Published{Manifest: ks.Manifest(), ManifestDigest: ks.ManifestDigest(), Key: ks.Record(), AlreadyRecorded: true}}, nil
}

// eachHolder runs f for every holder concurrently and returns the errors joined, each
// naming its holder's key share path.
func eachHolder(hs []LocalHolder, f func(i int, h LocalHolder) error) error {
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() {
			if err := f(i, h); err != nil {
				errs[i] = fmt.Errorf("holder %s: %w", h.MSPID, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
