package dp

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSumOfSharesHasTheCalibratedTotalDistribution(t *testing.T) {
	cases := []struct {
		name    string
		parties int
		eps     int64
	}{
		{"three holders at epsilon 1", 3, 1e6},
		{"five holders at epsilon 0.5", 5, 500_000},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Calibrate(1, c.eps, 1e-6, c.parties)
			require.NoError(t, err)
			sum := make([]int64, samples)
			for p := range c.parties {
				share, err := n.SampleShare(seeded(uint64(1000*i+p)), samples)
				require.NoError(t, err)
				for j, v := range share {
					sum[j] += v
				}
			}
			one := gaussianPMF(n.SigmaSq())
			total := one
			for range c.parties - 1 {
				total = total.convolve(one)
			}
			_, variance, _ := total.moments()
			require.InDelta(t, n.TotalVariance(), variance, 1e-9*variance)
			sd := math.Sqrt(variance)
			requireMatches(t, sum, total, []int64{1, int64(sd), int64(2 * sd), int64(3 * sd)})
		})
	}
}

func TestBoundHoldsWithTheStatedProbability(t *testing.T) {
	n, err := Calibrate(10, 1e6, 1e-6, 4)
	require.NoError(t, err)
	const count = 50_000
	sum := make([]int64, count)
	for p := range n.Parties {
		share, err := n.SampleShare(seeded(uint64(5000+p)), count)
		require.NoError(t, err)
		for j, v := range share {
			sum[j] += v
		}
	}
	for _, fail := range []float64{0.1, 0.01, 0.001} {
		b := n.Bound(fail)
		out := 0
		for _, v := range sum {
			if v > b || v < -b {
				out++
			}
		}
		require.LessOrEqual(t, float64(out)/count, fail+5*math.Sqrt(fail/count), "bound %d at %g", b, fail)
	}
	require.Equal(t, int64(0), n.Bound(1))
	require.Equal(t, int64(math.MaxInt64), n.Bound(0))
	require.Equal(t, int64(math.MaxInt64), n.Bound(math.NaN()))
	require.Less(t, n.Bound(0.01), n.Bound(0.001))
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestSampleShareReportsClearErrors(t *testing.T) {
	n, err := Calibrate(1, 1e6, 1e-6, 3)
	require.NoError(t, err)
	cases := []struct {
		name  string
		noise Noise
		rng   io.Reader
		count int
		want  error
	}{
		{"a failing random source is reported", n, failingReader{}, 4, ErrRandomness},
		{"a nil random source is refused", n, nil, 4, ErrInvalid},
		{"a negative count is refused", n, seeded(1), -1, ErrInvalid},
		{"more values than the guarantee covers are refused", n, seeded(1), n.MaxValues + 1, ErrInvalid},
		{"an uncalibrated noise is refused", Noise{}, seeded(1), 4, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.noise.SampleShare(c.rng, c.count)
			require.ErrorIs(t, err, c.want)
			require.Nil(t, out)
		})
	}
	out, err := n.SampleShare(seeded(1), 0)
	require.NoError(t, err)
	require.Empty(t, out)
}

func TestSampleShareIsReproducibleFromTheSameSeed(t *testing.T) {
	n, err := Calibrate(100, 250_000, 1e-9, 3)
	require.NoError(t, err)
	a, err := n.SampleShare(seeded(42), 1000)
	require.NoError(t, err)
	b, err := n.SampleShare(seeded(42), 1000)
	require.NoError(t, err)
	c, err := n.SampleShare(seeded(43), 1000)
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
}

func TestNoiseJSONRoundTrips(t *testing.T) {
	n, err := CalibrateParams(Params{L1: 5, L2: 3, EpsilonMicro: 700_000, Delta: 1e-7, Parties: 4, MinHonest: 3})
	require.NoError(t, err)
	data, err := json.Marshal(n)
	require.NoError(t, err)
	var back Noise
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, n, back)
}

func TestNoiseJSONDecodingRejectsBadInput(t *testing.T) {
	n, err := Calibrate(1, 1e6, 1e-6, 3)
	require.NoError(t, err)
	good, err := json.Marshal(n)
	require.NoError(t, err)
	edit := func(f func(map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	cases := []struct {
		name string
		in   string
	}{
		{"an unknown field is refused", edit(func(m map[string]any) { m["extra"] = 1 })},
		{"an unknown mechanism is refused", edit(func(m map[string]any) { m["mechanism"] = "laplace" })},
		{"noise too small for the recorded epsilon is refused", edit(func(m map[string]any) { m["sigmaSqNum"] = 1000 })},
		{"a zero denominator is refused", edit(func(m map[string]any) { m["sigmaSqDen"] = 0 })},
		{"more honest holders than parties are refused", edit(func(m map[string]any) { m["minHonest"] = 9 })},
		{"a delta of one is refused", edit(func(m map[string]any) { m["delta"] = 1 })},
		{"trailing data is refused", string(good) + "{}"},
		{"truncated input is refused", string(good[:len(good)/2])},
		{"a wrong type is refused", edit(func(m map[string]any) { m["parties"] = "three" })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got Noise
			require.Error(t, json.Unmarshal([]byte(c.in), &got))
			require.Equal(t, Noise{}, got)
		})
	}
}

func FuzzNoiseUnmarshalJSON(f *testing.F) {
	n, err := Calibrate(3, 1e6, 1e-6, 3)
	require.NoError(f, err)
	good, err := json.Marshal(n)
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"mechanism":"distributed-discrete-gaussian","sigmaSqNum":1,"sigmaSqDen":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Noise
		if err := json.Unmarshal(data, &got); err != nil {
			return
		}
		require.NoError(t, got.Validate())
		out, err := got.SampleShare(seeded(1), 2)
		require.NoError(t, err)
		require.Len(t, out, 2)
		again, err := json.Marshal(got)
		require.NoError(t, err)
		var back Noise
		require.NoError(t, json.Unmarshal(again, &back))
		require.Equal(t, got, back)
	})
}
