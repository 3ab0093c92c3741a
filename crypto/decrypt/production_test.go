package decrypt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/params"
)

// TestProductionParametersDecryptExactlyWithProductionSmudging runs a 3-of-5 ceremony
// and threshold decryption at N14T58 with σ = 2^52 smudging noise in every share
// (LATTIGO-NOTES pitfall 1: flooding that silently breaks decryption), on values up to
// ±MaxAggregate, and checks that the smudging noise is really there.
func TestProductionParametersDecryptExactlyWithProductionSmudging(t *testing.T) {
	if testing.Short() {
		t.Skip("production parameters: skipped with -short")
	}
	f := testFixture(t, params.N14T58, 5, 3)
	require.False(t, f.set.Insecure())
	rng := rand.New(rand.NewPCG(13, 14))
	maxAgg := int64(f.set.MaxAggregate())

	for _, active := range [][]int{{1, 2, 3}, {2, 4, 5}} {
		values := randomValues(rng, f.set, 1, maxAgg)
		result, digest := f.result(t, values)
		req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: active}
		_, shares := f.shares(t, req, seeded)
		switched, err := Combine(f.set, digest, result, shares)
		require.NoError(t, err)
		got, err := f.analyst.Decrypt(switched)
		require.NoError(t, err)
		require.Equal(t, values, got, "active set %v", active)

		// The decryption noise is the smudging noise of three shares: log2 of its
		// standard deviation is 52 + log2(√3) ≈ 52.8, far above the key's noise.
		noise := rawNoise(t, f, switched[0], values[0])
		require.InDelta(t, smudgingLog2ForShares(3), noise, 0.5)
	}

	// Noise on: every released value within the bound, every other slot exact.
	noise, err := dp.Calibrate(365, 1_000_000, 1e-6, 3)
	require.NoError(t, err)
	values := randomValues(rng, f.set, 1, maxAgg/2)
	slots := [][]int{{0, 1, 2, 100, 8191, 8192, 16383}}
	result, digest := f.result(t, values)
	req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 3, 5},
		Noise: &noise, NoiseSlots: slots}
	_, shares := f.shares(t, req, seeded)
	switched, err := Combine(f.set, digest, result, shares)
	require.NoError(t, err)
	got, err := f.analyst.Decrypt(switched)
	require.NoError(t, err)
	bound := noise.Bound(1e-9)
	noisy := map[int]bool{}
	for _, s := range slots[0] {
		noisy[s] = true
		d := got[0][s] - values[0][s]
		require.LessOrEqual(t, max(d, -d), bound)
	}
	for s := range got[0] {
		if !noisy[s] {
			require.Equal(t, values[0][s], got[0][s])
		}
	}
}

// smudgingLog2ForShares is log2 of the standard deviation of the sum of k shares'
// smudging noise.
func smudgingLog2ForShares(k int) float64 {
	return params.SmudgingLog2Sigma + math.Log2(math.Sqrt(float64(k)))
}

// rawNoise returns log2 of the standard deviation of the decryption noise of ct (re-
// encrypted to the analyst) with respect to the expected values.
func rawNoise(t *testing.T, f *fixture, ct *rlwe.Ciphertext, values []int64) float64 {
	p := f.set.BGV()
	ringQ := p.RingQ().AtLevel(ct.Level())
	d := ringQ.NewPoly()
	ringQ.MulCoeffsMontgomery(ct.Value[1], f.analyst.sk.Value.Q, d)
	ringQ.Add(d, ct.Value[0], d)
	pt := bgv.NewPlaintext(p, ct.Level())
	pt.Scale = ct.Scale
	require.NoError(t, bgv.NewEncoder(p).Encode(values, pt))
	ringQ.Sub(d, pt.Value, d)
	ringQ.INTT(d, d)
	return ringQ.Log2OfStandardDeviation(d)
}
