package decrypt_test

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// TestCeremonyToReleaseEndToEnd runs the whole cryptographic flow at the insecure test
// parameters: a 2-of-3 ceremony, two providers encrypting their cubes under the
// collective key, a worker evaluating a grouped sum with the collective rotation keys,
// two holders' decryption shares (noise off, then on), and the analyst's release.
func TestCeremonyToReleaseEndToEnd(t *testing.T) {
	set := params.MustNamed(params.InsecureN11T58)
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
	want := map[string]int64{}
	var cubes []*cube.Cube
	for range 2 {
		c := layout.NewCube(set.MaxAggregate())
		for range 500 {
			region, sex, los := rng.IntN(3), rng.IntN(2), rng.Int64N(40)
			require.NoError(t, c.Add([]int{region, sex}, []int64{los}))
			want[schema.Dimensions[0].Codes[region]] += min(los, 30)
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

	// Noise off: exact, and only the output cells are non-zero.
	got := release(res, result, []int{1, 3}, nil, nil)
	cells := map[[2]int]bool{}
	for _, c := range res.Output.Cells {
		cells[[2]int{c.Ciphertext, c.Slot}] = true
		require.Equal(t, want[c.Group[0]], got[c.Ciphertext][c.Slot], "region %s", c.Group[0])
	}
	require.Len(t, cells, 3)
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
		d := got[c.Ciphertext][c.Slot] - want[c.Group[0]]
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
