package decrypt_test

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// TestCeremonyToReleaseEndToEnd runs the whole cryptographic flow: a 2-of-3 ceremony,
// two providers encrypting their cubes under the collective key, a worker evaluating a
// grouped sum with the collective rotation keys, two holders' decryption shares (noise
// off, then on), and the analyst's release; at the test parameters, and at the
// production parameters unless -short.
func TestCeremonyToReleaseEndToEnd(t *testing.T) {
	for _, name := range []string{params.InsecureN11T58, params.N14T58} {
		t.Run(name, func(t *testing.T) {
			set := params.MustNamed(name)
			if !set.Insecure() && testing.Short() {
				t.Skip("production parameters: skipped with -short")
			}
			endToEnd(t, set)
		})
	}
}

func endToEnd(t *testing.T, set *params.Set) {
	cer, err := ceremony.Run(set, 3, 2, sha256.Sum256([]byte("end to end")))
	require.NoError(t, err)

	schema := policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"north", "south", "east"}},
			{Name: "sex", Codes: []string{"f", "m"}},
		},
		Measures: []policies.Measure{{Name: "los", Min: 0, Max: 30}},
	}
	layout, err := cube.NewLayout(schema, set.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(set, layout, cer.PublicKey)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(21, 22))
	want := map[string]int64{}  // sum of the clipped stays per region
	wantN := map[string]int64{} // records per region
	var cubes []*cube.Cube
	for range 2 {
		c := layout.NewCube(set.MaxAggregate())
		for range 500 {
			region, sex, los := rng.IntN(3), rng.IntN(2), rng.Int64N(40)
			require.NoError(t, c.Add([]int{region, sex}, []int64{los}))
			want[schema.Dimensions[0].Codes[region]] += min(los, 30)
			wantN[schema.Dimensions[0].Codes[region]]++
		}
		cubes = append(cubes, c)
	}
	ev, err := eval.NewEvaluator(set, layout, cer.EvaluationKeys)
	require.NoError(t, err)
	plan, err := layout.Plan(policies.Query{Statistic: policies.StatSum, Measure: "los", GroupBy: []string{"region"}})
	require.NoError(t, err)
	// submitAndEvaluate encrypts the providers' cubes afresh and evaluates the plan.
	submitAndEvaluate := func() (*eval.Result, []*rlwe.Ciphertext) {
		var inputs []eval.Input
		for _, c := range cubes {
			data, err := enc.Encrypt(c)
			require.NoError(t, err)
			inputs = append(inputs, eval.Input{Data: data, Digest: sha256.Sum256(data)})
		}
		res, err := ev.Run(plan, inputs)
		require.NoError(t, err)
		again, err := ev.Run(plan, inputs)
		require.NoError(t, err)
		require.Equal(t, res.Digest, again.Digest, "evaluation is deterministic")
		result, err := eval.DecodeResult(set, res.Output, res.Data, &res.Digest)
		require.NoError(t, err)
		return res, result
	}
	res, result := submitAndEvaluate()

	// The evaluated result's own noise (decrypting with the collective secret of two
	// holders) is far below the smudging noise: the flooding margin params documents.
	s := rlwe.NewSecretKey(set.RLWE())
	for _, a := range []int{1, 2} {
		sk, err := cer.ThresholdKeys[a-1].AdditiveShare([]int{1, 2})
		require.NoError(t, err)
		set.RLWE().RingQP().Add(s.Value, sk.Value, s.Value)
	}
	evalNoise := resultNoise(t, set, s, result[0])
	t.Logf("%s: log2 of the evaluated result's noise: %.1f (smudging: %d)", set.Name(), evalNoise, params.SmudgingLog2Sigma)
	require.Less(t, evalNoise, float64(params.SmudgingLog2Sigma-32))

	analyst := decrypt.NewAnalystKey(set)
	release := func(res *eval.Result, result []*rlwe.Ciphertext, active []int, noise *dp.Noise, slots [][]int) [][]int64 {
		req := decrypt.Request{ResultDigest: res.Digest, Result: result, Analyst: analyst.PublicKey(),
			Active: active, Noise: noise, NoiseSlots: slots}
		var shares []*decrypt.Share
		for _, a := range active {
			b, err := decrypt.NewShare(cer.ThresholdKeys[a-1], req, decrypt.NewMemJournal(), rand.NewChaCha8([32]byte{byte(a)}))
			require.NoError(t, err)
			d := sha256.Sum256(b)
			s, err := decrypt.ParseShare(set, b, &d)
			require.NoError(t, err)
			shares = append(shares, s)
		}
		got, err := analyst.Open(res.Digest, result, shares)
		require.NoError(t, err)
		return got
	}

	// truth is the plaintext value of an output cell: a region's count or sum.
	truth := func(c cube.OutputCell) int64 {
		if res.Output.Components[c.Component].Kind == cube.ComponentCount {
			return wantN[c.Group[0]]
		}
		return want[c.Group[0]]
	}

	// Noise off: exact, and only the output cells are non-zero.
	got := release(res, result, []int{1, 3}, nil, nil)
	cells := map[[2]int]bool{}
	for _, c := range res.Output.Cells {
		cells[[2]int{c.Ciphertext, c.Slot}] = true
		require.Equal(t, truth(c), got[c.Ciphertext][c.Slot], "region %s", c.Group[0])
	}
	require.Len(t, cells, 6, "a sum is released with its count")
	for i := range got {
		for s, v := range got[i] {
			if !cells[[2]int{i, s}] {
				require.Zero(t, v)
			}
		}
	}

	// Noise on, for a new submission round: a holder never shares one result twice.
	noise, err := dp.Calibrate(30, 1_000_000, 1e-6, 2)
	require.NoError(t, err)
	res, result = submitAndEvaluate()
	got = release(res, result, []int{2, 3}, &noise, res.Output.NoiseSlots())
	bound := noise.Bound(1e-9)
	for _, c := range res.Output.Cells {
		d := got[c.Ciphertext][c.Slot] - truth(c)
		require.LessOrEqual(t, max(d, -d), bound)
	}
	for i := range got {
		for s, v := range got[i] {
			if !cells[[2]int{i, s}] {
				require.Zero(t, v)
			}
		}
	}
}

// resultNoise returns log2 of the standard deviation of ct's decryption noise under s.
func resultNoise(t *testing.T, set *params.Set, s *rlwe.SecretKey, ct *rlwe.Ciphertext) float64 {
	p := set.BGV()
	pt := rlwe.NewDecryptor(p, s).DecryptNew(ct)
	values := make([]int64, set.Slots())
	ecd := bgv.NewEncoder(p)
	require.NoError(t, ecd.Decode(pt, values))
	clean := bgv.NewPlaintext(p, ct.Level())
	clean.Scale = ct.Scale
	clean.IsNTT = pt.IsNTT
	require.NoError(t, ecd.Encode(values, clean))
	ringQ := p.RingQ().AtLevel(ct.Level())
	diff := ringQ.NewPoly()
	ringQ.Sub(pt.Value, clean.Value, diff)
	if pt.IsNTT {
		ringQ.INTT(diff, diff)
	}
	return ringQ.Log2OfStandardDeviation(diff)
}
