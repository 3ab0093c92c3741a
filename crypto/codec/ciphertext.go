package codec

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/params"
)

// CiphertextsSize returns the exact size in bytes of a blob of count degree-1
// ciphertexts at level under set: the header plus 2·(level+1)·N coefficients each.
func CiphertextsSize(set *params.Set, level, count int) int {
	return HeaderSize + count*2*(level+1)*set.N()*8
}

// EncodeCiphertexts writes cts as a blob of the given kind: ref goes into the header's
// Ref field (the caller's binding, e.g. a layout fingerprint), Level is the level of the
// ciphertexts and Count their number. Every ciphertext must be of degree 1, at the same
// level of set's ring, in the NTT domain. It returns an error for an empty or
// inconsistent list. Safe for concurrent use; cts are only read.
func EncodeCiphertexts(kind Kind, set *params.Set, ref [32]byte, cts []*rlwe.Ciphertext) ([]byte, error) {
	if len(cts) == 0 {
		return nil, fmt.Errorf("write %s: no ciphertexts", kind)
	}
	level := cts[0].Level()
	for i, ct := range cts {
		if err := checkCiphertext(set, ct, level); err != nil {
			return nil, fmt.Errorf("write %s: ciphertext %d: %w", kind, i, err)
		}
	}
	size := CiphertextsSize(set, level, len(cts))
	w, err := NewWriter(Header{Kind: kind, Params: set.Name(), Level: level, Count: len(cts), Ref: ref}, size-HeaderSize)
	if err != nil {
		return nil, err
	}
	for _, ct := range cts {
		w.Poly(ct.Value[0])
		w.Poly(ct.Value[1])
	}
	return w.Bytes(), nil
}

// checkCiphertext reports whether ct is a degree-1 NTT ciphertext of set's ring at level.
func checkCiphertext(set *params.Set, ct *rlwe.Ciphertext, level int) error {
	if ct == nil || ct.MetaData == nil || len(ct.Value) != 2 || !ct.IsNTT {
		return fmt.Errorf("not a degree-1 NTT ciphertext")
	}
	if level < 0 || level > set.TopLevel() {
		return fmt.Errorf("level %d outside 0..%d", level, set.TopLevel())
	}
	for _, p := range ct.Value {
		if len(p.Coeffs) != level+1 {
			return fmt.Errorf("%d moduli, want %d", len(p.Coeffs), level+1)
		}
		for _, row := range p.Coeffs {
			if len(row) != set.N() {
				return fmt.Errorf("ring degree %d, want %d", len(row), set.N())
			}
		}
	}
	return nil
}

// DecodeCiphertexts decodes a blob written by EncodeCiphertexts. It checks, in this
// order and before any coefficient is read: the SHA-256 digest (when digest is not nil),
// the magic, version, kind and parameter set, that the level and count are the expected
// ones and Ref equals ref, and the exact size; then it copies every coefficient,
// refusing any not below its prime. The ciphertexts it returns are freshly allocated,
// of degree 1, in the NTT domain, with the scale set.ResultScale(level). Lattigo never
// sees the bytes, so no input can make it panic. Every error wraps ErrFormat (and
// ErrDigest for a digest mismatch). Safe for concurrent use.
func DecodeCiphertexts(data []byte, digest *[32]byte, kind Kind, set *params.Set, ref [32]byte, level, count int) ([]*rlwe.Ciphertext, error) {
	if level < 0 || level > set.TopLevel() || count < 1 {
		return nil, fmt.Errorf("open %s: expected level %d or count %d out of range: %w", kind, level, count, ErrFormat)
	}
	_, r, err := Open(data, digest, kind, set, func(h Header) (int, error) {
		if h.Level != level || h.Count != count {
			return 0, fmt.Errorf("level %d and count %d, want %d and %d", h.Level, h.Count, level, count)
		}
		if h.Ref != ref || h.Aux1 != 0 || h.Aux2 != 0 {
			return 0, fmt.Errorf("header reference does not match")
		}
		return CiphertextsSize(set, level, count) - HeaderSize, nil
	})
	if err != nil {
		return nil, err
	}
	p := set.BGV()
	moduli := p.Q()[:level+1]
	scale := p.NewScale(set.ResultScale(level))
	cts := make([]*rlwe.Ciphertext, count)
	for i := range cts {
		ct := bgv.NewCiphertext(p, 1, level)
		ct.Scale = scale
		for _, poly := range ct.Value {
			if err := r.Poly(poly, moduli); err != nil {
				return nil, fmt.Errorf("open %s: ciphertext %d: %w", kind, i, err)
			}
		}
		cts[i] = ct
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("open %s: %w", kind, err)
	}
	return cts, nil
}
