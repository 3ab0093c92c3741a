package cube

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/policies"
)

const testT = 288230376151683073

func testSchema() policies.Schema {
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

type record struct {
	codes  []int
	values []int64
}

func randomRecords(rng *rand.Rand, s policies.Schema, n int) []record {
	recs := make([]record, n)
	for i := range recs {
		r := record{}
		for _, d := range s.Dimensions {
			r.codes = append(r.codes, rng.IntN(len(d.Codes)))
		}
		for _, m := range s.Measures {
			r.values = append(r.values, m.Min-10+rng.Int64N(m.Max-m.Min+21))
		}
		recs[i] = r
	}
	return recs
}

// reference computes component comp of an output group directly from the records.
func reference(s policies.Schema, q policies.Query, recs []record, group []string, comp Component) int64 {
	var total int64
	for _, r := range recs {
		ok := true
		for i, g := range q.GroupBy {
			d, di, _ := s.Dimension(g)
			if d.Codes[r.codes[di]] != group[i] {
				ok = false
			}
		}
		for _, f := range q.Filters {
			d, di, _ := s.Dimension(f.Dimension)
			in := false
			for _, c := range f.Codes {
				in = in || d.Codes[r.codes[di]] == c
			}
			ok = ok && in
		}
		if !ok {
			continue
		}
		if comp.Kind == ComponentCount {
			total++
			continue
		}
		m, mi, _ := s.Measure(comp.Measure)
		v := min(max(r.values[mi], m.Min), m.Max)
		switch comp.Kind {
		case ComponentSum:
			total += v
		case ComponentSumSq:
			total += v * v
		case ComponentBin:
			bin := 0
			for bin < len(m.HistogramEdges) && v >= m.HistogramEdges[bin] {
				bin++
			}
			if bin == comp.Bin {
				total++
			}
		}
	}
	return total
}

func centred(v uint64) int64 {
	if v > testT/2 {
		return -int64(testT - v)
	}
	return int64(v)
}

func testQueries() []policies.Query {
	return []policies.Query{
		{Statistic: policies.StatCount},
		{Statistic: policies.StatCount, GroupBy: []string{"region"}},
		{Statistic: policies.StatSum, Measure: "delta", GroupBy: []string{"sex", "region"}},
		{Statistic: policies.StatMean, Measure: "stay", GroupBy: []string{"age"}, Filters: []policies.Filter{{Dimension: "region", Codes: []string{"R4", "R2"}}}},
		{Statistic: policies.StatVariance, Measure: "delta", GroupBy: []string{"region", "age", "sex"}},
		{Statistic: policies.StatHistogram, Measure: "stay", GroupBy: []string{"region"}, Filters: []policies.Filter{{Dimension: "region", Codes: []string{"R5", "R1"}}, {Dimension: "sex", Codes: []string{"M"}}}},
		{Statistic: policies.StatVariance, Measure: "stay", Filters: []policies.Filter{{Dimension: "age", Codes: []string{"A3", "A1"}}}},
	}
}

func TestPlanSimulationMatchesPlaintextForEveryRowSize(t *testing.T) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := randomRecords(rng, s, 400)
	for _, rowSlots := range []int{2, 3, 5, 8, 13, 32, 64, 120, 1024} {
		l, err := NewLayout(s, rowSlots)
		require.NoError(t, err)
		c := l.NewCube(testT / 4)
		for _, r := range recs {
			require.NoError(t, c.Add(r.codes, r.values))
		}
		slots := c.Slots(testT)
		require.Len(t, slots, l.Ciphertexts())
		for qi, q := range testQueries() {
			t.Run(fmt.Sprintf("rows of %d slots, query %d", rowSlots, qi), func(t *testing.T) {
				p, err := l.Plan(q)
				require.NoError(t, err)
				out := p.Simulate(slots, testT)
				require.Len(t, out, p.Output.Ciphertexts)
				kept := map[[2]int]bool{}
				for _, cell := range p.Output.Cells {
					want := reference(s, q, recs, cell.Group, p.Output.Components[cell.Component])
					require.Equal(t, want, centred(out[cell.Ciphertext][cell.Slot]), "cell %v", cell)
					kept[[2]int{cell.Ciphertext, cell.Slot}] = true
				}
				for ci, v := range out {
					for si, x := range v {
						if !kept[[2]int{ci, si}] {
							require.Zero(t, x, "slot %d of output %d", si, ci)
						}
					}
				}
				n, err := policies.OutputCells(s, q)
				require.NoError(t, err)
				comps := 1
				if q.Statistic == policies.StatSum || q.Statistic == policies.StatMean {
					comps = 2
				} else if q.Statistic == policies.StatVariance {
					comps = 3
				}
				require.Equal(t, n*comps, len(p.Output.Cells))
			})
		}
	}
}

func TestAddClipsAndRefusesBadRecords(t *testing.T) {
	l, err := NewLayout(testSchema(), 64)
	require.NoError(t, err)
	c := l.NewCube(testT / 4)
	require.NoError(t, c.Add([]int{1, 2, 0}, []int64{100, -80}))
	require.Equal(t, int64(60), c.Value(1, []int{1, 2, 0}))
	require.Equal(t, int64(3600), c.Value(2, []int{1, 2, 0}))
	require.Equal(t, int64(1), c.Value(6, []int{1, 2, 0}), "last bin")
	require.Equal(t, int64(-50), c.Value(7, []int{1, 2, 0}))
	for _, tc := range []struct {
		name   string
		codes  []int
		values []int64
	}{
		{"too few codes", []int{1, 2}, []int64{1, 1}},
		{"code out of range", []int{5, 0, 0}, []int64{1, 1}},
		{"negative code", []int{0, -1, 0}, []int64{1, 1}},
		{"too many values", []int{0, 0, 0}, []int64{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, c.Add(tc.codes, tc.values), ErrRecord)
		})
	}
	require.Equal(t, int64(1), c.Records())
}

func TestCubeRefusesRecordsBeyondCapacity(t *testing.T) {
	l, err := NewLayout(testSchema(), 64)
	require.NoError(t, err)
	c := l.NewCube(3600 * 2)
	require.NoError(t, c.Add([]int{0, 0, 0}, []int64{60, 0}))
	require.NoError(t, c.Add([]int{0, 0, 0}, []int64{60, 0}))
	require.ErrorIs(t, c.Add([]int{0, 0, 0}, []int64{60, 0}), ErrFull)
}

func TestPlanRefusesQueriesThatDoNotFit(t *testing.T) {
	l, err := NewLayout(testSchema(), 64)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		q    policies.Query
	}{
		{"unknown statistic", policies.Query{Statistic: "median"}},
		{"unknown measure", policies.Query{Statistic: policies.StatSum, Measure: "x"}},
		{"histogram without edges", policies.Query{Statistic: policies.StatHistogram, Measure: "delta"}},
		{"unknown group-by", policies.Query{Statistic: policies.StatCount, GroupBy: []string{"x"}}},
		{"grouped twice", policies.Query{Statistic: policies.StatCount, GroupBy: []string{"sex", "sex"}}},
		{"unknown code", policies.Query{Statistic: policies.StatCount, Filters: []policies.Filter{{Dimension: "sex", Codes: []string{"X"}}}}},
		{"empty filter", policies.Query{Statistic: policies.StatCount, Filters: []policies.Filter{{Dimension: "sex"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Plan(tc.q)
			require.ErrorIs(t, err, ErrQuery)
		})
	}
}

func TestLayoutIsDeterministicAndPacksRows(t *testing.T) {
	s := testSchema()
	l1, err := NewLayout(s, 8192)
	require.NoError(t, err)
	l2, err := NewLayout(s, 8192)
	require.NoError(t, err)
	require.Equal(t, l1, l2)
	require.Equal(t, 1, l1.Ciphertexts())
	small, err := NewLayout(s, 30)
	require.NoError(t, err)
	// 30 cells per component and 9 components (count; stay: sum, sum of squares, 4 bins;
	// delta: sum, sum of squares): one component per row, two rows per ciphertext.
	require.Len(t, small.Components(), 9)
	require.Equal(t, 9, small.Blocks())
	require.Equal(t, 5, small.Ciphertexts())
}

func TestFingerprintTellsLayoutsApart(t *testing.T) {
	base, err := NewLayout(testSchema(), 64)
	require.NoError(t, err)
	same, err := NewLayout(testSchema(), 64)
	require.NoError(t, err)
	require.Equal(t, base.Fingerprint(), same.Fingerprint())
	for _, tc := range []struct {
		name   string
		change func(*policies.Schema) int
	}{
		{"other row size", func(*policies.Schema) int { return 128 }},
		{"a renamed code", func(s *policies.Schema) int { s.Dimensions[2].Codes = []string{"F", "X"}; return 64 }},
		{"codes moved between dimensions", func(s *policies.Schema) int {
			s.Dimensions[1].Codes = []string{"A1", "A2"}
			s.Dimensions[2].Codes = []string{"A3", "F", "M"}
			return 64
		}},
		{"another bound", func(s *policies.Schema) int { s.Measures[1].Max = 51; return 64 }},
		{"another histogram edge", func(s *policies.Schema) int { s.Measures[0].HistogramEdges = []int64{1, 4, 15}; return 64 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSchema()
			rows := tc.change(&s)
			l, err := NewLayout(s, rows)
			require.NoError(t, err)
			require.NotEqual(t, base.Fingerprint(), l.Fingerprint())
		})
	}
}
