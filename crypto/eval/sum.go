package eval

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
)

// ErrNoInput is returned when a sum or an evaluation is given no submission.
var ErrNoInput = errors.New("eval: no submission to aggregate")

// Input is one submission blob and the SHA-256 digest it must have (the digest recorded
// on the ledger).
type Input struct {
	Data   []byte
	Digest [32]byte
}

// maxLazyAdds is the largest number of additions between two reductions: values stay
// below 16q, which reduceRow's four conditional subtractions bring below q. With the
// sets' 60-bit primes 16q < 2^64, so 15 additions never overflow.
const maxLazyAdds = 15

// Sum verifies, decodes and adds submissions of layout under set, and returns the
// encrypted sum (one ciphertext per two layout rows, at the top level). Every input's
// exact size and header are checked first; its payload is then hashed and added in
// cache-sized chunks (each byte is read from memory once), every coefficient is checked
// to lie below its prime, and the SHA-256 digest is compared at the end of the input: an
// input that fails any check fails the whole sum, so no sum including unverified bytes
// is ever returned, and Lattigo sees only the verified result. The work is spread over
// workers goroutines (GOMAXPROCS when workers < 1); each hashes and adds whole
// submissions into its own accumulator with lazy modular reduction (15 additions
// between reductions), and the accumulators are reduced and added at the end. The
// result is exact and independent of workers and scheduling.
//
// It returns an error wrapping ErrNoInput for no input, and one wrapping
// codec.ErrFormat (and codec.ErrDigest) naming the index of the first input that is not
// exactly a submission of layout under set with its recorded digest. It never panics on
// input bytes. Safe for concurrent use.
func Sum(set *params.Set, layout *cube.Layout, inputs []Input, workers int) ([]*rlwe.Ciphertext, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("sum submissions: %w", ErrNoInput)
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(inputs))
	s := newSummer(set, layout)
	accs := make([]*accumulator, workers)
	errs := make([]error, len(inputs))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := range accs {
		accs[w] = s.newAccumulator()
		wg.Add(1)
		go func(acc *accumulator) {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(inputs) {
					return
				}
				if err := s.add(acc, inputs[i]); err != nil {
					errs[i] = fmt.Errorf("sum submissions: input %d: %w", i, err)
					failed.Store(true)
				}
			}
		}(accs[w])
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	total := accs[0]
	s.reduce(total)
	for _, acc := range accs[1:] {
		s.reduce(acc)
		s.merge(total, acc)
	}
	return s.ciphertexts(total), nil
}

// summer holds what adding submissions of one layout needs.
type summer struct {
	set    *params.Set
	layout *cube.Layout
	ref    [32]byte
	size   int      // exact blob size
	rowQ   []uint64 // modulus of every payload row
	n      int      // ring degree
	lazy   int      // additions between reductions
}

func newSummer(set *params.Set, layout *cube.Layout) *summer {
	level := set.TopLevel()
	q := set.BGV().Q()[:level+1]
	count := layout.Ciphertexts()
	s := &summer{set: set, layout: layout, ref: layout.Fingerprint(), size: encrypt.Size(set, layout), n: set.N()}
	for range 2 * count {
		s.rowQ = append(s.rowQ, q...)
	}
	// k additions to a value below q stay below (k+1)q, which must not overflow.
	s.lazy = maxLazyAdds
	for _, m := range q {
		s.lazy = min(s.lazy, int(math.MaxUint64/m)-1)
	}
	return s
}

// accumulator is one worker's running sum: payload row after row; every value is below
// 16 q of its row, and below q after reduce.
type accumulator struct {
	v       []uint64
	pending int // additions since the last reduction
	h       hash.Hash
	digest  [sha256.Size]byte
}

func (s *summer) newAccumulator() *accumulator {
	return &accumulator{v: make([]uint64, len(s.rowQ)*s.n), h: sha256.New()}
}

// chunk is the number of coefficients hashed then added at a time: 32 KiB, so each
// chunk is added while it is still in the core's first-level cache.
const chunk = 4096

// add checks in and adds its coefficients into acc. The header is checked first; then
// the payload is hashed and added chunk by chunk, reading each byte from memory once,
// and the digest is compared at the end: a blob with a wrong digest or an out-of-range
// coefficient fails the whole sum, so no partial sum of it is ever returned. On error
// acc is unusable.
func (s *summer) add(acc *accumulator, in Input) error {
	if len(in.Data) != s.size {
		return fmt.Errorf("%d bytes, want %d: %w", len(in.Data), s.size, codec.ErrFormat)
	}
	level, count := s.set.TopLevel(), s.layout.Ciphertexts()
	h := acc.h
	h.Reset()
	h.Write(in.Data[:codec.HeaderSize])
	_, r, err := codec.Open(in.Data, nil, codec.KindSubmission, s.set, func(h codec.Header) (int, error) {
		if h.Level != level || h.Count != count || h.Ref != s.ref || h.Aux1 != 0 || h.Aux2 != 0 {
			return 0, fmt.Errorf("not a top-level submission of this layout")
		}
		return s.size - codec.HeaderSize, nil
	})
	if err != nil {
		return err
	}
	payload, err := r.Raw(s.size - codec.HeaderSize)
	if err != nil {
		return err
	}
	err = s.hashAndAdd(acc, payload)
	if [32]byte(h.Sum(acc.digest[:0])) != in.Digest {
		return fmt.Errorf("%w: %w", codec.ErrFormat, codec.ErrDigest)
	}
	if err != nil {
		return err
	}
	acc.pending++
	return nil
}

// hashAndAdd hashes payload into acc.h and adds it into acc, chunk by chunk.
func (s *summer) hashAndAdd(acc *accumulator, payload []byte) error {
	if acc.pending >= s.lazy {
		s.reduce(acc)
	}
	n := s.n
	inRange := true
	for row, q := range s.rowQ {
		for c := 0; c < n; c += chunk {
			e := min(c+chunk, n)
			src := payload[8*(row*n+c) : 8*(row*n+e)]
			acc.h.Write(src)
			inRange = addRow(acc.v[row*n+c:row*n+e], src, q) && inRange
		}
	}
	if !inRange {
		return fmt.Errorf("coefficient out of range: %w", codec.ErrFormat)
	}
	return nil
}

// addRow adds the little-endian coefficients of src into dst without reduction and
// reports whether every coefficient was below q.
func addRow(dst []uint64, src []byte, q uint64) bool {
	src = src[:8*len(dst)]
	var hi uint64
	for j := range dst {
		b := src[8*j : 8*j+8 : 8*j+8]
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		hi = max(hi, v)
		dst[j] += v
	}
	return hi < q
}

// reduce brings every value of acc below its modulus (values are below 16q).
func (s *summer) reduce(acc *accumulator) {
	if acc.pending == 0 {
		return
	}
	n := s.n
	for row, q := range s.rowQ {
		reduceRow(acc.v[row*n:(row+1)*n], q)
	}
	acc.pending = 0
}

// reduceRow reduces values below 16q to [0, q) by conditional subtractions.
func reduceRow(v []uint64, q uint64) {
	for j, x := range v {
		for _, m := range [4]uint64{8 * q, 4 * q, 2 * q, q} {
			if x >= m {
				x -= m
			}
		}
		v[j] = x
	}
}

// merge adds the reduced src into the reduced dst, modulo each row's prime.
func (s *summer) merge(dst, src *accumulator) {
	n := s.n
	for row, q := range s.rowQ {
		d, a := dst.v[row*n:(row+1)*n], src.v[row*n:(row+1)*n]
		for j := range d {
			x := d[j] + a[j]
			if x >= q {
				x -= q
			}
			d[j] = x
		}
	}
}

// ciphertexts turns a reduced accumulator into top-level ciphertexts.
func (s *summer) ciphertexts(acc *accumulator) []*rlwe.Ciphertext {
	p := s.set.BGV()
	rows := s.set.TopLevel() + 1
	cts := make([]*rlwe.Ciphertext, s.layout.Ciphertexts())
	off := 0
	for i := range cts {
		ct := bgv.NewCiphertext(p, 1, s.set.TopLevel())
		for _, poly := range ct.Value {
			for r := range rows {
				copy(poly.Coeffs[r], acc.v[off:off+s.n])
				off += s.n
			}
		}
		cts[i] = ct
	}
	return cts
}
