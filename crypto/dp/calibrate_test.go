package dp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCalibrateRejectsInvalidParameters(t *testing.T) {
	cases := []struct {
		name        string
		sensitivity int64
		eps         int64
		delta       float64
		parties     int
	}{
		{"zero epsilon is refused", 1, 0, 1e-6, 3},
		{"negative epsilon is refused", 1, -5, 1e-6, 3},
		{"zero delta is refused", 1, 1e6, 0, 3},
		{"delta of one is refused", 1, 1e6, 1, 3},
		{"NaN delta is refused", 1, 1e6, math.NaN(), 3},
		{"zero parties are refused", 1, 1e6, 1e-6, 0},
		{"zero sensitivity is refused", 0, 1e6, 1e-6, 3},
		{"negative sensitivity is refused", -2, 1e6, 1e-6, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Calibrate(c.sensitivity, c.eps, c.delta, c.parties)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestCalibrateParamsRejectsInconsistentHonestyAndSensitivities(t *testing.T) {
	base := Params{L1: 4, L2: 2, EpsilonMicro: 1e6, Delta: 1e-6, Parties: 3, MinHonest: 2}
	cases := []struct {
		name   string
		modify func(*Params)
	}{
		{"more honest holders than parties is refused", func(p *Params) { p.MinHonest = 4 }},
		{"negative honest holders are refused", func(p *Params) { p.MinHonest = -1 }},
		{"an L2 sensitivity above the L1 sensitivity is refused", func(p *Params) { p.L2 = 5 }},
		{"a negative value count is refused", func(p *Params) { p.MaxValues = -1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			c.modify(&p)
			_, err := CalibrateParams(p)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	_, err := CalibrateParams(base)
	require.NoError(t, err)
}

func TestCalibrateRefusesScalesThatOverflow(t *testing.T) {
	_, err := Calibrate(1<<40, 1, 1e-9, 3)
	require.ErrorIs(t, err, ErrScaleTooLarge)
}

func TestCalibrateMeetsTheTargetTightly(t *testing.T) {
	cases := []struct {
		name string
		p    Params
	}{
		{"a count with one holder", Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-9, Parties: 1}},
		{"a count shared by five holders", Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-9, Parties: 5}},
		{"a sum with clipping bound 1000 at epsilon 0.1", Params{L1: 1000, L2: 1000, EpsilonMicro: 100_000, Delta: 1e-9, Parties: 3}},
		{"a histogram row tolerating two dishonest of five", Params{L1: 3, L2: 2, EpsilonMicro: 500_000, Delta: 1e-6, Parties: 5, MinHonest: 3}},
		{"a tiny epsilon", Params{L1: 1, L2: 1, EpsilonMicro: 1000, Delta: 1e-9, Parties: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := CalibrateParams(c.p)
			require.NoError(t, err)
			require.NoError(t, n.Validate())
			eps := float64(c.p.EpsilonMicro) / 1e6
			require.LessOrEqual(t, n.PrivacyLoss(), eps)
			require.Greater(t, n.PrivacyLoss(), 0.999*eps, "calibration should not waste noise")
		})
	}
}

func TestHonestyAssumptionScalesTheNoise(t *testing.T) {
	all, err := CalibrateParams(Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-9, Parties: 5, MinHonest: 5})
	require.NoError(t, err)
	three, err := CalibrateParams(Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-9, Parties: 5, MinHonest: 3})
	require.NoError(t, err)
	single, err := Calibrate(1, 1e6, 1e-9, 1)
	require.NoError(t, err)

	// The honest part of the noise has the scale a single trusted party would add.
	require.InDelta(t, single.SigmaSq(), 5*all.SigmaSq(), 0.001*single.SigmaSq())
	require.InDelta(t, single.SigmaSq(), 3*three.SigmaSq(), 0.001*single.SigmaSq())
	// Tolerating two dishonest holders costs a factor 5/3 in released variance.
	require.InDelta(t, 5.0/3, three.TotalVariance()/all.TotalVariance(), 0.01)
	// If fewer holders than assumed are honest, the guarantee degrades.
	require.Greater(t, three.PrivacyLossWith(2), 1.0)
	require.LessOrEqual(t, three.PrivacyLossWith(5), three.PrivacyLoss())
	require.True(t, math.IsInf(three.PrivacyLossWith(0), 1))
}

// TestCalibratedNoiseMeetsTheExactPrivacyProfile checks the calibration end to end,
// independently of the Rényi bound and its conversion: for a one-value statistic with
// sensitivity Δ, the exact delta of the total honest noise at the target epsilon is
// sum over x of max(0, P(x) − e^ε·P(x − Δ)), which must not exceed the target delta.
func TestCalibratedNoiseMeetsTheExactPrivacyProfile(t *testing.T) {
	cases := []struct {
		name string
		p    Params
	}{
		{"a count with one holder", Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-6, Parties: 1}},
		{"a count shared by three holders", Params{L1: 1, L2: 1, EpsilonMicro: 1e6, Delta: 1e-6, Parties: 3}},
		{"a count shared by five holders at epsilon 2", Params{L1: 1, L2: 1, EpsilonMicro: 2e6, Delta: 1e-9, Parties: 5}},
		{"a sum with sensitivity 7 over four holders, three honest", Params{L1: 7, L2: 7, EpsilonMicro: 500_000, Delta: 1e-5, Parties: 4, MinHonest: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := CalibrateParams(c.p)
			require.NoError(t, err)
			share := gaussianPMF(n.SigmaSq())
			total := share
			for range n.MinHonest - 1 {
				total = total.convolve(share)
			}
			eps := float64(c.p.EpsilonMicro) / 1e6
			delta := 0.0
			for i := range total.p {
				x := total.lo + int64(i)
				delta += math.Max(0, total.at(x)-math.Exp(eps)*total.at(x-c.p.L1))
			}
			require.LessOrEqual(t, delta, c.p.Delta)
			// And the noise is not grossly more than needed: at a tenth of the epsilon
			// the exact delta is well above the target.
			loose := 0.0
			for i := range total.p {
				x := total.lo + int64(i)
				loose += math.Max(0, total.at(x)-math.Exp(eps/10)*total.at(x-c.p.L1))
			}
			require.Greater(t, loose, c.p.Delta)
		})
	}
}
