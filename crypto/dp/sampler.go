package dp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
)

// ErrRandomness is wrapped by every error caused by a failing random source.
var ErrRandomness = errors.New("dp: random source failed")

// errOutOfRange reports a sample whose magnitude does not fit in an int64. Its
// probability is below exp(-2^32) for every scale Calibrate produces.
var errOutOfRange = errors.New("dp: sample out of int64 range")

// source draws uniform integers from a buffered io.Reader. Not safe for concurrent use.
type source struct {
	r   *bufio.Reader
	buf [8]byte
	err error
}

func newSource(rng io.Reader) *source {
	return &source{r: bufio.NewReaderSize(rng, 512)}
}

func (s *source) read(p []byte) error {
	if s.err != nil {
		return s.err
	}
	if _, err := io.ReadFull(s.r, p); err != nil {
		s.err = fmt.Errorf("%w: %w", ErrRandomness, err)
		return s.err
	}
	return nil
}

// uniform returns a uniform integer in [0, n) for n > 0, by rejection on masked words.
func (s *source) uniform(n uint64) (uint64, error) {
	if n == 1 {
		return 0, nil
	}
	mask := uint64(1)<<bits.Len64(n-1) - 1 // all ones when n-1 needs 64 bits
	nb := (bits.Len64(n-1) + 7) / 8
	for {
		clear(s.buf[:])
		if err := s.read(s.buf[:nb]); err != nil {
			return 0, err
		}
		v := binary.LittleEndian.Uint64(s.buf[:]) & mask
		if v < n {
			return v, nil
		}
	}
}

// uniformBig returns a uniform integer in [0, n) for n > 0.
func (s *source) uniformBig(n *big.Int) (*big.Int, error) {
	if n.IsUint64() {
		v, err := s.uniform(n.Uint64())
		if err != nil {
			return nil, err
		}
		return new(big.Int).SetUint64(v), nil
	}
	m := new(big.Int).Sub(n, big.NewInt(1))
	bitLen := m.BitLen()
	buf := make([]byte, (bitLen+7)/8)
	top := byte(1<<(uint(bitLen-1)%8+1) - 1)
	v := new(big.Int)
	for {
		if err := s.read(buf); err != nil {
			return nil, err
		}
		buf[0] &= top
		v.SetBytes(buf)
		if v.Cmp(n) < 0 {
			return v, nil
		}
	}
}

// bernoulli returns true with probability num/den, 0 <= num <= den, den > 0.
func (s *source) bernoulli(num, den uint64) (bool, error) {
	u, err := s.uniform(den)
	return u < num, err
}

// bernoulliBig returns true with probability num/den, 0 <= num <= den, den > 0.
func (s *source) bernoulliBig(num, den *big.Int) (bool, error) {
	u, err := s.uniformBig(den)
	if err != nil {
		return false, err
	}
	return u.Cmp(num) < 0, nil
}

// bernoulliExpNegFrac returns true with probability exp(-num/den) for 0 <= num <= den
// (Canonne, Kamath, Steinke 2020, Algorithm 1, case γ ∈ [0, 1]): the index K of the
// first failure of Bernoulli(γ/K) trials is odd with probability exp(-γ). A trial
// Bernoulli(γ/K) is drawn as Bernoulli(γ) and Bernoulli(1/K), so nothing overflows.
func (s *source) bernoulliExpNegFrac(num, den uint64) (bool, error) {
	k := uint64(1)
	for {
		a, err := s.bernoulli(num, den)
		if err != nil {
			return false, err
		}
		if a && k > 1 {
			a, err = s.bernoulli(1, k)
			if err != nil {
				return false, err
			}
		}
		if !a {
			return k%2 == 1, nil
		}
		k++
	}
}

// bernoulliExpNegFracBig is bernoulliExpNegFrac for big rationals.
func (s *source) bernoulliExpNegFracBig(num, den *big.Int) (bool, error) {
	k := uint64(1)
	for {
		a, err := s.bernoulliBig(num, den)
		if err != nil {
			return false, err
		}
		if a && k > 1 {
			a, err = s.bernoulli(1, k)
			if err != nil {
				return false, err
			}
		}
		if !a {
			return k%2 == 1, nil
		}
		k++
	}
}

// bernoulliExpNeg returns true with probability exp(-num/den) for num >= 0, den > 0
// (Algorithm 1 of Canonne, Kamath, Steinke 2020): floor(γ) independent
// Bernoulli(exp(-1)) trials, then one Bernoulli(exp(-(γ - floor γ))).
func (s *source) bernoulliExpNeg(num, den *big.Int) (bool, error) {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	whole := ^uint64(0)
	if q.IsUint64() {
		whole = q.Uint64()
	}
	for i := uint64(0); i < whole; i++ {
		ok, err := s.bernoulliExpNegFrac(1, 1)
		if err != nil || !ok {
			return false, err
		}
	}
	return s.bernoulliExpNegFracBig(r, den)
}

// discreteLaplace returns a sample with probability proportional to exp(-|x|/t),
// t >= 1 (Canonne, Kamath, Steinke 2020, Algorithm 2 with s = 1).
func (s *source) discreteLaplace(t uint64) (int64, error) {
	for {
		u, err := s.uniform(t)
		if err != nil {
			return 0, err
		}
		d, err := s.bernoulliExpNegFrac(u, t)
		if err != nil {
			return 0, err
		}
		if !d {
			continue
		}
		var v uint64
		for {
			a, err := s.bernoulliExpNegFrac(1, 1)
			if err != nil {
				return 0, err
			}
			if !a {
				break
			}
			v++
		}
		hi, x := bits.Mul64(t, v)
		x, carry := bits.Add64(x, u, 0)
		if hi != 0 || carry != 0 || x > 1<<63-1 {
			return 0, errOutOfRange
		}
		neg, err := s.bernoulli(1, 2)
		if err != nil {
			return 0, err
		}
		if neg && x == 0 {
			continue
		}
		if neg {
			return -int64(x), nil
		}
		return int64(x), nil
	}
}

// gaussian samples the discrete Gaussian N_Z(0, num/den) for num, den > 0.
// Not safe for concurrent use.
type gaussian struct {
	num, den *big.Int // σ² = num/den
	t        uint64   // floor(σ) + 1, the Laplace scale of the proposal
	// Precomputed for the acceptance exponent (|y|·den·t − num)² / (2·num·den·t²).
	dt, accDen *big.Int
	// scratch
	a, b *big.Int
}

func newGaussian(num, den int64) *gaussian {
	n, d := big.NewInt(num), big.NewInt(den)
	floorSq := new(big.Int).Quo(n, d)
	t := new(big.Int).Sqrt(floorSq).Uint64() + 1
	bt := new(big.Int).SetUint64(t)
	dt := new(big.Int).Mul(d, bt)
	accDen := new(big.Int).Mul(n, dt)
	accDen.Mul(accDen, bt)
	accDen.Lsh(accDen, 1)
	return &gaussian{num: n, den: d, t: t, dt: dt, accDen: accDen, a: new(big.Int), b: new(big.Int)}
}

// sample is Algorithm 3 of Canonne, Kamath, Steinke 2020: propose Y from the discrete
// Laplace with scale t and accept with probability exp(-(|Y| − σ²/t)²/(2σ²)).
func (g *gaussian) sample(s *source) (int64, error) {
	for {
		y, err := s.discreteLaplace(g.t)
		if err != nil {
			return 0, err
		}
		abs := y
		if abs < 0 {
			abs = -abs
		}
		g.a.SetInt64(abs)
		g.a.Mul(g.a, g.dt)
		g.a.Sub(g.a, g.num)
		g.a.Mul(g.a, g.a)
		ok, err := s.bernoulliExpNeg(g.a, g.accDen)
		if err != nil {
			return 0, err
		}
		if ok {
			return y, nil
		}
	}
}
