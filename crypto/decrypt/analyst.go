package decrypt

import (
	"fmt"

	"filippo.io/age"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// AnalystKey is an analyst's own RLWE key pair: decryption shares re-encrypt a result
// to its public key, and only its secret key decrypts the combined result. The secret
// key is generated locally and never leaves the analyst. Immutable and safe for
// concurrent use.
type AnalystKey struct {
	set *params.Set
	sk  *rlwe.SecretKey
	pk  *rlwe.PublicKey
}

// NewAnalystKey generates a fresh key pair for set from the operating system's
// randomness. Safe for concurrent use.
func NewAnalystKey(set *params.Set) *AnalystKey {
	kg := rlwe.NewKeyGenerator(set.RLWE())
	sk, pk := kg.GenKeyPairNew()
	return &AnalystKey{set: set, sk: sk, pk: pk}
}

// Set returns the key's parameter set.
func (a *AnalystKey) Set() *params.Set { return a.set }

// PublicKey returns the public key (do not modify it).
func (a *AnalystKey) PublicKey() *rlwe.PublicKey { return a.pk }

// PublicBytes returns the public key as a codec.KindAnalystPublic blob, to publish with
// the query request; its SHA-256 is the analyst-key digest in every decryption share.
func (a *AnalystKey) PublicBytes() ([]byte, error) {
	return ceremony.EncodePublicKey(a.set, codec.KindAnalystPublic, [32]byte{}, a.pk)
}

// ParseAnalystPublic strictly decodes an analyst public-key blob; if digest is not nil
// the blob's SHA-256 must equal it. Every error wraps codec.ErrFormat. Safe for
// concurrent use.
func ParseAnalystPublic(set *params.Set, data []byte, digest *[32]byte) (*rlwe.PublicKey, error) {
	pk, ref, err := ceremony.DecodePublicKey(set, codec.KindAnalystPublic, data, digest)
	if err != nil {
		return nil, err
	}
	if ref != ([32]byte{}) {
		return nil, fmt.Errorf("decode analyst public key: nonzero reference: %w", codec.ErrFormat)
	}
	return pk, nil
}

// AnalystDigest returns the SHA-256 of pk's codec.KindAnalystPublic encoding (the digest
// of AnalystKey.PublicBytes). It returns an error for a key of another parameter set.
func AnalystDigest(set *params.Set, pk *rlwe.PublicKey) ([32]byte, error) {
	b, err := ceremony.EncodePublicKey(set, codec.KindAnalystPublic, [32]byte{}, pk)
	if err != nil {
		return [32]byte{}, err
	}
	return codec.Digest(b), nil
}

// MarshalBinary encodes the key pair as a codec.KindAnalystSecret blob: secret, seal it
// (Save) rather than store it.
func (a *AnalystKey) MarshalBinary() ([]byte, error) {
	w, err := codec.NewWriter(codec.Header{Kind: codec.KindAnalystSecret, Params: a.set.Name(),
		Level: a.set.TopLevel(), Count: 1}, 3*codec.QPBytes(a.sk.Value))
	if err != nil {
		return nil, err
	}
	w.QP(a.sk.Value)
	w.QP(a.pk.Value[0])
	w.QP(a.pk.Value[1])
	return w.Bytes(), nil
}

// ParseAnalystKey strictly decodes a key pair encoded by MarshalBinary. Every error
// wraps codec.ErrFormat. Safe for concurrent use.
func ParseAnalystKey(set *params.Set, data []byte) (*AnalystKey, error) {
	p := set.RLWE()
	a := &AnalystKey{set: set, sk: rlwe.NewSecretKey(p), pk: rlwe.NewPublicKey(p)}
	size := 3 * codec.QPBytes(a.sk.Value)
	_, r, err := codec.Open(data, nil, codec.KindAnalystSecret, set, func(h codec.Header) (int, error) {
		if h.Level != set.TopLevel() || h.Count != 1 || h.Aux1 != 0 || h.Aux2 != 0 || h.Ref != ([32]byte{}) {
			return 0, fmt.Errorf("unexpected header fields")
		}
		return size, nil
	})
	if err != nil {
		return nil, err
	}
	q, pm := set.BGV().Q(), set.BGV().P()
	for _, x := range append([]ringqp.Poly{a.sk.Value}, a.pk.Value...) {
		if err := r.QP(x, q, pm); err != nil {
			return nil, fmt.Errorf("decode analyst key: %w", err)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("decode analyst key: %w", err)
	}
	return a, nil
}

// Save seals the key pair with age to r and writes it to a new file at path with mode
// 0600 (ceremony.SaveSecret); it never overwrites.
func (a *AnalystKey) Save(path string, r age.Recipient) error {
	b, err := a.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(b)
	return ceremony.SaveSecret(path, b, r)
}

// LoadAnalystKey reads a key pair written by Save and decrypts it with ids. Errors are
// ceremony.LoadSecret's or wrap codec.ErrFormat.
func LoadAnalystKey(set *params.Set, path string, ids ...age.Identity) (*AnalystKey, error) {
	b, err := ceremony.LoadSecret(path, ids...)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return ParseAnalystKey(set, b)
}

// Decrypt decrypts result ciphertexts re-encrypted to this key (the output of Combine)
// and decodes every slot as a centred integer in [-(t-1)/2, (t-1)/2] for the plaintext
// modulus t: one row of set.Slots() values per ciphertext. It returns an error wrapping
// ErrInvalid for a ciphertext of another shape. Safe for concurrent use.
func (a *AnalystKey) Decrypt(switched []*rlwe.Ciphertext) ([][]int64, error) {
	for i, ct := range switched {
		if err := checkCiphertext(a.set, ct, -1); err != nil {
			return nil, fmt.Errorf("decrypt ciphertext %d: %w", i, err)
		}
	}
	p := a.set.BGV()
	dec := rlwe.NewDecryptor(p, a.sk)
	ecd := bgv.NewEncoder(p)
	out := make([][]int64, len(switched))
	for i, ct := range switched {
		pt := bgv.NewPlaintext(p, ct.Level())
		dec.Decrypt(ct, pt)
		out[i] = make([]int64, a.set.Slots())
		if err := ecd.Decode(pt, out[i]); err != nil {
			return nil, fmt.Errorf("decode ciphertext %d: %w", i, err)
		}
	}
	return out, nil
}

// Open checks that shares were made for this analyst key, combines them (Combine) and
// decrypts the result (Decrypt): the analyst's one call. Errors wrap ErrMismatch for a
// share made for another analyst key, and those of Combine and Decrypt. Safe for
// concurrent use.
func (a *AnalystKey) Open(resultDigest [32]byte, result []*rlwe.Ciphertext, shares []*Share) ([][]int64, error) {
	own, err := AnalystDigest(a.set, a.pk)
	if err != nil {
		return nil, err
	}
	for _, s := range shares {
		if s != nil && s.Analyst != own {
			return nil, fmt.Errorf("%w: share of holder %d is for another analyst key", ErrMismatch, s.Holder)
		}
	}
	switched, err := Combine(a.set, resultDigest, result, shares)
	if err != nil {
		return nil, err
	}
	return a.Decrypt(switched)
}
