package ceremony

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// gadgetPolys returns the polynomials of g in encoding order (they share g's memory).
func gadgetPolys(g *rlwe.GadgetCiphertext) []ringqp.Poly {
	var out []ringqp.Poly
	for _, row := range g.Value {
		for _, v := range row {
			out = append(out, v...)
		}
	}
	return out
}

func qpBytes(ps []ringqp.Poly) int {
	n := 0
	for _, p := range ps {
		n += codec.QPBytes(p)
	}
	return n
}

// readQP fills ps from r with the moduli of set.
func readQP(r *codec.Reader, set *params.Set, ps ...ringqp.Poly) error {
	q, p := set.BGV().Q(), set.BGV().P()
	for _, x := range ps {
		if err := r.QP(x, q, p); err != nil {
			return err
		}
	}
	return nil
}

// publicKeyKinds are the blob kinds that hold an RLWE public key.
var publicKeyKinds = map[codec.Kind]bool{codec.KindPublicKey: true, codec.KindAnalystPublic: true}

// EncodePublicKey encodes pk as a blob of the given kind (codec.KindPublicKey for the
// collective key, codec.KindAnalystPublic for an analyst's key) with ref in its header
// (the setup digest for a collective key). It returns an error for another kind or a key
// of other parameters. Safe for concurrent use.
func EncodePublicKey(set *params.Set, kind codec.Kind, ref [32]byte, pk *rlwe.PublicKey) ([]byte, error) {
	if !publicKeyKinds[kind] {
		return nil, fmt.Errorf("encode public key: kind %s does not hold a public key", kind)
	}
	if pk == nil || len(pk.Value) != 2 || !sameShapeQP(set, pk.Value[0]) || !sameShapeQP(set, pk.Value[1]) {
		return nil, fmt.Errorf("encode %s: key does not match parameter set %s", kind, set.Name())
	}
	w, err := codec.NewWriter(codec.Header{Kind: kind, Params: set.Name(), Level: set.TopLevel(), Count: 1, Ref: ref},
		qpBytes(pk.Value))
	if err != nil {
		return nil, err
	}
	for _, p := range pk.Value {
		w.QP(p)
	}
	return w.Bytes(), nil
}

// DecodePublicKey strictly decodes a public-key blob of the given kind: if digest is not
// nil the blob's SHA-256 must equal it, then header and exact size are checked before any
// coefficient is read, and every coefficient must be below its prime. It returns the key
// and the header's ref. Every error wraps codec.ErrFormat. Safe for concurrent use.
func DecodePublicKey(set *params.Set, kind codec.Kind, data []byte, digest *[32]byte) (*rlwe.PublicKey, [32]byte, error) {
	if !publicKeyKinds[kind] {
		return nil, [32]byte{}, fmt.Errorf("decode public key: kind %s does not hold a public key: %w", kind, codec.ErrFormat)
	}
	size := 2 * qpFullBytes(set)
	h, r, err := codec.Open(data, digest, kind, set, func(h codec.Header) (int, error) {
		if h.Level != set.TopLevel() || h.Count != 1 || h.Aux1 != 0 || h.Aux2 != 0 {
			return 0, fmt.Errorf("unexpected header fields")
		}
		return size, nil
	})
	if err != nil {
		return nil, [32]byte{}, err
	}
	pk := rlwe.NewPublicKey(set.RLWE())
	if err := readQP(r, set, pk.Value...); err != nil {
		return nil, [32]byte{}, fmt.Errorf("decode %s: %w", kind, err)
	}
	if err := r.Done(); err != nil {
		return nil, [32]byte{}, fmt.Errorf("decode %s: %w", kind, err)
	}
	return pk, h.Ref, nil
}

// EncodeGaloisKeys encodes the collective rotation keys of evk, one per element of
// set.GaloisElements() in that order, with ref (the setup digest) in the header. It
// returns an error if a key is missing or has another shape. Safe for concurrent use.
func EncodeGaloisKeys(set *params.Set, ref [32]byte, evk *rlwe.MemEvaluationKeySet) ([]byte, error) {
	els := set.GaloisElements()
	if evk == nil {
		return nil, fmt.Errorf("encode rotation keys: no key set")
	}
	keys := make([][]ringqp.Poly, len(els))
	size := 0
	for i, el := range els {
		gk, err := evk.GetGaloisKey(el)
		if err != nil {
			return nil, fmt.Errorf("encode rotation keys: element %d: %w", el, err)
		}
		keys[i] = gadgetPolys(&gk.GadgetCiphertext)
		if len(keys[i]) != galoisKeyPolys(set) {
			return nil, fmt.Errorf("encode rotation keys: element %d has another shape", el)
		}
		for _, p := range keys[i] {
			if !sameShapeQP(set, p) {
				return nil, fmt.Errorf("encode rotation keys: element %d has another shape", el)
			}
		}
		size += qpBytes(keys[i])
	}
	w, err := codec.NewWriter(codec.Header{Kind: codec.KindGaloisKeys, Params: set.Name(), Level: set.TopLevel(),
		Count: len(els), Ref: ref}, size)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		for _, p := range k {
			w.QP(p)
		}
	}
	return w.Bytes(), nil
}

// DecodeGaloisKeys strictly decodes a rotation-key blob (as DecodePublicKey) into an
// evaluation-key set holding a Galois key for every element of set.GaloisElements(),
// and returns it with the header's ref. Every error wraps codec.ErrFormat. Safe for
// concurrent use.
func DecodeGaloisKeys(set *params.Set, data []byte, digest *[32]byte) (*rlwe.MemEvaluationKeySet, [32]byte, error) {
	els := set.GaloisElements()
	size := len(els) * galoisKeyPolys(set) * qpFullBytes(set)
	h, r, err := codec.Open(data, digest, codec.KindGaloisKeys, set, func(h codec.Header) (int, error) {
		if h.Level != set.TopLevel() || h.Count != len(els) || h.Aux1 != 0 || h.Aux2 != 0 {
			return 0, fmt.Errorf("unexpected header fields")
		}
		return size, nil
	})
	if err != nil {
		return nil, [32]byte{}, err
	}
	gks := make([]*rlwe.GaloisKey, len(els))
	for i, el := range els {
		gk := rlwe.NewGaloisKey(set.RLWE())
		if err := readQP(r, set, gadgetPolys(&gk.GadgetCiphertext)...); err != nil {
			return nil, [32]byte{}, fmt.Errorf("decode rotation keys: %w", err)
		}
		gk.GaloisElement = el
		gks[i] = gk
	}
	if err := r.Done(); err != nil {
		return nil, [32]byte{}, fmt.Errorf("decode rotation keys: %w", err)
	}
	return rlwe.NewMemEvaluationKeySet(nil, gks...), h.Ref, nil
}

// qpFullBytes is the encoded size of one polynomial over all primes of Q and P.
func qpFullBytes(set *params.Set) int {
	return 8 * set.N() * (len(set.BGV().Q()) + len(set.BGV().P()))
}

// sameShapeQP reports whether p has set's ring degree and all of its Q and P primes.
func sameShapeQP(set *params.Set, p ringqp.Poly) bool {
	if len(p.Q.Coeffs) != len(set.BGV().Q()) || len(p.P.Coeffs) != len(set.BGV().P()) {
		return false
	}
	for _, rows := range [][][]uint64{p.Q.Coeffs, p.P.Coeffs} {
		for _, row := range rows {
			if len(row) != set.N() {
				return false
			}
		}
	}
	return true
}

// galoisKeyPolys is the number of QP polynomials of one Galois key (or, halved, of one
// Galois key-generation share) of set: the RNS decomposition size times the two-element
// ciphertexts.
func galoisKeyPolys(set *params.Set) int {
	p := set.RLWE()
	return 2 * p.BaseRNSDecompositionVectorSize(p.MaxLevelQ(), p.MaxLevelP())
}
