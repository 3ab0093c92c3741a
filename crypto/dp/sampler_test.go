package dp

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

const samples = 100_000

func TestBernoulliExpNegMatchesExpOfMinusGamma(t *testing.T) {
	cases := []struct {
		name     string
		num, den int64
	}{
		{"gamma zero always succeeds", 0, 1},
		{"gamma one third", 1, 3},
		{"gamma one", 1, 1},
		{"gamma five halves takes the integer loop", 5, 2},
		{"gamma with a denominator beyond 64 bits", 7, 3},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			num, den := big.NewInt(c.num), big.NewInt(c.den)
			if i == len(cases)-1 {
				scale := new(big.Int).Lsh(big.NewInt(1), 90)
				num.Mul(num, scale)
				den.Mul(den, scale)
			}
			s := newSource(seeded(uint64(i) + 1))
			hits := 0
			for range samples {
				ok, err := s.bernoulliExpNeg(num, den)
				require.NoError(t, err)
				if ok {
					hits++
				}
			}
			p := math.Exp(-float64(c.num) / float64(c.den))
			require.InDelta(t, p, float64(hits)/samples, 5*math.Sqrt(p*(1-p)/samples)+1e-9)
		})
	}
}

func TestUniformIsUniformOverItsRange(t *testing.T) {
	s := newSource(seeded(7))
	const n = 10
	var counts [n]int
	for range samples {
		v, err := s.uniform(n)
		require.NoError(t, err)
		counts[v]++
	}
	for i, c := range counts {
		require.InDelta(t, samples/n, c, 5*math.Sqrt(samples*0.1*0.9), "value %d", i)
	}
}

func TestDiscreteLaplaceMatchesItsExactDistribution(t *testing.T) {
	for i, scale := range []uint64{1, 3, 40} {
		t.Run("scale "+big.NewInt(int64(scale)).String(), func(t *testing.T) {
			q := math.Exp(-1 / float64(scale))
			r := int64(800 * scale)
			p := make([]float64, 2*r+1)
			for j := range p {
				x := j - int(r)
				p[j] = (1 - q) / (1 + q) * math.Pow(q, math.Abs(float64(x)))
			}
			s := newSource(seeded(100 + uint64(i)))
			xs := make([]int64, samples)
			for j := range xs {
				v, err := s.discreteLaplace(scale)
				require.NoError(t, err)
				xs[j] = v
			}
			k := int64(scale)
			requireMatches(t, xs, pmf{lo: -r, p: p}, []int64{1, k, 3 * k, 6 * k})
		})
	}
}

func TestDiscreteGaussianMatchesItsExactDistribution(t *testing.T) {
	cases := []struct {
		name     string
		num, den int64
	}{
		{"sigma squared two thirds, below the proposal scale", 2, 3},
		{"sigma squared one", 1, 1},
		{"sigma squared 6.679, a count among five holders", 6679, 1000},
		{"sigma squared 142857.142857, a sum", 1_000_000_000, 7000},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s2 := float64(c.num) / float64(c.den)
			g := newGaussian(c.num, c.den)
			src := newSource(seeded(200 + uint64(i)))
			xs := make([]int64, samples)
			for j := range xs {
				v, err := g.sample(src)
				require.NoError(t, err)
				xs[j] = v
			}
			sd := math.Sqrt(s2)
			tails := []int64{1, int64(math.Ceil(sd)), int64(math.Ceil(2 * sd)), int64(math.Ceil(3 * sd))}
			requireMatches(t, xs, gaussianPMF(s2), tails)
		})
	}
}

func TestDiscreteGaussianAtLargeScaleMatchesTheNormalApproximation(t *testing.T) {
	// σ² = 5·10¹¹ exercises the arbitrary-precision acceptance path; at this scale the
	// discrete Gaussian's variance is σ² and its tails are the normal tails with a
	// continuity correction, both to far better than the 5-standard-error tolerance.
	const num, den = 500_000_000_000_000, 1000
	s2 := float64(num) / den
	sd := math.Sqrt(s2)
	g := newGaussian(num, den)
	src := newSource(seeded(300))
	xs := make([]int64, samples)
	var sum, sumSq float64
	for j := range xs {
		v, err := g.sample(src)
		require.NoError(t, err)
		xs[j] = v
		sum += float64(v)
		sumSq += float64(v) * float64(v)
	}
	n := float64(samples)
	require.InDelta(t, 0, sum/n, 5*sd/math.Sqrt(n))
	require.InDelta(t, s2, sumSq/n, 5*math.Sqrt(2*s2*s2/n))
	for _, z := range []float64{1, 2, 3} {
		k := math.Ceil(z * sd)
		p := math.Erfc((k - 0.5) / (sd * math.Sqrt2)) // P(|X| >= k)
		c := 0
		for _, x := range xs {
			if math.Abs(float64(x)) >= k {
				c++
			}
		}
		require.InDelta(t, p, float64(c)/n, 5*math.Sqrt(p*(1-p)/n)+1/n, "P(|X| >= %.0f)", k)
	}
}
