package keyceremony

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// KeySet is a collective key recorded on the ledger, with its public objects fetched from
// the blob store and checked: what providers (PublicKey), workers (EvaluationKeys), key
// holders (HolderIndex, LoadThresholdKey) and auditors need. Obtain one with Load. It is
// immutable and safe for concurrent use.
type KeySet struct {
	record         ledger.CollectiveKey
	manifest       Manifest
	manifestDigest string
	setup          ceremony.Setup
	setupDigest    [32]byte
	set            *params.Set
	pk             *rlwe.PublicKey
	evk            *rlwe.MemEvaluationKeySet
}

// LoadOption configures Load.
type LoadOption func(*loadConfig)

type loadConfig struct{ withoutEvaluationKeys bool }

// WithoutEvaluationKeys makes Load skip the rotation keys (about 45 MB at N14T58), for
// programs that only encrypt: KeySet.EvaluationKeys then returns nil.
func WithoutEvaluationKeys() LoadOption {
	return func(c *loadConfig) { c.withoutEvaluationKeys = true }
}

// Load reads the collective key keyID from the ledger and fetches its manifest (the
// record's only transcript digest), the ceremony's setup, the public key and, unless
// WithoutEvaluationKeys, the rotation keys from the blob store. It checks that the
// manifest names this key and agrees with the record (parameter set, threshold,
// participants, public key digest) and with the setup (parameter set, threshold,
// recipients), and decodes the key blobs strictly against their digests and the setup's
// digest. Errors wrap ErrMismatch or ErrManifest for objects that disagree or do not
// decode (a tampered or mixed-up transcript), codec.ErrFormat, params.ErrUnknown, or are
// the ledger's (such as ledger.ErrNotFound) and the store's (such as
// blobstore.ErrNotFound and blobstore.ErrCorrupt).
func Load(ctx context.Context, l KeyReader, store BlobReader, keyID string, opts ...LoadOption) (*KeySet, error) {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	rec, err := l.GetCollectiveKey(ctx, keyID)
	if err != nil {
		return nil, fmt.Errorf("load collective key %s: %w", keyID, err)
	}
	ks, err := loadRecord(ctx, store, rec, cfg)
	if err != nil {
		return nil, fmt.Errorf("load collective key %s: %w", keyID, err)
	}
	return ks, nil
}

func loadRecord(ctx context.Context, store BlobReader, rec ledger.CollectiveKey, cfg loadConfig) (*KeySet, error) {
	if len(rec.TranscriptDigests) != 1 {
		return nil, fmt.Errorf("%w: the record has %d transcript digests, want exactly one (the manifest)", ErrMismatch, len(rec.TranscriptDigests))
	}
	ks := &KeySet{record: rec, manifestDigest: rec.TranscriptDigests[0]}
	if err := validDigest("manifest digest", ks.manifestDigest); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMismatch, err)
	}
	data, err := getExpect(ctx, store, ks.manifestDigest)
	if err != nil {
		return nil, fmt.Errorf("fetch the manifest: %w", err)
	}
	if ks.manifest, err = DecodeManifest(data); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", ks.manifestDigest, err)
	}
	m := ks.manifest
	participants := make([]string, len(m.Holders))
	for i, h := range m.Holders {
		participants[i] = h.MSPID
	}
	sort.Strings(participants)
	recParticipants := slices.Clone(rec.Participants)
	sort.Strings(recParticipants)
	switch {
	case m.KeyID != rec.ID:
		return nil, fmt.Errorf("%w: the manifest is of key %s", ErrMismatch, m.KeyID)
	case m.ParamSet != rec.ParamSetID:
		return nil, fmt.Errorf("%w: the manifest's parameter set %s differs from the record's %s", ErrMismatch, m.ParamSet, rec.ParamSetID)
	case m.Threshold != rec.Threshold:
		return nil, fmt.Errorf("%w: the manifest's threshold %d differs from the record's %d", ErrMismatch, m.Threshold, rec.Threshold)
	case m.PublicKeyDigest != rec.PublicKeyDigest:
		return nil, fmt.Errorf("%w: the manifest's public key %s differs from the record's %s", ErrMismatch, m.PublicKeyDigest, rec.PublicKeyDigest)
	case !slices.Equal(participants, recParticipants):
		return nil, fmt.Errorf("%w: the manifest's holders differ from the record's participants", ErrMismatch)
	}
	if ks.set, err = params.Named(m.ParamSet); err != nil {
		return nil, err
	}
	if ks.setup, _, err = fetchSetup(ctx, store, m.SetupDigest); err != nil {
		return nil, err
	}
	if ks.setup.ParamSet != m.ParamSet || ks.setup.Threshold != m.Threshold || len(ks.setup.Holders) != len(m.Holders) {
		return nil, fmt.Errorf("%w: the manifest and setup %s disagree on the parameter set, threshold or holders", ErrMismatch, m.SetupDigest)
	}
	for i, h := range m.Holders {
		if ks.setup.Holders[i] != h.Recipient {
			return nil, fmt.Errorf("%w: holder %s's transport recipient differs between the manifest and the setup", ErrMismatch, h.MSPID)
		}
	}
	ks.setupDigest = ks.setup.Digest()
	if ks.pk, err = fetchPublicKey(ctx, store, ks.set, m.PublicKeyDigest, ks.setupDigest); err != nil {
		return nil, err
	}
	if !cfg.withoutEvaluationKeys {
		if ks.evk, err = fetchEvaluationKeys(ctx, store, ks.set, m.EvaluationKeysDigest, ks.setupDigest); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

func fetchPublicKey(ctx context.Context, store BlobReader, set *params.Set, digest string, setup [32]byte) (*rlwe.PublicKey, error) {
	data, err := getExpect(ctx, store, digest)
	if err != nil {
		return nil, fmt.Errorf("fetch the public key: %w", err)
	}
	want, _ := hexDigest(digest)
	pk, ref, err := ceremony.DecodePublicKey(set, codec.KindPublicKey, data, &want)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", digest, err)
	}
	if ref != setup {
		return nil, fmt.Errorf("%w: public key %s is of another ceremony", ErrMismatch, digest)
	}
	return pk, nil
}

func fetchEvaluationKeys(ctx context.Context, store BlobReader, set *params.Set, digest string, setup [32]byte) (*rlwe.MemEvaluationKeySet, error) {
	data, err := getExpect(ctx, store, digest)
	if err != nil {
		return nil, fmt.Errorf("fetch the rotation keys: %w", err)
	}
	want, _ := hexDigest(digest)
	evk, ref, err := ceremony.DecodeGaloisKeys(set, data, &want)
	if err != nil {
		return nil, fmt.Errorf("rotation keys %s: %w", digest, err)
	}
	if ref != setup {
		return nil, fmt.Errorf("%w: rotation keys %s are of another ceremony", ErrMismatch, digest)
	}
	return evk, nil
}

func hexDigest(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("%q is not a SHA-256 digest", s)
	}
	copy(d[:], b)
	return d, nil
}

// ID returns the collective key's ID.
func (ks *KeySet) ID() string { return ks.record.ID }

// Record returns the collective key's ledger record.
func (ks *KeySet) Record() ledger.CollectiveKey { return ks.record }

// Manifest returns the ceremony's manifest.
func (ks *KeySet) Manifest() Manifest { return ks.manifest }

// ManifestDigest returns the manifest blob's digest.
func (ks *KeySet) ManifestDigest() string { return ks.manifestDigest }

// SetupDigest returns the ceremony's setup digest, which every key blob and every
// threshold key of the ceremony carries (ceremony.ThresholdKey.Setup).
func (ks *KeySet) SetupDigest() [32]byte { return ks.setupDigest }

// Set returns the parameter set.
func (ks *KeySet) Set() *params.Set { return ks.set }

// PublicKey returns the collective public key providers encrypt under. The caller must
// not modify it.
func (ks *KeySet) PublicKey() *rlwe.PublicKey { return ks.pk }

// EvaluationKeys returns the collective rotation keys query evaluation uses, or nil if
// the set was loaded WithoutEvaluationKeys. The caller must not modify them.
func (ks *KeySet) EvaluationKeys() *rlwe.MemEvaluationKeySet { return ks.evk }

// Threshold returns t: the number of holders whose decryption shares combine.
func (ks *KeySet) Threshold() int { return ks.manifest.Threshold }

// Holders returns the holders' MSP IDs in Shamir order: holder i is at i-1.
func (ks *KeySet) Holders() []string {
	out := make([]string, len(ks.manifest.Holders))
	for i, h := range ks.manifest.Holders {
		out[i] = h.MSPID
	}
	return out
}

// HolderIndex returns the 1-based Shamir index of the holder mspID, which decryption's
// active sets are made of, and false if mspID is not a holder of this key.
func (ks *KeySet) HolderIndex(mspID string) (int, bool) { return ks.manifest.HolderIndex(mspID) }

// LoadThresholdKey opens the threshold key of holder mspID sealed at keySharePath with
// prot (the files Finalize wrote) and checks that it is this key's: same ceremony,
// parameter set, threshold, number of holders and the holder's index. Errors wrap
// ErrNotHolder, ErrNoKeyShare (and fs.ErrNotExist) for a missing file, ErrMismatch for a
// key share of another ceremony or holder, ErrProtection, ceremony.ErrPermissions for a
// file readable by others, age's error when prot does not open it, or codec.ErrFormat.
// Safe for concurrent use.
func (ks *KeySet) LoadThresholdKey(mspID, keySharePath string, prot Protection) (*ceremony.ThresholdKey, error) {
	holder, ok := ks.HolderIndex(mspID)
	if !ok {
		return nil, fmt.Errorf("load key share: %w: %s is not a holder of collective key %s", ErrNotHolder, mspID, ks.ID())
	}
	if err := prot.check(); err != nil {
		return nil, err
	}
	if keySharePath == "" {
		return nil, fmt.Errorf("load key share of %s: %w: no key share path", mspID, ErrNoKeyShare)
	}
	if _, err := os.Lstat(keySharePath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load key share of %s: %w at %s (%w)", mspID, ErrNoKeyShare, keySharePath, fs.ErrNotExist)
	}
	tk, err := ceremony.LoadThresholdKey(ks.set, keySharePath, prot.identity)
	if err != nil {
		return nil, fmt.Errorf("load key share of %s with the %s: %w", mspID, prot, err)
	}
	switch {
	case tk.Setup() != ks.setupDigest:
		return nil, fmt.Errorf("load key share of %s: %w: %s is from ceremony %s, not %s of key %s", mspID, ErrMismatch, keySharePath, digestHex(tk.Setup()), digestHex(ks.setupDigest), ks.ID())
	case tk.Holder() != holder || tk.Holders() != len(ks.manifest.Holders) || tk.Threshold() != ks.Threshold():
		return nil, fmt.Errorf("load key share of %s: %w: %s is holder %d of %d (threshold %d), want holder %d of %d (threshold %d)", mspID, ErrMismatch,
			keySharePath, tk.Holder(), tk.Holders(), tk.Threshold(), holder, len(ks.manifest.Holders), ks.Threshold())
	}
	return tk, nil
}

// VerifyTranscript re-derives the ceremony's public outputs from the holders' round
// messages named in the manifest (ceremony.Aggregate) and checks that they encode to the
// recorded public-key and rotation-key blobs, byte for byte: an auditor's check that the
// collective key is the one the holders' contributions make. It fetches every message
// (about 45 MB each at N14T58). Errors wrap ErrMismatch, ceremony.ErrTranscript, or are
// the store's.
func (ks *KeySet) VerifyTranscript(ctx context.Context, store BlobReader) error {
	digests := make([]string, len(ks.manifest.Holders))
	for i, h := range ks.manifest.Holders {
		digests[i] = h.MessageDigest
	}
	msgs, err := fetchMessages(ctx, store, ks.setup, digests)
	if err != nil {
		return fmt.Errorf("verify transcript of key %s: %w", ks.ID(), err)
	}
	for i, m := range msgs {
		if m.Holder != i+1 {
			return fmt.Errorf("verify transcript of key %s: %w: the message listed for holder %d is holder %d's", ks.ID(), ErrMismatch, i+1, m.Holder)
		}
	}
	keys, err := ceremony.Aggregate(ks.setup, msgs)
	if err != nil {
		return fmt.Errorf("verify transcript of key %s: %w", ks.ID(), err)
	}
	pk, err := ceremony.EncodePublicKey(ks.set, codec.KindPublicKey, ks.setupDigest, keys.PublicKey)
	if err != nil {
		return fmt.Errorf("verify transcript of key %s: %w", ks.ID(), err)
	}
	gk, err := ceremony.EncodeGaloisKeys(ks.set, ks.setupDigest, keys.EvaluationKeys)
	if err != nil {
		return fmt.Errorf("verify transcript of key %s: %w", ks.ID(), err)
	}
	if digestHex(codec.Digest(pk)) != ks.manifest.PublicKeyDigest {
		return fmt.Errorf("verify transcript of key %s: %w: the messages give another public key", ks.ID(), ErrMismatch)
	}
	if digestHex(codec.Digest(gk)) != ks.manifest.EvaluationKeysDigest {
		return fmt.Errorf("verify transcript of key %s: %w: the messages give other rotation keys", ks.ID(), ErrMismatch)
	}
	return nil
}

// PublicKeys finds collective public keys through the ledger and the blob store, checked
// as Load checks them, without fetching rotation keys. It implements the Keys interface
// of package submit. It is safe for concurrent use if Ledger and Store are.
type PublicKeys struct {
	// Ledger reads collective key records.
	Ledger KeyReader
	// Store is the blob store the keys' blobs are in.
	Store BlobReader
}

// PublicKey returns the parameter set and collective public key of the key keyID. Its
// errors are Load's.
func (p PublicKeys) PublicKey(ctx context.Context, keyID string) (*params.Set, *rlwe.PublicKey, error) {
	ks, err := Load(ctx, p.Ledger, p.Store, keyID, WithoutEvaluationKeys())
	if err != nil {
		return nil, nil, err
	}
	return ks.Set(), ks.PublicKey(), nil
}
