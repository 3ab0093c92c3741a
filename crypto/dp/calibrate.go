package dp

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalid is wrapped by every error about an invalid parameter or Noise value.
var ErrInvalid = errors.New("dp: invalid parameter")

// ErrScaleTooLarge is returned when the requested guarantee needs a noise scale whose
// per-party σ² does not fit in an int64 (sensitivity above about 10⁹ for epsilon 1).
var ErrScaleTooLarge = errors.New("dp: noise scale too large")

// DefaultMaxValues is the number of released values a Noise from Calibrate covers:
// the dimension d in the distributed discrete Gaussian bound.
const DefaultMaxValues = 1 << 24

// minSigmaSq is the smallest per-party σ² Calibrate returns. The distributed bound
// holds for any σ, but below 1 its correction term τ grows quickly; staying at or
// above 1 costs nothing for any useful epsilon.
const minSigmaSq = 1.0

// Params is the full input of CalibrateParams.
type Params struct {
	// L1 and L2 are the L1 and L2 sensitivities of the released vector: the largest
	// change one record can cause, over all released values together. 1 <= L2 <= L1.
	L1, L2 int64
	// EpsilonMicro is epsilon in millionths (1_000_000 is epsilon 1); > 0.
	EpsilonMicro int64
	// Delta is the delta of (epsilon, delta)-DP, in (0, 1).
	Delta float64
	// Parties is t, the number of key holders that add noise shares; >= 1.
	Parties int
	// MinHonest is h, the number of those holders assumed honest (adding their noise
	// and keeping it secret); 1 <= MinHonest <= Parties. Zero means Parties. With up to
	// f dishonest holders, use Parties − f.
	MinHonest int
	// MaxValues is the largest number of values one release may have; zero means
	// DefaultMaxValues.
	MaxValues int
}

// Calibrate returns the per-party noise for a statistic of the given sensitivity
// (used as both its L1 and L2 sensitivity, which is right for a single value and safe
// for a vector whose L1 sensitivity it is), privacy loss epsilonMicro/10⁶ with the
// given delta, shared by parties holders that are all assumed honest. Use
// CalibrateParams to tolerate dishonest holders or give a smaller L2 sensitivity.
// It returns an error wrapping ErrInvalid for sensitivity < 1, epsilonMicro <= 0,
// delta outside (0, 1) or parties < 1, and ErrScaleTooLarge when the scale overflows.
// Safe for concurrent use.
func Calibrate(sensitivity int64, epsilonMicro int64, delta float64, parties int) (Noise, error) {
	return CalibrateParams(Params{
		L1: sensitivity, L2: sensitivity, EpsilonMicro: epsilonMicro, Delta: delta,
		Parties: parties, MinHonest: parties,
	})
}

// CalibrateParams returns the per-party noise for p: the smallest per-party σ² (rounded
// up to a rational) such that the sum of any p.MinHonest honest shares gives
// (epsilon, delta)-DP by the bound in the package documentation. Errors wrap
// ErrInvalid (parameters out of range) or ErrScaleTooLarge. Safe for concurrent use.
func CalibrateParams(p Params) (Noise, error) {
	if p.MinHonest == 0 {
		p.MinHonest = p.Parties
	}
	if p.MaxValues == 0 {
		p.MaxValues = DefaultMaxValues
	}
	if err := p.validate(); err != nil {
		return Noise{}, err
	}
	eps := float64(p.EpsilonMicro) / 1e6
	loss := func(sigmaSq float64) float64 {
		return privacyLoss(p.L1, p.L2, sigmaSq, p.MinHonest, p.MaxValues, p.Delta)
	}
	// Find an upper end, then bisect on a log scale.
	const maxSigmaSq = float64(math.MaxInt64 / 2)
	lo, hi := minSigmaSq, minSigmaSq
	for loss(hi) > eps {
		lo = hi
		hi *= 2
		if hi > maxSigmaSq {
			return Noise{}, fmt.Errorf("calibrate sensitivity %d at epsilon %d micro: %w", p.L1, p.EpsilonMicro, ErrScaleTooLarge)
		}
	}
	if hi > lo {
		for range 200 {
			mid := math.Sqrt(lo * hi)
			if loss(mid) > eps {
				lo = mid
			} else {
				hi = mid
			}
			if hi/lo < 1+1e-12 {
				break
			}
		}
	}
	den := int64(sigmaSqDen)
	if hi*sigmaSqDen > maxSigmaSq {
		den = 1
	}
	num := int64(math.Ceil(hi * float64(den)))
	n := Noise{
		Mechanism:    MechanismDistributedDiscreteGaussian,
		SigmaSqNum:   num,
		SigmaSqDen:   den,
		Parties:      p.Parties,
		MinHonest:    p.MinHonest,
		L1:           p.L1,
		L2:           p.L2,
		EpsilonMicro: p.EpsilonMicro,
		Delta:        p.Delta,
		MaxValues:    p.MaxValues,
	}
	// Rounding up keeps the loss within the target; bisection tolerance cannot move it
	// past, but make sure rather than trust floating point.
	for range 64 {
		if n.PrivacyLoss() <= eps {
			return n, nil
		}
		step := n.SigmaSqNum / 1e9
		if step < 1 {
			step = 1
		}
		if n.SigmaSqNum > math.MaxInt64/2 {
			break
		}
		n.SigmaSqNum += step
	}
	return Noise{}, fmt.Errorf("calibrate sensitivity %d at epsilon %d micro: %w", p.L1, p.EpsilonMicro, ErrScaleTooLarge)
}

// sigmaSqDen is the denominator of per-party σ² when the numerator fits.
const sigmaSqDen = 1000

func (p Params) validate() error {
	switch {
	case p.L1 < 1 || p.L2 < 1:
		return fmt.Errorf("%w: sensitivity must be at least 1", ErrInvalid)
	case p.L2 > p.L1:
		return fmt.Errorf("%w: L2 sensitivity exceeds L1 sensitivity", ErrInvalid)
	case p.L1 > maxSensitivity:
		return fmt.Errorf("%w: sensitivity above %d", ErrInvalid, int64(maxSensitivity))
	case p.EpsilonMicro <= 0:
		return fmt.Errorf("%w: epsilon must be positive", ErrInvalid)
	case !(p.Delta > 0 && p.Delta < 1):
		return fmt.Errorf("%w: delta must be in (0, 1)", ErrInvalid)
	case p.Parties < 1:
		return fmt.Errorf("%w: parties must be at least 1", ErrInvalid)
	case p.MinHonest < 1 || p.MinHonest > p.Parties:
		return fmt.Errorf("%w: honest parties must be in [1, parties]", ErrInvalid)
	case p.MaxValues < 1:
		return fmt.Errorf("%w: max values must be at least 1", ErrInvalid)
	}
	return nil
}

// maxSensitivity keeps sensitivities where float64 calibration arithmetic is exact
// enough (2^53).
const maxSensitivity = 1 << 53

// alphas are the Rényi orders the conversion minimises over: every integer to 256,
// then a geometric grid to 10⁸ (any order gives a valid bound; these find the optimum
// to within a fraction of a percent for epsilons from 10⁻⁶ upwards).
var alphas = func() []float64 {
	var a []float64
	for i := 2; i <= 256; i++ {
		a = append(a, float64(i))
	}
	for x := 256.0; x < 1e8; x *= 1.01 {
		a = append(a, math.Floor(x*1.01))
	}
	return a
}()

// privacyLoss is the epsilon at the given delta of the sum of n honest N_Z(0, sigmaSq)
// shares on a statistic with sensitivities l1, l2 and d released values
// (Kairouz, Liu, Steinke 2021, Proposition 14, converted by Canonne, Kamath, Steinke
// 2020, Proposition 12).
func privacyLoss(l1, l2 int64, sigmaSq float64, n, d int, delta float64) float64 {
	sd := math.Sqrt(float64(n) * sigmaSq)
	s1 := float64(l1) / sd
	s2 := float64(l2) / sd
	tau := 0.0
	for k := 1; k < n; k++ {
		tau += math.Exp(-2 * math.Pi * math.Pi * sigmaSq * float64(k) / float64(k+1))
	}
	tau *= 10
	fd := float64(d)
	logDelta := math.Log(delta)
	best := math.Inf(1)
	for _, a := range alphas {
		r := min(
			a/2*s2*s2+tau*fd,
			a/2*(s2*s2+2*s1*tau+tau*tau*fd),
			a/2*(s2+math.Sqrt(fd)*tau)*(s2+math.Sqrt(fd)*tau),
		)
		e := r - (logDelta+math.Log(a))/(a-1) + math.Log1p(-1/a)
		if e < best {
			best = e
		}
	}
	return best
}
