package eval

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/params"
)

// Result is an evaluated query: the result blob the worker uploads, its SHA-256 digest
// (posted on the ledger) and the description of its output cells (which slot of which
// output ciphertext holds which component of which group), from which decryption knows
// where to add noise and the release how to label cells.
type Result struct {
	Data   []byte
	Digest [32]byte
	Output cube.Output
}

// EncodeResult serialises the output ciphertexts of plan (as Evaluate returns) as a
// codec.KindResult blob at the set's result level, with plan.Output.Digest() in the
// header's Ref field. It returns an error for ciphertexts of the wrong number, level or
// shape. Safe for concurrent use.
func EncodeResult(set *params.Set, plan *cube.Plan, cts []*rlwe.Ciphertext) ([]byte, error) {
	if len(cts) != plan.Output.Ciphertexts {
		return nil, fmt.Errorf("encode result: %d ciphertexts, want %d: %w", len(cts), plan.Output.Ciphertexts, ErrPlan)
	}
	for i, ct := range cts {
		if ct == nil || ct.Level() != set.ResultLevel() {
			return nil, fmt.Errorf("encode result: ciphertext %d is not at the result level: %w", i, ErrPlan)
		}
	}
	return codec.EncodeCiphertexts(codec.KindResult, set, plan.Output.Digest(), cts)
}

// ResultSize returns the exact size in bytes of the result blob of a query whose output
// has the given number of ciphertexts.
func ResultSize(set *params.Set, ciphertexts int) int {
	return codec.CiphertextsSize(set, set.ResultLevel(), ciphertexts)
}

// DecodeResult checks and decodes a result blob for the output description out: digest
// (if not nil) first, then header (kind, set, result level, out.Ciphertexts
// ciphertexts, out.Digest() as Ref), exact size and every coefficient. The ciphertexts
// carry the scale set.ResultScale(set.ResultLevel()). It returns an error wrapping
// codec.ErrFormat (and codec.ErrDigest) for any other blob; it never panics. Safe for
// concurrent use.
func DecodeResult(set *params.Set, out cube.Output, data []byte, digest *[32]byte) ([]*rlwe.Ciphertext, error) {
	return codec.DecodeCiphertexts(data, digest, codec.KindResult, set, out.Digest(), set.ResultLevel(), out.Ciphertexts)
}

// Run is a worker's whole job: Sum the inputs (digests checked), Evaluate plan, and
// EncodeResult. It returns the errors of those three (wrapping ErrNoInput, ErrPlan,
// codec.ErrFormat or codec.ErrDigest). Safe for concurrent use.
func (e *Evaluator) Run(plan *cube.Plan, inputs []Input) (*Result, error) {
	sum, err := Sum(e.set, e.layout, inputs, 0)
	if err != nil {
		return nil, err
	}
	outs, err := e.Evaluate(plan, sum)
	if err != nil {
		return nil, err
	}
	data, err := EncodeResult(e.set, plan, outs)
	if err != nil {
		return nil, err
	}
	return &Result{Data: data, Digest: codec.Digest(data), Output: plan.Output}, nil
}
