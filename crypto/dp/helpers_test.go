package dp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// seeded returns a deterministic random source for reproducible tests.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// pmf is an exact (to double precision) probability mass function on [lo, lo+len(p)).
type pmf struct {
	lo int64
	p  []float64
}

func (d pmf) at(x int64) float64 {
	i := x - d.lo
	if i < 0 || i >= int64(len(d.p)) {
		return 0
	}
	return d.p[i]
}

func (d pmf) moments() (mean, variance, fourth float64) {
	for i, p := range d.p {
		mean += float64(d.lo+int64(i)) * p
	}
	for i, p := range d.p {
		c := float64(d.lo+int64(i)) - mean
		variance += c * c * p
		fourth += c * c * c * c * p
	}
	return mean, variance, fourth
}

// tail returns P(|X| >= k).
func (d pmf) tail(k int64) float64 {
	t := 0.0
	for i, p := range d.p {
		x := d.lo + int64(i)
		if x >= k || x <= -k {
			t += p
		}
	}
	return t
}

func (d pmf) convolve(e pmf) pmf {
	out := make([]float64, len(d.p)+len(e.p)-1)
	for i, a := range d.p {
		for j, b := range e.p {
			out[i+j] += a * b
		}
	}
	return pmf{lo: d.lo + e.lo, p: out}
}

// gaussianPMF is the pmf of N_Z(0, s2), truncated where the mass is below 1e-300.
func gaussianPMF(s2 float64) pmf {
	r := int64(math.Ceil(40*math.Sqrt(s2))) + 2
	p := make([]float64, 2*r+1)
	z := 0.0
	for i := range p {
		x := float64(int64(i) - r)
		p[i] = math.Exp(-x * x / (2 * s2))
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return pmf{lo: -r, p: p}
}

// requireMatches checks the sample mean, variance and tail frequencies of xs against
// the exact distribution d, with tolerances of 5 standard errors.
func requireMatches(t *testing.T, xs []int64, d pmf, tails []int64) {
	t.Helper()
	n := float64(len(xs))
	mean, variance, fourth := d.moments()
	var sum, sumSq float64
	for _, x := range xs {
		sum += float64(x)
	}
	m := sum / n
	for _, x := range xs {
		c := float64(x) - m
		sumSq += c * c
	}
	v := sumSq / (n - 1)
	require.InDelta(t, mean, m, 5*math.Sqrt(variance/n), "mean")
	require.InDelta(t, variance, v, 5*math.Sqrt((fourth-variance*variance)/n)+1e-12, "variance")
	for _, k := range tails {
		p := d.tail(k)
		c := 0
		for _, x := range xs {
			if x >= k || x <= -k {
				c++
			}
		}
		require.InDelta(t, p, float64(c)/n, 5*math.Sqrt(p*(1-p)/n)+1/n, "P(|X| >= %d)", k)
	}
}
