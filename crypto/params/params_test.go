package params

import (
	"errors"
	"math"
	"math/big"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/policies"
)

// securityMargin is the number of bits by which a production set's log2(QP) must stay
// below the HE standard's 128-bit bound for its ring degree.
const securityMargin = 64

func TestProductionSetsStayWithinTheHEStandardBoundWithMargin(t *testing.T) {
	for _, name := range Names() {
		s := MustNamed(name)
		if s.Insecure() {
			continue
		}
		t.Run(name, func(t *testing.T) {
			bound, ok := HEStandardBound(s.BGV().LogN())
			require.True(t, ok, "ring degree not in the HE standard table")
			require.Less(t, s.LogQP(), float64(bound-securityMargin),
				"log2(QP) %.1f is not %d bits below the bound %d", s.LogQP(), securityMargin, bound)
			// The secret and error distributions are the ones the table assumes.
			require.InDelta(t, 3.2, s.RLWE().NoiseBound()/6, 1e-9, "error sigma")
		})
	}
}

func TestInsecureSetsAreNamedSoAndExceedTheBound(t *testing.T) {
	for _, name := range Names() {
		s := MustNamed(name)
		bound, ok := HEStandardBound(s.BGV().LogN())
		require.True(t, ok)
		secure := s.LogQP() <= float64(bound)
		require.Equal(t, !secure, s.Insecure(), "%s: insecure flag disagrees with the bound", name)
		require.Equal(t, s.Insecure(), len(name) > 8 && name[:8] == "Insecure", "%s: name must carry Insecure", name)
	}
}

func TestPlaintextModulusIsAPrimeWithEverySlotUsable(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := MustNamed(name)
			pt := s.PlaintextModulus()
			require.True(t, new(big.Int).SetUint64(pt).ProbablyPrime(40), "t is prime")
			// t ≡ 1 mod 2N: the batching NTT exists and all N slots are usable.
			require.Equal(t, uint64(1), pt%uint64(2*s.N()))
			require.Equal(t, s.N(), s.BGV().MaxSlots())
			require.Equal(t, (pt-1)/4, s.MaxAggregate())
			// Twice MaxAggregate (a value plus headroom of the same size for noise) is
			// still in the centred range [-(t-1)/2, (t-1)/2].
			require.LessOrEqual(t, 2*s.MaxAggregate(), (pt-1)/2)
			// t is coprime with every ciphertext prime (BGV needs it invertible).
			for _, q := range append(append([]uint64{}, s.BGV().Q()...), s.BGV().P()...) {
				require.NotEqual(t, uint64(0), q%pt)
				require.True(t, new(big.Int).SetUint64(q).ProbablyPrime(40))
			}
		})
	}
}

func TestSmudgingNoiseStaysBelowEveryPrimeAndTheDecryptionBudget(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := MustNamed(name)
			g := s.SmudgingNoise()
			require.Equal(t, math.Exp2(SmudgingLog2Sigma), g.Sigma)
			// LATTIGO-NOTES pitfall 1: the flooding sampler does not reduce samples.
			for _, q := range s.BGV().Q() {
				require.Less(t, g.Bound, float64(q)/2)
			}
			// MaxHolders shares of at most Bound each, times t, below Q_result/2.
			qr := new(big.Float).SetInt(s.RLWE().RingQ().AtLevel(s.ResultLevel()).Modulus())
			worst := new(big.Float).SetFloat64(g.Bound * MaxHolders)
			worst.Mul(worst, new(big.Float).SetUint64(s.PlaintextModulus()))
			worst.Mul(worst, big.NewFloat(2))
			require.Equal(t, -1, worst.Cmp(qr))
		})
	}
}

func TestGaloisElementsCoverPowerOfTwoRotationsAndTheRowSwap(t *testing.T) {
	s := MustNamed(InsecureN11T58)
	els := s.GaloisElements()
	require.Len(t, els, s.BGV().LogN()) // rotations by 1, 2, ..., N/4, then the swap
	seen := map[uint64]bool{}
	for _, e := range els {
		require.False(t, seen[e], "duplicate element")
		seen[e] = true
	}
	require.Equal(t, s.BGV().GaloisElementForRowRotation(), els[len(els)-1])
	require.Equal(t, s.BGV().GaloisElementForColRotation(1), els[0])
}

func TestResultScaleInvertsTheTopPrimeModuloT(t *testing.T) {
	s := MustNamed(InsecureN11T58)
	require.Equal(t, uint64(1), s.ResultScale(s.TopLevel()))
	sc := new(big.Int).SetUint64(s.ResultScale(s.ResultLevel()))
	sc.Mul(sc, new(big.Int).SetUint64(s.BGV().Q()[s.TopLevel()]))
	sc.Mod(sc, new(big.Int).SetUint64(s.PlaintextModulus()))
	require.Equal(t, int64(1), sc.Int64())
}

func TestNamedRefusesUnknownNamesAndIsSafeForConcurrentUse(t *testing.T) {
	_, err := Named("N99")
	require.ErrorIs(t, err, ErrUnknown)
	_, err = Named("a-very-long-name-that-is-clipped-in-errors")
	require.ErrorIs(t, err, ErrUnknown)
	var wg sync.WaitGroup
	got := make([]*Set, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = MustNamed(InsecureN11T58)
		}()
	}
	wg.Wait()
	for _, s := range got {
		require.Same(t, got[0], s)
	}
	require.Panics(t, func() { MustNamed("nope") })
}

func TestCheckCapacity(t *testing.T) {
	s := MustNamed(N14T58)
	schema := func(min, max int64) policies.Schema {
		return policies.Schema{
			Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"a", "b"}}},
			Measures:   []policies.Measure{{Name: "m", Min: min, Max: max}},
		}
	}
	cases := []struct {
		name      string
		schema    policies.Schema
		records   int64
		providers int64
		wantErr   error
	}{
		{"a hospital-sized dataset fits", schema(0, 365), 1_000_000, 100, nil},
		{"counts alone fit up to MaxAggregate records", policies.Schema{}, int64(s.MaxAggregate()), 1, nil},
		{"one record more than MaxAggregate overflows a count", policies.Schema{}, int64(s.MaxAggregate()) + 1, 1, ErrCapacity},
		{"large bounds times many records overflow the sum of squares", schema(0, 1_000_000_000), 1_000_000, 1_000, ErrCapacity},
		{"a negative lower bound counts by its square", schema(-3_000_000_000, 1), 10_000, 1, ErrCapacity},
		{"the largest int64 bound is refused without wrapping", schema(math.MinInt64, math.MaxInt64), 1, 1, ErrCapacity},
		{"huge record and provider counts are refused without wrapping", schema(0, 1), math.MaxInt64, math.MaxInt64, ErrCapacity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.CheckCapacity(c.schema, c.records, c.providers)
			if c.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, c.wantErr)
		})
	}
	for _, bad := range [][2]int64{{0, 1}, {1, 0}, {-1, 5}} {
		err := s.CheckCapacity(schema(0, 1), bad[0], bad[1])
		require.Error(t, err)
		require.False(t, errors.Is(err, ErrCapacity))
	}
}

func TestMaxRecordsIsTheExactCapacityEdge(t *testing.T) {
	s := MustNamed(N14T58)
	schema := policies.Schema{Measures: []policies.Measure{{Name: "los", Min: -7, Max: 365}}}
	n := s.MaxRecords(schema)
	require.Equal(t, s.MaxAggregate()/(365*365), n)
	require.NoError(t, s.CheckCapacity(schema, int64(n), 1))
	require.ErrorIs(t, s.CheckCapacity(schema, int64(n)+1, 1), ErrCapacity)
}
