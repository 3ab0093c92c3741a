// Package eval is the homomorphic query evaluation of statledger's workers and
// auditors: it verifies and sums the providers' encrypted cubes (crypto/encrypt), then
// applies a query's plan (crypto/cube) to the sum: row swaps and rotations move the
// selected codes of filtered and summed-out dimensions onto the output cells, rotations
// sum the inner axes out, and one multiplication by a 0/1 plaintext mask, followed by
// one rescale to the parameter set's result level, leaves exactly the requested output
// cells and zero in every other slot. The result is serialised in the strict format of
// crypto/codec with the digest of the plan's output description in its header.
//
// Evaluation is deterministic: the same inputs and plan give byte-identical results
// (and digests) whatever the number of goroutines, so an auditor or a second worker can
// re-run it. Rotations use only the collective rotation keys of the parameter set
// (column rotations by powers of two and the row swap): a rotation by k is the
// composition of the rotations by the powers of two of k's binary expansion.
package eval

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/params"
)

// ErrKeys is returned by NewEvaluator when a rotation key is missing or does not match
// the parameter set.
var ErrKeys = errors.New("eval: rotation keys do not match the parameter set")

// ErrPlan is returned when a plan or an encrypted cube does not match the evaluator's
// layout, or when the homomorphic evaluation itself fails.
var ErrPlan = errors.New("eval: plan or input does not match the layout")

// Evaluator evaluates query plans on encrypted cubes of one layout. It is safe for
// concurrent use.
type Evaluator struct {
	set    *params.Set
	layout *cube.Layout
	ev     *bgv.Evaluator
	ecd    *bgv.Encoder
}

// NewEvaluator returns an Evaluator for cubes of layout under set, using the collective
// rotation keys. Every Galois element of set.GaloisElements must have a key of the set's
// ring at the top level; other keys are ignored. It returns an error wrapping ErrKeys
// otherwise, and ErrPlan if the layout's rows are not the set's rows.
func NewEvaluator(set *params.Set, layout *cube.Layout, keys *rlwe.MemEvaluationKeySet) (*Evaluator, error) {
	if layout.RowSlots() != set.RowSlots() {
		return nil, fmt.Errorf("layout of %d-slot rows under %s: %w", layout.RowSlots(), set.Name(), ErrPlan)
	}
	if keys == nil {
		return nil, fmt.Errorf("no rotation keys: %w", ErrKeys)
	}
	used := make([]*rlwe.GaloisKey, 0, len(set.GaloisElements()))
	for _, g := range set.GaloisElements() {
		k, ok := keys.GaloisKeys[g]
		if !ok || k == nil {
			return nil, fmt.Errorf("no rotation key for Galois element %d: %w", g, ErrKeys)
		}
		if err := checkGaloisKey(set, k, g); err != nil {
			return nil, fmt.Errorf("rotation key for Galois element %d: %w: %w", g, err, ErrKeys)
		}
		used = append(used, k)
	}
	evk := rlwe.NewMemEvaluationKeySet(nil, used...)
	bp := set.BGV()
	return &Evaluator{set: set, layout: layout, ev: bgv.NewEvaluator(bp, evk), ecd: bgv.NewEncoder(bp)}, nil
}

// checkGaloisKey validates the shape of k so that Lattigo never indexes out of range.
func checkGaloisKey(set *params.Set, k *rlwe.GaloisKey, g uint64) error {
	p := set.RLWE()
	lq, lp := p.MaxLevelQ(), p.MaxLevelP()
	if k.GaloisElement != g {
		return fmt.Errorf("key is for element %d", k.GaloisElement)
	}
	if k.BaseTwoDecomposition < 0 || k.BaseTwoDecomposition > 64 {
		return fmt.Errorf("key has base-two decomposition %d", k.BaseTwoDecomposition)
	}
	digits := p.BaseTwoDecompositionVectorSize(lq, lp, k.BaseTwoDecomposition)
	if len(k.Value) != p.BaseRNSDecompositionVectorSize(lq, lp) {
		return fmt.Errorf("key has %d decomposition rows", len(k.Value))
	}
	for i, row := range k.Value {
		if len(row) != digits[i] {
			return fmt.Errorf("key has a malformed gadget row")
		}
		for _, el := range row {
			if len(el) != 2 {
				return fmt.Errorf("key has a gadget element of degree %d", len(el)-1)
			}
			for _, v := range el {
				if len(v.Q.Coeffs) != lq+1 || len(v.P.Coeffs) != lp+1 {
					return fmt.Errorf("key at the wrong levels")
				}
				for _, rows := range [][][]uint64{v.Q.Coeffs, v.P.Coeffs} {
					for _, r := range rows {
						if len(r) != set.N() {
							return fmt.Errorf("key of another ring")
						}
					}
				}
			}
		}
	}
	return nil
}

// Evaluate applies plan to the encrypted sum of submissions (as Sum returns) and returns
// the output ciphertexts, plan.Output.Ciphertexts of them at the set's result level,
// holding exactly the plan's output cells (every other slot encrypts zero). Outputs are
// computed in parallel; the result does not depend on scheduling. It returns an error
// wrapping ErrPlan for a plan of another layout or a sum of the wrong shape, or when
// Lattigo reports an error. Safe for concurrent use; sum is only read.
func (e *Evaluator) Evaluate(plan *cube.Plan, sum []*rlwe.Ciphertext) ([]*rlwe.Ciphertext, error) {
	if plan.Layout() != e.layout && plan.Layout().Fingerprint() != e.layout.Fingerprint() {
		return nil, fmt.Errorf("evaluate: plan of another layout: %w", ErrPlan)
	}
	if len(sum) != e.layout.Ciphertexts() {
		return nil, fmt.Errorf("evaluate: %d input ciphertexts, want %d: %w", len(sum), e.layout.Ciphertexts(), ErrPlan)
	}
	for i, ct := range sum {
		if ct == nil || ct.Degree() != 1 || ct.Level() != e.set.TopLevel() || ct.N() != e.set.N() || !ct.IsNTT {
			return nil, fmt.Errorf("evaluate: input ciphertext %d is not a top-level ciphertext of %s: %w", i, e.set.Name(), ErrPlan)
		}
	}
	r := &run{e: e, sum: sum, swapped: make([]swapOnce, len(sum))}
	outs := make([]*rlwe.Ciphertext, len(plan.Outputs))
	errs := make([]error, len(plan.Outputs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range plan.Outputs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = codec.Guard("evaluate", func() (err error) {
				outs[i], err = r.output(plan, i)
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("evaluate output %d: %w: %w", i, err, ErrPlan)
		}
	}
	return outs, nil
}

// run is one evaluation: its inputs and their row-swapped copies, computed once.
type run struct {
	e       *Evaluator
	sum     []*rlwe.Ciphertext
	swapped []swapOnce
}

type swapOnce struct {
	once sync.Once
	ct   *rlwe.Ciphertext
	err  error
}

// block returns input block b: row b%2 of ciphertext b/2, moved to row 0.
func (r *run) block(b int) (*rlwe.Ciphertext, error) {
	ct := r.sum[b/2]
	if b%2 == 0 {
		return ct, nil
	}
	s := &r.swapped[b/2]
	s.once.Do(func() { s.ct, s.err = r.e.ev.RotateRowsNew(ct) })
	return s.ct, s.err
}

// output computes output ciphertext i of plan.
func (r *run) output(plan *cube.Plan, i int) (*rlwe.Ciphertext, error) {
	ob := plan.Outputs[i]
	var acc *rlwe.Ciphertext
	for _, src := range ob.Sources {
		ct, err := r.block(src.Block)
		if err != nil {
			return nil, err
		}
		for _, k := range src.Shifts {
			rot, err := r.e.rotate(ct, k)
			if err != nil {
				return nil, err
			}
			if acc, err = r.e.add(acc, rot); err != nil {
				return nil, err
			}
		}
	}
	if acc == nil {
		return nil, fmt.Errorf("output %d has no source", i)
	}
	for _, s := range plan.Sums {
		var err error
		if s.Full {
			acc, err = r.e.sumFull(acc, s.Stride, s.Size)
		} else {
			acc, err = r.e.sumCodes(acc, s.Stride, s.Codes)
		}
		if err != nil {
			return nil, err
		}
	}
	return r.e.mask(acc, ob.Mask)
}

// rotate returns ct rotated left by k slots within each row, as rotations by powers of
// two. It returns ct itself (not a copy) for k ≡ 0.
func (e *Evaluator) rotate(ct *rlwe.Ciphertext, k int) (*rlwe.Ciphertext, error) {
	rs := e.set.RowSlots()
	k %= rs
	if k < 0 {
		k += rs
	}
	cur := ct
	for bit := 1; bit < rs; bit <<= 1 {
		if k&bit == 0 {
			continue
		}
		next, err := e.ev.RotateColumnsNew(cur, bit)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// add returns acc + ct in a new or reused ciphertext (acc may be nil; ct is never
// modified).
func (e *Evaluator) add(acc, ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	if acc == nil {
		return ct.CopyNew(), nil
	}
	return acc, e.ev.Add(acc, ct, acc)
}

// sumCodes returns the sum over c in codes of ct rotated by c·stride.
func (e *Evaluator) sumCodes(ct *rlwe.Ciphertext, stride int, codes []int) (*rlwe.Ciphertext, error) {
	var acc *rlwe.Ciphertext
	for _, c := range codes {
		rot, err := e.rotate(ct, c*stride)
		if err != nil {
			return nil, err
		}
		if acc, err = e.add(acc, rot); err != nil {
			return nil, err
		}
	}
	if acc == nil {
		return nil, fmt.Errorf("sum over no code")
	}
	return acc, nil
}

// sumFull returns the sum over c in 0..size-1 of ct rotated by c·stride, with
// O(log size) rotations: block holds the sum of the first 2^j rotations, and the blocks
// of size's binary expansion are added at increasing offsets. The rotation of a block
// to its offset runs in another goroutine while the next block is built; ciphertexts
// are never modified once shared, and the additions happen in a fixed order.
func (e *Evaluator) sumFull(ct *rlwe.Ciphertext, stride, size int) (*rlwe.Ciphertext, error) {
	var acc *rlwe.Ciphertext
	block := ct
	offset := 0
	for j := 0; 1<<j <= size; j++ {
		var placed *rlwe.Ciphertext
		var placeErr error
		var wg sync.WaitGroup
		if size&(1<<j) != 0 {
			wg.Add(1)
			go func(b *rlwe.Ciphertext, k int) {
				defer wg.Done()
				placeErr = codec.Guard("rotate", func() (err error) {
					placed, err = e.rotate(b, k)
					return err
				})
			}(block, offset*stride)
			offset += 1 << j
		}
		var err error
		if 1<<(j+1) <= size {
			var rot *rlwe.Ciphertext
			if rot, err = e.rotate(block, (1<<j)*stride); err == nil {
				block, err = e.add(block.CopyNew(), rot)
			}
		}
		wg.Wait()
		if err != nil {
			return nil, err
		}
		if placeErr != nil {
			return nil, placeErr
		}
		if placed != nil {
			if acc, err = e.add(acc, placed); err != nil {
				return nil, err
			}
		}
	}
	return acc, nil
}

// mask multiplies ct by the 0/1 plaintext that keeps the given slots of row 0 and
// rescales the product to the result level.
func (e *Evaluator) mask(ct *rlwe.Ciphertext, keep []int) (*rlwe.Ciphertext, error) {
	p := e.set.BGV()
	v := make([]uint64, e.set.Slots())
	for _, s := range keep {
		if s < 0 || s >= e.set.RowSlots() {
			return nil, fmt.Errorf("mask slot %d outside row 0", s)
		}
		v[s] = 1
	}
	pt := bgv.NewPlaintext(p, ct.Level())
	pt.Scale = p.NewScale(1)
	if err := e.ecd.Encode(v, pt); err != nil {
		return nil, err
	}
	prod := bgv.NewCiphertext(p, 1, ct.Level())
	if err := e.ev.Mul(ct, pt, prod); err != nil {
		return nil, err
	}
	if e.set.ResultLevel() == prod.Level() {
		return prod, nil
	}
	out := bgv.NewCiphertext(p, 1, prod.Level())
	if err := e.ev.Rescale(prod, out); err != nil {
		return nil, err
	}
	if out.Level() != e.set.ResultLevel() {
		return nil, fmt.Errorf("result at level %d, want %d", out.Level(), e.set.ResultLevel())
	}
	return out, nil
}
