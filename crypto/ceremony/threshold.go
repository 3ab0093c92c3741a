package ceremony

import (
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// ErrActiveSet is wrapped when an active set of holders is not exactly t distinct
// holders of the ceremony including the caller.
var ErrActiveSet = errors.New("ceremony: invalid active set")

// ThresholdKey is one holder's t-of-n share of the collective secret key: the sum of the
// Shamir shares it received. It is secret: keep it only sealed at rest (Save). It is
// immutable and safe for concurrent use.
type ThresholdKey struct {
	set       *params.Set
	setup     [32]byte
	holder    int
	holders   int
	threshold int
	share     multiparty.ShamirSecretShare
}

// Set returns the key's parameter set.
func (k *ThresholdKey) Set() *params.Set { return k.set }

// Setup returns the digest of the ceremony that made the key.
func (k *ThresholdKey) Setup() [32]byte { return k.setup }

// Holder returns the holder's 1-based index, which is also its Shamir point.
func (k *ThresholdKey) Holder() int { return k.holder }

// Holders returns n, the number of holders of the ceremony.
func (k *ThresholdKey) Holders() int { return k.holders }

// Threshold returns t.
func (k *ThresholdKey) Threshold() int { return k.threshold }

// CheckActive returns an error wrapping ErrActiveSet unless active lists exactly
// Threshold distinct holders in 1..Holders, in ascending order, including this one.
func (k *ThresholdKey) CheckActive(active []int) error {
	if len(active) != k.threshold {
		return fmt.Errorf("%w: %d holders, the threshold is %d", ErrActiveSet, len(active), k.threshold)
	}
	for i, a := range active {
		if a < 1 || a > k.holders {
			return fmt.Errorf("%w: holder %d of %d", ErrActiveSet, a, k.holders)
		}
		if i > 0 && a <= active[i-1] {
			return fmt.Errorf("%w: holders must be distinct and ascending", ErrActiveSet)
		}
	}
	if !slices.Contains(active, k.holder) {
		return fmt.Errorf("%w: holder %d is not in it", ErrActiveSet, k.holder)
	}
	return nil
}

// AdditiveShare converts the key into this holder's t-out-of-t additive share of the
// collective secret for the given active set (multiparty.Combiner.GenAdditiveShare): the
// active holders' additive shares sum to the collective secret key. The caller owns the
// result and should wipe it after use. Errors wrap ErrActiveSet.
func (k *ThresholdKey) AdditiveShare(active []int) (*rlwe.SecretKey, error) {
	if err := k.CheckActive(active); err != nil {
		return nil, err
	}
	points := make([]multiparty.ShamirPublicPoint, len(active))
	for i, a := range active {
		points[i] = multiparty.ShamirPublicPoint(a)
	}
	own := multiparty.ShamirPublicPoint(k.holder)
	cmb := multiparty.NewCombiner(k.set.RLWE(), own, points, k.threshold)
	sk := rlwe.NewSecretKey(k.set.RLWE())
	if err := cmb.GenAdditiveShare(points, own, k.share, sk); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrActiveSet, err)
	}
	return sk, nil
}

// MarshalBinary encodes the key as a codec.KindThresholdKey blob. The result is secret:
// seal it (Save) rather than store it.
func (k *ThresholdKey) MarshalBinary() ([]byte, error) {
	w, err := codec.NewWriter(codec.Header{Kind: codec.KindThresholdKey, Params: k.set.Name(), Level: k.set.TopLevel(),
		Count: k.holders, Aux1: uint64(k.holder), Aux2: uint64(k.threshold), Ref: k.setup}, qpFullBytes(k.set))
	if err != nil {
		return nil, err
	}
	w.QP(k.share.Poly)
	return w.Bytes(), nil
}

// ParseThresholdKey strictly decodes a key encoded by MarshalBinary. Every error wraps
// codec.ErrFormat. Safe for concurrent use.
func ParseThresholdKey(set *params.Set, data []byte) (*ThresholdKey, error) {
	h, r, err := codec.Open(data, nil, codec.KindThresholdKey, set, func(h codec.Header) (int, error) {
		if h.Level != set.TopLevel() || h.Count < 1 || h.Count > params.MaxHolders ||
			h.Aux1 < 1 || h.Aux1 > uint64(h.Count) || h.Aux2 < 1 || h.Aux2 > uint64(h.Count) {
			return 0, fmt.Errorf("unexpected header fields")
		}
		return qpFullBytes(set), nil
	})
	if err != nil {
		return nil, err
	}
	thr := multiparty.NewThresholdizer(set.RLWE())
	k := &ThresholdKey{set: set, setup: h.Ref, holder: int(h.Aux1), holders: h.Count, threshold: int(h.Aux2),
		share: thr.AllocateThresholdSecretShare()}
	if err := readQP(r, set, k.share.Poly); err != nil {
		return nil, fmt.Errorf("decode threshold key: %w", err)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("decode threshold key: %w", err)
	}
	return k, nil
}

// Save seals the key with age to r (a passphrase's age.ScryptRecipient or an
// identity file's age.X25519Recipient) and writes it to a new file at path with mode
// 0600 (SaveSecret). It never overwrites an existing file.
func (k *ThresholdKey) Save(path string, r age.Recipient) error {
	b, err := k.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(b)
	return SaveSecret(path, b, r)
}

// LoadThresholdKey reads a key written by Save and decrypts it with ids. Errors are
// LoadSecret's, or wrap codec.ErrFormat. Safe for concurrent use.
func LoadThresholdKey(set *params.Set, path string, ids ...age.Identity) (*ThresholdKey, error) {
	b, err := LoadSecret(path, ids...)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return ParseThresholdKey(set, b)
}
