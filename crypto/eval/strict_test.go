package eval_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

func TestReEvaluationGivesTheSameDigestEvenConcurrently(t *testing.T) {
	f := newFixture(t, "nine-ciphertext cube", bigSchema())
	qs := queries()[2:6]
	plans := make([]*cube.Plan, len(qs))
	want := make([][32]byte, len(qs))
	for i, q := range qs {
		var err error
		plans[i], err = f.layout.Plan(q)
		require.NoError(t, err)
		res, err := f.ev.Run(plans[i], f.inputs)
		require.NoError(t, err)
		want[i] = res.Digest
	}
	// A second evaluator (a second worker or an auditor) with its own keys object.
	_, _, evk := keys()
	other, err := eval.NewEvaluator(testSet, f.layout, evk)
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([][32]byte, 2*len(qs))
	errs := make([]error, 2*len(qs))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := f.ev
			if i%2 == 1 {
				ev = other
			}
			res, err := ev.Run(plans[i/2], f.inputs)
			if err == nil {
				got[i] = res.Digest
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		require.Equal(t, want[i/2], got[i], "query %d, run %d", i/2, i%2)
	}
}

func TestRunRefusesBadInputsWithCleanErrors(t *testing.T) {
	f := newFixture(t, "one-ciphertext cube", smallSchema())
	plan, err := f.layout.Plan(queries()[1])
	require.NoError(t, err)
	big := newFixture(t, "nine-ciphertext cube", bigSchema())
	wrongDigest := f.inputs[0]
	wrongDigest.Digest[0] ^= 1
	for _, tc := range []struct {
		name   string
		inputs []eval.Input
		err    error
	}{
		{"no input", nil, eval.ErrNoInput},
		{"a wrong digest", []eval.Input{f.inputs[0], wrongDigest}, codec.ErrDigest},
		{"a submission of another layout", []eval.Input{f.inputs[0], big.inputs[0]}, codec.ErrFormat},
		{"an empty blob", []eval.Input{{Digest: codec.Digest(nil)}}, codec.ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.ev.Run(plan, tc.inputs)
			require.ErrorIs(t, err, tc.err)
		})
	}
	bigPlan, err := big.layout.Plan(queries()[1])
	require.NoError(t, err)
	_, err = f.ev.Run(bigPlan, f.inputs)
	require.ErrorIs(t, err, eval.ErrPlan, "a plan of another layout")
}

func TestNewEvaluatorRefusesMissingOrForeignKeys(t *testing.T) {
	l, err := cube.NewLayout(smallSchema(), testSet.RowSlots())
	require.NoError(t, err)
	_, _, evk := keys()
	missing := rlwe.NewMemEvaluationKeySet(nil)
	for g, k := range evk.GaloisKeys {
		if g != testSet.GaloisElements()[3] {
			missing.GaloisKeys[g] = k
		}
	}
	other := params.MustNamed(params.N14T58)
	kg := rlwe.NewKeyGenerator(other.RLWE())
	g := testSet.GaloisElements()[0]
	foreign := rlwe.NewMemEvaluationKeySet(nil)
	for gg, k := range evk.GaloisKeys {
		foreign.GaloisKeys[gg] = k
	}
	foreign.GaloisKeys[g] = kg.GenGaloisKeyNew(g, kg.GenSecretKeyNew())
	for _, tc := range []struct {
		name string
		keys *rlwe.MemEvaluationKeySet
	}{
		{"no keys", nil},
		{"a missing rotation key", missing},
		{"a key of another ring", foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eval.NewEvaluator(testSet, l, tc.keys)
			require.ErrorIs(t, err, eval.ErrKeys)
		})
	}
}

// TestDecodersRefuse400DamagedBlobsCleanly feeds 200 truncated and 200 corrupted
// submissions to Sum and results to DecodeResult: every one must give an error, and none
// may crash.
func TestDecodersRefuse400DamagedBlobsCleanly(t *testing.T) {
	f := newFixture(t, "nine-ciphertext cube", bigSchema())
	small := newFixture(t, "one-ciphertext cube", smallSchema())
	plan, err := f.layout.Plan(queries()[4])
	require.NoError(t, err)
	res, err := f.ev.Run(plan, f.inputs)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(21, 22))
	truncate := func(b []byte) []byte { return b[:rng.IntN(len(b))] }
	corrupt := func(b []byte) []byte {
		bad := append([]byte(nil), b...)
		for range 1 + rng.IntN(8) {
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		}
		return bad
	}
	for _, damage := range []func([]byte) []byte{truncate, corrupt} {
		sumErrs, resultErrs := 0, 0
		for range 200 {
			sub := small.inputs[rng.IntN(len(small.inputs))]
			// The digest recorded on the ledger is the undamaged blob's.
			_, err := eval.Sum(testSet, small.layout, []eval.Input{small.inputs[0], {Data: damage(sub.Data), Digest: sub.Digest}}, 2)
			require.ErrorIs(t, err, codec.ErrFormat)
			sumErrs++
			_, err = eval.DecodeResult(testSet, res.Output, damage(res.Data), &res.Digest)
			require.ErrorIs(t, err, codec.ErrFormat)
			resultErrs++
		}
		require.Equal(t, 200, sumErrs)
		require.Equal(t, 200, resultErrs)
	}
}

func TestDecodeResultWithoutDigestRefusesMalformedBlobs(t *testing.T) {
	f := newFixture(t, "one-ciphertext cube", smallSchema())
	plan, err := f.layout.Plan(queries()[3])
	require.NoError(t, err)
	res, err := f.ev.Run(plan, f.inputs)
	require.NoError(t, err)
	otherPlan, err := f.layout.Plan(policies.Query{Statistic: policies.StatMean, Measure: "stay", GroupBy: []string{"sex"}})
	require.NoError(t, err)
	_, err = eval.DecodeResult(testSet, otherPlan.Output, res.Data, nil)
	require.ErrorIs(t, err, codec.ErrFormat, "a result for another output description")
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"submission kind", func(b []byte) []byte { b[6] = byte(codec.KindSubmission); return b }},
		{"top level", func(b []byte) []byte { b[24] = byte(testSet.TopLevel()); return b }},
		{"coefficient above the modulus", func(b []byte) []byte { b[len(b)-1] = 0xff; return b }},
		{"trailing byte", func(b []byte) []byte { return append(b, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eval.DecodeResult(testSet, res.Output, tc.mutate(append([]byte(nil), res.Data...)), nil)
			require.ErrorIs(t, err, codec.ErrFormat)
		})
	}
}
