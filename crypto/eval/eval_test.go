package eval_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

var testSet = params.MustNamed(params.InsecureN11T58)

func smallSchema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"R1", "R2", "R3", "R4", "R5"}},
			{Name: "age", Codes: []string{"A1", "A2", "A3"}},
			{Name: "sex", Codes: []string{"F", "M"}},
		},
		Measures: []policies.Measure{
			{Name: "stay", Min: 0, Max: 60, HistogramEdges: []int64{1, 4, 14}},
			{Name: "delta", Min: -50, Max: 50},
		},
	}
}

// bigSchema needs 9 ciphertexts at N = 2^11: its split axis is a dimension.
func bigSchema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10"}},
			{Name: "age", Codes: []string{"A1", "A2", "A3", "A4", "A5", "A6"}},
			{Name: "sex", Codes: []string{"F", "M"}},
			{Name: "diag", Codes: []string{"D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "D11"}},
		},
		Measures: []policies.Measure{
			{Name: "stay", Min: 0, Max: 60, HistogramEdges: []int64{1, 4, 14}},
			{Name: "delta", Min: -50, Max: 50},
		},
	}
}

func queries() []policies.Query {
	f := func(dim string, codes ...string) policies.Filter {
		return policies.Filter{Dimension: dim, Codes: codes}
	}
	return []policies.Query{
		{Statistic: policies.StatCount},
		{Statistic: policies.StatCount, GroupBy: []string{"region"}},
		{Statistic: policies.StatSum, Measure: "delta", GroupBy: []string{"sex", "region"}},
		{Statistic: policies.StatMean, Measure: "stay", GroupBy: []string{"age"}, Filters: []policies.Filter{f("region", "R4", "R2")}},
		{Statistic: policies.StatVariance, Measure: "delta", GroupBy: []string{"region", "age", "sex"}},
		{Statistic: policies.StatVariance, Measure: "stay", Filters: []policies.Filter{f("age", "A3", "A1")}},
		{Statistic: policies.StatHistogram, Measure: "stay", GroupBy: []string{"region"}, Filters: []policies.Filter{f("region", "R5", "R1"), f("sex", "M")}},
		{Statistic: policies.StatHistogram, Measure: "stay", GroupBy: []string{"sex"}},
		{Statistic: policies.StatMean, Measure: "delta", GroupBy: []string{"sex"}, Filters: []policies.Filter{f("region", "R1", "R3", "R5"), f("age", "A2")}},
	}
}

// fixture is a small consortium: keys, an evaluator and encrypted submissions.
type fixture struct {
	sk     *rlwe.SecretKey
	layout *cube.Layout
	ev     *eval.Evaluator
	cubes  []*cube.Cube // each provider's plaintext cube
	total  *cube.Cube   // the plaintext sum of every submission
	inputs []eval.Input
}

var (
	fixtures   = map[string]*fixture{}
	fixturesMu sync.Mutex
	keysOnce   sync.Once
	testSK     *rlwe.SecretKey
	testPK     *rlwe.PublicKey
	testEVK    *rlwe.MemEvaluationKeySet
)

func keys() (*rlwe.SecretKey, *rlwe.PublicKey, *rlwe.MemEvaluationKeySet) {
	keysOnce.Do(func() {
		kg := rlwe.NewKeyGenerator(testSet.RLWE())
		testSK, testPK = kg.GenKeyPairNew()
		testEVK = rlwe.NewMemEvaluationKeySet(nil, kg.GenGaloisKeysNew(testSet.GaloisElements(), testSK)...)
	})
	return testSK, testPK, testEVK
}

// newFixture returns (once per schema name) 3 providers' submissions of random records.
func newFixture(t testing.TB, name string, schema policies.Schema) *fixture {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[name]; ok {
		return f
	}
	sk, pk, evk := keys()
	l, err := cube.NewLayout(schema, testSet.RowSlots())
	require.NoError(t, err)
	ev, err := eval.NewEvaluator(testSet, l, evk)
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	f := &fixture{sk: sk, layout: l, ev: ev, total: l.NewCube(testSet.MaxAggregate())}
	rng := rand.New(rand.NewPCG(11, uint64(len(name))))
	for range 3 {
		c := randomCube(t, l, rng, 500+rng.IntN(500))
		require.NoError(t, f.total.Merge(c))
		f.cubes = append(f.cubes, c)
		blob, err := enc.Encrypt(c)
		require.NoError(t, err)
		f.inputs = append(f.inputs, eval.Input{Data: blob, Digest: codec.Digest(blob)})
	}
	fixtures[name] = f
	return f
}

func randomCube(t testing.TB, l *cube.Layout, rng *rand.Rand, n int) *cube.Cube {
	c := l.NewCube(testSet.MaxAggregate())
	s := l.Schema()
	codes := make([]int, len(s.Dimensions))
	values := make([]int64, len(s.Measures))
	for range n {
		for i, d := range s.Dimensions {
			codes[i] = rng.IntN(len(d.Codes))
		}
		for j, m := range s.Measures {
			values[j] = m.Min - 5 + rng.Int64N(m.Max-m.Min+11)
		}
		require.NoError(t, c.Add(codes, values))
	}
	return c
}

// reference computes an output cell from the plaintext cube: the sum of the component
// over every cell in the group that passes the filters.
func reference(c *cube.Cube, q policies.Query, group []string, comp int) int64 {
	s := c.Layout().Schema()
	codes := make([]int, len(s.Dimensions))
	var total int64
	var walk func(d int)
	walk = func(d int) {
		if d == len(s.Dimensions) {
			total += c.Value(comp, codes)
			return
		}
		dim := s.Dimensions[d]
		for ci, code := range dim.Codes {
			ok := true
			for gi, g := range q.GroupBy {
				if g == dim.Name && group[gi] != code {
					ok = false
				}
			}
			for _, f := range q.Filters {
				if f.Dimension == dim.Name {
					in := false
					for _, fc := range f.Codes {
						in = in || fc == code
					}
					ok = ok && in
				}
			}
			if ok {
				codes[d] = ci
				walk(d + 1)
			}
		}
	}
	walk(0)
	return total
}

func centred(v uint64) int64 {
	t := testSet.PlaintextModulus()
	if v > t/2 {
		return -int64(t - v)
	}
	return int64(v)
}

func decrypt(t testing.TB, sk *rlwe.SecretKey, ct *rlwe.Ciphertext) []uint64 {
	pt := rlwe.NewDecryptor(testSet.RLWE(), sk).DecryptNew(ct)
	v := make([]uint64, testSet.Slots())
	require.NoError(t, bgv.NewEncoder(testSet.BGV()).Decode(pt, v))
	return v
}

// componentIndex returns the layout index of an output component.
func componentIndex(l *cube.Layout, c cube.Component) int {
	for i, lc := range l.Components() {
		if lc == c {
			return i
		}
	}
	return -1
}

func TestEveryStatisticIsExactAndEveryOtherSlotIsZero(t *testing.T) {
	for _, sc := range []struct {
		name   string
		schema policies.Schema
	}{{"one-ciphertext cube", smallSchema()}, {"nine-ciphertext cube", bigSchema()}} {
		f := newFixture(t, sc.name, sc.schema)
		for qi, q := range queries() {
			t.Run(fmt.Sprintf("%s, query %d (%s)", sc.name, qi, q.Statistic), func(t *testing.T) {
				plan, err := f.layout.Plan(q)
				require.NoError(t, err)
				res, err := f.ev.Run(plan, f.inputs)
				require.NoError(t, err)
				require.Equal(t, codec.Digest(res.Data), res.Digest)
				require.Len(t, res.Data, eval.ResultSize(testSet, plan.Output.Ciphertexts))
				cts, err := eval.DecodeResult(testSet, res.Output, res.Data, &res.Digest)
				require.NoError(t, err)
				require.Len(t, cts, res.Output.Ciphertexts)
				slots := make([][]uint64, len(cts))
				for i, ct := range cts {
					require.Equal(t, testSet.ResultLevel(), ct.Level())
					slots[i] = decrypt(t, f.sk, ct)
				}
				kept := map[[2]int]bool{}
				for _, cell := range res.Output.Cells {
					comp := componentIndex(f.layout, res.Output.Components[cell.Component])
					want := reference(f.total, q, cell.Group, comp)
					require.Equal(t, want, centred(slots[cell.Ciphertext][cell.Slot]), "cell %+v", cell)
					kept[[2]int{cell.Ciphertext, cell.Slot}] = true
				}
				noisy := 0
				for ci, ss := range res.Output.NoiseSlots() {
					for _, si := range ss {
						require.True(t, kept[[2]int{ci, si}], "noise slot %d of ciphertext %d", si, ci)
						noisy++
					}
				}
				require.Equal(t, len(kept), noisy, "noise goes to exactly the output cells")
				for ci, v := range slots {
					for si, x := range v {
						if !kept[[2]int{ci, si}] {
							require.Zero(t, x, "slot %d of output ciphertext %d", si, ci)
						}
					}
				}
			})
		}
	}
}

func TestDecodedResultsHaveTheEvaluatedScale(t *testing.T) {
	f := newFixture(t, "one-ciphertext cube", smallSchema())
	plan, err := f.layout.Plan(queries()[2])
	require.NoError(t, err)
	sum, err := eval.Sum(testSet, f.layout, f.inputs, 1)
	require.NoError(t, err)
	outs, err := f.ev.Evaluate(plan, sum)
	require.NoError(t, err)
	data, err := eval.EncodeResult(testSet, plan, outs)
	require.NoError(t, err)
	back, err := eval.DecodeResult(testSet, plan.Output, data, nil)
	require.NoError(t, err)
	for i := range outs {
		require.Equal(t, outs[i].Scale.Uint64(), back[i].Scale.Uint64())
		require.Equal(t, testSet.ResultScale(testSet.ResultLevel()), back[i].Scale.Uint64())
		require.True(t, outs[i].Equal(back[i]))
	}
}

func TestSumIsExactAndIndependentOfWorkers(t *testing.T) {
	f := newFixture(t, "nine-ciphertext cube", bigSchema())
	// 40 inputs cross the lazy-reduction threshold of 15 additions per worker.
	tmod := testSet.PlaintextModulus()
	var inputs []eval.Input
	want := make([][]uint64, f.layout.Ciphertexts())
	for i := range want {
		want[i] = make([]uint64, testSet.Slots())
	}
	for i := range 40 {
		p := i % len(f.inputs)
		inputs = append(inputs, f.inputs[p])
		for ci, v := range f.cubes[p].Slots(tmod) {
			for si, x := range v {
				want[ci][si] = (want[ci][si] + x) % tmod
			}
		}
	}
	var first []byte
	for _, workers := range []int{1, 2, 3, 8} {
		sum, err := eval.Sum(testSet, f.layout, inputs, workers)
		require.NoError(t, err)
		blob, err := encrypt.Encode(testSet, f.layout, sum)
		require.NoError(t, err)
		if first == nil {
			first = blob
			for ci, ct := range sum {
				require.Equal(t, want[ci], decrypt(t, f.sk, ct), "ciphertext %d", ci)
			}
		}
		require.Equal(t, first, blob, "%d workers", workers)
	}
}
