package dp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// MechanismDistributedDiscreteGaussian names the mechanism of this package in
// Noise.Mechanism.
const MechanismDistributedDiscreteGaussian = "distributed-discrete-gaussian"

// Noise is one key holder's noise parameters for one release, with the guarantee they
// were calibrated for. Every participating holder uses the same Noise. It is a plain
// value, safe to copy and for concurrent use, and JSON-serialisable; a Noise decoded
// from JSON has been validated.
type Noise struct {
	// Mechanism is always MechanismDistributedDiscreteGaussian.
	Mechanism string `json:"mechanism"`
	// SigmaSqNum / SigmaSqDen is σ², the parameter of the discrete Gaussian N_Z(0, σ²)
	// each holder adds to each value. Both > 0.
	SigmaSqNum int64 `json:"sigmaSqNum"`
	SigmaSqDen int64 `json:"sigmaSqDen"`
	// Parties is the number of holders adding a share (the threshold t).
	Parties int `json:"parties"`
	// MinHonest is the number of honest holders the guarantee assumes; 1..Parties.
	MinHonest int `json:"minHonest"`
	// L1 and L2 are the sensitivities calibrated for; 1 <= L2 <= L1.
	L1 int64 `json:"l1"`
	L2 int64 `json:"l2"`
	// EpsilonMicro is the epsilon calibrated for, in millionths.
	EpsilonMicro int64 `json:"epsilonMicro"`
	// Delta is the delta calibrated for.
	Delta float64 `json:"delta"`
	// MaxValues is the largest number of values one release may carry under this
	// guarantee; SampleShare refuses more.
	MaxValues int `json:"maxValues"`
}

// Validate checks that n is a well-formed Noise that meets the guarantee it records.
// It returns an error wrapping ErrInvalid otherwise. Safe for concurrent use.
func (n Noise) Validate() error {
	if n.Mechanism != MechanismDistributedDiscreteGaussian {
		return fmt.Errorf("%w: unknown mechanism %q", ErrInvalid, n.Mechanism)
	}
	if n.SigmaSqNum < 1 || n.SigmaSqDen < 1 {
		return fmt.Errorf("%w: sigma squared must be positive", ErrInvalid)
	}
	p := Params{L1: n.L1, L2: n.L2, EpsilonMicro: n.EpsilonMicro, Delta: n.Delta,
		Parties: n.Parties, MinHonest: n.MinHonest, MaxValues: n.MaxValues}
	if err := p.validate(); err != nil {
		return err
	}
	if n.PrivacyLoss() > float64(n.EpsilonMicro)/1e6 {
		return fmt.Errorf("%w: sigma squared too small for the recorded guarantee", ErrInvalid)
	}
	return nil
}

// UnmarshalJSON decodes a Noise strictly (unknown fields are errors) and validates it.
// Errors wrap ErrInvalid or the JSON decoder's error.
func (n *Noise) UnmarshalJSON(data []byte) error {
	type plain Noise
	var v plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("decode noise: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("decode noise: %w: trailing data", ErrInvalid)
	}
	if err := Noise(v).Validate(); err != nil {
		return fmt.Errorf("decode noise: %w", err)
	}
	*n = Noise(v)
	return nil
}

// SigmaSq returns σ² of one share as a float64 (for display and accounting).
func (n Noise) SigmaSq() float64 {
	return float64(n.SigmaSqNum) / float64(n.SigmaSqDen)
}

// ShareVariance returns the variance of one holder's noise on one value: the variance
// of N_Z(0, σ²), which is slightly below σ² for σ² < 2 and equal to it to double
// precision above. Safe for concurrent use.
func (n Noise) ShareVariance() float64 {
	s := n.SigmaSq()
	if s >= 4 {
		// The relative deficit is below 8π²σ²·exp(-2π²σ²) < 1e-30.
		return s
	}
	var z, m float64
	for x := -60; x <= 60; x++ {
		w := math.Exp(-float64(x*x) / (2 * s))
		z += w
		m += float64(x*x) * w
	}
	return m / z
}

// TotalVariance returns the variance of the sum of all Parties shares on one value.
// Safe for concurrent use.
func (n Noise) TotalVariance() float64 {
	return float64(n.Parties) * n.ShareVariance()
}

// PrivacyLoss returns the epsilon (not micro) at n.Delta that the sum of MinHonest
// honest shares guarantees. Safe for concurrent use.
func (n Noise) PrivacyLoss() float64 {
	return n.PrivacyLossWith(n.MinHonest)
}

// PrivacyLossWith returns the epsilon at n.Delta when only honest of the holders add
// their noise honestly (honest >= 1); it is +Inf for honest < 1. Safe for concurrent use.
func (n Noise) PrivacyLossWith(honest int) float64 {
	if honest < 1 || n.SigmaSqNum < 1 || n.SigmaSqDen < 1 || n.MaxValues < 1 {
		return math.Inf(1)
	}
	return privacyLoss(n.L1, n.L2, n.SigmaSq(), honest, n.MaxValues, n.Delta)
}

// SampleShare draws one holder's noise for count released values: count independent
// samples of N_Z(0, σ²), using only uniform integers read from rng (crypto/rand.Reader
// in production; a deterministic reader in tests). It reads rng through a buffer and
// may read more bytes than it uses. Errors wrap ErrInvalid (invalid Noise, count < 0
// or count > MaxValues) or ErrRandomness (rng failed). Safe for concurrent use if rng is.
func (n Noise) SampleShare(rng io.Reader, count int) ([]int64, error) {
	if err := n.checkSampling(count); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random source", ErrInvalid)
	}
	g := newGaussian(n.SigmaSqNum, n.SigmaSqDen)
	src := newSource(rng)
	out := make([]int64, count)
	for i := range out {
		v, err := g.sample(src)
		if err != nil {
			return nil, fmt.Errorf("sample noise value %d of %d: %w", i, count, err)
		}
		out[i] = v
	}
	return out, nil
}

func (n Noise) checkSampling(count int) error {
	if n.Mechanism != MechanismDistributedDiscreteGaussian || n.SigmaSqNum < 1 || n.SigmaSqDen < 1 {
		return fmt.Errorf("%w: noise parameters not calibrated", ErrInvalid)
	}
	if count < 0 {
		return fmt.Errorf("%w: negative count", ErrInvalid)
	}
	if count > n.MaxValues {
		return fmt.Errorf("%w: %d values exceed the %d the guarantee covers", ErrInvalid, count, n.MaxValues)
	}
	return nil
}

// Bound returns B such that the sum of all Parties shares on one value satisfies
// |sum| <= B with probability at least 1 − failureProb. Each share is sub-Gaussian
// with variance proxy σ² (Canonne, Kamath, Steinke 2020, Corollary 9), so the sum of
// t shares has P[|sum| > x] <= 2·exp(−x²/(2tσ²)). For failureProb >= 1 it returns 0;
// for failureProb <= 0 or NaN it returns math.MaxInt64 (no finite bound).
// It bounds honest shares only: a dishonest holder's share can be anything.
// Safe for concurrent use.
func (n Noise) Bound(failureProb float64) int64 {
	if failureProb >= 1 {
		return 0
	}
	if !(failureProb > 0) {
		return math.MaxInt64
	}
	x := math.Ceil(math.Sqrt(2 * float64(n.Parties) * n.SigmaSq() * math.Log(2/failureProb)))
	if x >= math.MaxInt64 || math.IsNaN(x) {
		return math.MaxInt64
	}
	return int64(x)
}
