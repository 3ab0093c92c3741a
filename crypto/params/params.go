// Package params holds statledger's named homomorphic-encryption parameter sets: the
// Lattigo BGV parameters, the plaintext modulus that makes aggregates exact, the
// smudging noise of decryption shares, the rotation keys query evaluation uses, and the
// capacity check that refuses datasets whose aggregates could wrap around.
//
// A parameter set is identified by its name everywhere (ledger records, blob headers):
// its primes are written out below and must never change once data is encrypted under it.
//
// # Production set N14T58
//
// Ring degree N = 2^14 (16,384 plaintext slots in two rows of 8,192), ciphertext modulus Q =
// three 60-bit primes, one 61-bit special prime P for key switching: log2(QP) = 241 bits.
// The HE standard (homomorphicencryption.org, 2018, Table 1, uniform ternary secret,
// error σ = 3.2, classical 128-bit security) allows up to 438 bits at N = 2^14, so the set
// is 197 bits below the bound: comfortably 128-bit secure (Lattigo's defaults: uniform
// ternary secret, discrete Gaussian error σ = 3.2 bounded at 6σ).
//
// The plaintext modulus t = 288,230,376,150,630,401 (a 58-bit prime, t ≡ 1 mod 2^15, so
// every slot is usable). Aggregates are exact integers modulo t, decoded in the centred
// range (-t/2, t/2). MaxAggregate = (t-1)/4 = 72,057,594,037,657,600 (about 7.2·10^16) is
// the largest absolute value a dataset may produce in any output cell before noise; the
// other half of the range is headroom for differential-privacy noise (see CheckCapacity).
//
// The circuit is: additions of submissions at the top level (level 2), rotations by
// powers of two and the row swap (collective Galois keys), one multiplication by a 0/1
// plaintext mask, one rescale to level 1, then public-key switching. Decryption shares
// live at level 1 (two 60-bit primes, 120 bits). Smudging noise in each decryption share
// is a discrete Gaussian with σ = 2^52 bounded at 6σ < 2^55: the primes are 60-bit, so
// the sampler stays below every prime (LATTIGO-NOTES pitfall 1). Decryption multiplies
// the noise by t < 2^58; the smudging of at most MaxHolders = 64 shares sums to less
// than 64·6σ < 2^61, so t times it stays below 2^119 ≤ Q_1/2 and decryption is exact
// for any number of holders (the tests check this bound, and exactness at σ = 2^52
// end to end). σ = 2^52 exceeds the evaluation noise of a result (below 2^20 after
// rescaling) by a factor above 2^32, so a share is within statistical distance about
// 2^-32 of one that reveals nothing about its key share.
//
// Sizes (N14T58): a fresh ciphertext is 786,432 bytes of coefficients, a result
// ciphertext and a decryption share per ciphertext 524,288 bytes, the collective public
// key 1,048,576 bytes, one Galois key 3,145,728 bytes (14 keys).
//
// # Test set InsecureN11T58
//
// The same moduli at N = 2^11: fast, and far beyond the HE standard's 54-bit bound for
// that degree, so it offers no security at all. Tests only.
//
// All functions are safe for concurrent use; parameter sets are immutable.
package params

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// Names of the parameter sets.
const (
	// N14T58 is the production parameter set (128-bit security).
	N14T58 = "N14T58"
	// InsecureN11T58 is a small, insecure set for fast unit tests only.
	InsecureN11T58 = "InsecureN11T58"
)

// MaxNameLength is the longest parameter-set name (it is stored in blob headers).
const MaxNameLength = 16

// SmudgingLog2Sigma is log2 of the standard deviation of the smudging noise every
// decryption share carries, in every parameter set.
const SmudgingLog2Sigma = 52

// MaxHolders is the largest number of key holders a ceremony may have: the
// smudging-noise budget above is computed for at most 64 shares.
const MaxHolders = 64

// ErrUnknown is returned for a parameter-set name that is not defined.
var ErrUnknown = errors.New("params: unknown parameter set")

// ErrCapacity is returned by CheckCapacity when aggregates could wrap around.
var ErrCapacity = errors.New("params: aggregate could exceed the plaintext capacity")

// heStandard128 is log2(QP)'s upper bound for 128-bit classical security with a uniform
// ternary secret, by log2(N), from the HE standard (Albrecht et al. 2018, Table 1).
var heStandard128 = map[int]int{10: 27, 11: 54, 12: 109, 13: 218, 14: 438, 15: 881}

// HEStandardBound returns the largest log2(QP) the HE standard allows at 128-bit
// security for ring degree 2^logN, and false for a degree it does not list.
func HEStandardBound(logN int) (int, bool) {
	b, ok := heStandard128[logN]
	return b, ok
}

// Set is a named parameter set. Use Named to get one; the zero value is not usable.
type Set struct {
	name     string
	insecure bool
	literal  bgv.ParametersLiteral
	params   bgv.Parameters
	galois   []uint64
	maxAgg   uint64
}

var (
	literals = map[string]struct {
		lit      bgv.ParametersLiteral
		insecure bool
	}{
		N14T58: {lit: bgv.ParametersLiteral{
			LogN:             14,
			Q:                []uint64{1152921504606748673, 1152921504606683137, 1152921504606584833},
			P:                []uint64{2305843009211662337},
			PlaintextModulus: 288230376150630401,
		}},
		InsecureN11T58: {insecure: true, lit: bgv.ParametersLiteral{
			LogN:             11,
			Q:                []uint64{1152921504606830593, 1152921504606904321, 1152921504606748673},
			P:                []uint64{2305843009213616129},
			PlaintextModulus: 288230376151683073,
		}},
	}
	sets   = map[string]*Set{}
	setsMu sync.Mutex
)

// Names returns the names of all parameter sets, sorted.
func Names() []string {
	names := make([]string, 0, len(literals))
	for n := range literals {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Named returns the parameter set called name, building it on first use. It returns an
// error wrapping ErrUnknown for an unknown name. Safe for concurrent use.
func Named(name string) (*Set, error) {
	setsMu.Lock()
	defer setsMu.Unlock()
	if s, ok := sets[name]; ok {
		return s, nil
	}
	def, ok := literals[name]
	if !ok {
		return nil, fmt.Errorf("parameter set %q: %w", clip(name), ErrUnknown)
	}
	p, err := bgv.NewParametersFromLiteral(def.lit)
	if err != nil {
		return nil, fmt.Errorf("parameter set %s: %w", name, err)
	}
	s := &Set{name: name, insecure: def.insecure, literal: def.lit, params: p}
	for k := 1; k < p.N()/2; k <<= 1 {
		s.galois = append(s.galois, p.GaloisElementForColRotation(k))
	}
	s.galois = append(s.galois, p.GaloisElementForRowRotation())
	s.maxAgg = (p.PlaintextModulus() - 1) / 4
	sets[name] = s
	return s, nil
}

// MustNamed is Named for the names defined in this package; it panics on an unknown name,
// so use it only with the constants above.
func MustNamed(name string) *Set {
	s, err := Named(name)
	if err != nil {
		panic(err)
	}
	return s
}

func clip(s string) string {
	if len(s) > MaxNameLength {
		return s[:MaxNameLength] + "…"
	}
	return s
}

// Name returns the set's name.
func (s *Set) Name() string { return s.name }

// Insecure reports whether the set is a test-only set without security.
func (s *Set) Insecure() bool { return s.insecure }

// BGV returns the Lattigo BGV parameters.
func (s *Set) BGV() bgv.Parameters { return s.params }

// RLWE returns the Lattigo RLWE parameters.
func (s *Set) RLWE() rlwe.Parameters { return s.params.Parameters }

// N returns the ring degree.
func (s *Set) N() int { return s.params.N() }

// RowSlots returns the number of slots of one plaintext row (N/2); a ciphertext has two
// rows, and rotations move slots within a row.
func (s *Set) RowSlots() int { return s.params.N() / 2 }

// Slots returns the number of slots of a ciphertext (N).
func (s *Set) Slots() int { return s.params.N() }

// TopLevel is the level of fresh ciphertexts and of aggregated submissions.
func (s *Set) TopLevel() int { return s.params.MaxLevel() }

// ResultLevel is the level of evaluated results and of decryption shares (one rescale
// below TopLevel).
func (s *Set) ResultLevel() int { return s.params.MaxLevel() - 1 }

// PlaintextModulus returns t.
func (s *Set) PlaintextModulus() uint64 { return s.params.PlaintextModulus() }

// MaxAggregate returns the largest absolute value an output cell may take before noise:
// (t-1)/4.
func (s *Set) MaxAggregate() uint64 { return s.maxAgg }

// LogQP returns log2 of the product of all primes.
func (s *Set) LogQP() float64 { return s.params.LogQP() }

// GaloisElements returns the Galois elements of the collective rotation keys, in the
// order the ceremony generates them: column rotations by 1, 2, 4, ..., N/4, then the row
// swap. The slice must not be modified.
func (s *Set) GaloisElements() []uint64 { return s.galois }

// SmudgingNoise returns the distribution of the smudging noise of a decryption share:
// a discrete Gaussian with σ = 2^SmudgingLog2Sigma, bounded at 6σ.
func (s *Set) SmudgingNoise() ring.DiscreteGaussian {
	sigma := math.Exp2(SmudgingLog2Sigma)
	return ring.DiscreteGaussian{Sigma: sigma, Bound: 6 * sigma}
}

// ResultScale returns the BGV scale, modulo t, of a ciphertext at level: 1 at TopLevel
// and q_top^-1 mod t at ResultLevel (after the one rescale of query evaluation).
func (s *Set) ResultScale(level int) uint64 {
	if level >= s.TopLevel() {
		return 1
	}
	t := new(big.Int).SetUint64(s.PlaintextModulus())
	q := new(big.Int).SetUint64(s.params.Q()[s.TopLevel()])
	return new(big.Int).ModInverse(q, t).Uint64()
}
