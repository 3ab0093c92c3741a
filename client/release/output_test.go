package release_test

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/policies"
)

// plaintextResult runs a query through the engine's plaintext reference: records into a
// cube, the cube into slots, the query plan's Simulate, and the output slots centred as
// the analyst's decryption returns them.
func plaintextResult(t *testing.T, records [][3]int64, q policies.Query) (cube.Output, [][]int64) {
	t.Helper()
	const tMod = 1<<40 + 15 // odd, far above every aggregate
	l, err := cube.NewLayout(testSchema(), 16)
	require.NoError(t, err)
	c := l.NewCube(1 << 38)
	for _, r := range records {
		require.NoError(t, c.Add([]int{int(r[0]), int(r[1])}, []int64{r[2], r[2] - 50}))
	}
	p, err := l.Plan(q)
	require.NoError(t, err)
	outs := p.Simulate(c.Slots(tMod), tMod)
	values := make([][]int64, len(outs))
	for i, o := range outs {
		values[i] = make([]int64, len(o))
		for j, v := range o {
			values[i][j] = int64(v)
			if v > tMod/2 {
				values[i][j] = int64(v) - tMod
			}
		}
	}
	return p.Output, values
}

// TestExactPipelineEqualsThePlaintextTruth releases every statistic from the engine's
// plaintext output with noise off and compares each value with the statistic computed
// directly from the records.
func TestExactPipelineEqualsThePlaintextTruth(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var records [][3]int64 // region, sex, lengthOfStay (balance is lengthOfStay-50)
	for range 500 {
		region := rng.IntN(3)
		if region == 2 && rng.IntN(40) != 0 {
			region = rng.IntN(2) // few records in R3, so that some cells are small
		}
		records = append(records, [3]int64{int64(region), int64(rng.IntN(2)), int64(rng.IntN(61))})
	}
	type agg struct{ n, s, ss int64 }
	truth := map[[2]int64]*agg{}
	bins := map[[3]int64]int64{} // region, sex, bin
	for _, r := range records {
		k := [2]int64{r[0], r[1]}
		if truth[k] == nil {
			truth[k] = &agg{}
		}
		b := r[2] - 50
		truth[k].n++
		truth[k].s += b
		truth[k].ss += b * b
		bin := int64(0)
		for _, e := range []int64{1, 4, 14} {
			if r[2] >= e {
				bin++
			}
		}
		bins[[3]int64{r[0], r[1], bin}]++
	}
	policy := exactPolicy()
	policy.MinCellCount = 5
	regions, sexes := []string{"R1", "R2", "R3"}, []string{"F", "M"}

	release1 := func(q policies.Query) *release.Table {
		out, values := plaintextResult(t, records, q)
		cells, err := release.CellsFromOutput(out, values)
		require.NoError(t, err)
		in := input(q, cells...)
		in.Policy = policy
		return build(t, in)
	}
	expect := func(n int64, v string) (release.Value, release.ConfStatus) {
		if n < policy.MinCellCount {
			return "", release.ConfConfidential
		}
		return release.Value(v), release.ConfFree
	}
	check := func(tab *release.Table, want func(codes []string) (release.Value, release.ConfStatus)) {
		suppressed := 0
		for _, r := range tab.Rows() {
			v, conf := want(r.Codes)
			require.Equal(t, v, r.Value, "%v", r.Codes)
			require.Equal(t, conf, r.ConfStatus, "%v", r.Codes)
			if conf == release.ConfConfidential {
				suppressed++
			}
		}
		require.Len(t, tab.Suppressed(), suppressed)
	}
	cell := func(codes []string) *agg {
		a := truth[[2]int64{int64(indexOf(regions, codes[0])), int64(indexOf(sexes, codes[1]))}]
		if a == nil {
			a = &agg{}
		}
		return a
	}
	by := []string{"region", "sex"}

	t.Run("count", func(t *testing.T) {
		check(release1(policies.Query{Statistic: policies.StatCount, GroupBy: by}), func(c []string) (release.Value, release.ConfStatus) {
			return expect(cell(c).n, strconv.FormatInt(cell(c).n, 10))
		})
	})
	t.Run("mean", func(t *testing.T) {
		check(release1(policies.Query{Statistic: policies.StatMean, Measure: "balance", GroupBy: by}), func(c []string) (release.Value, release.ConfStatus) {
			a := cell(c)
			if a.n == 0 {
				return expect(0, "")
			}
			return expect(a.n, big.NewRat(a.s, a.n).FloatString(2))
		})
	})
	t.Run("variance", func(t *testing.T) {
		check(release1(policies.Query{Statistic: policies.StatVariance, Measure: "balance", GroupBy: by}), func(c []string) (release.Value, release.ConfStatus) {
			a := cell(c)
			if a.n == 0 {
				return expect(0, "")
			}
			// FloatString rounds halves away from zero, as releases do.
			return expect(a.n, big.NewRat(a.ss*a.n-a.s*a.s, a.n*a.n).FloatString(2))
		})
	})
	t.Run("histogram", func(t *testing.T) {
		check(release1(policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", GroupBy: by}), func(c []string) (release.Value, release.ConfStatus) {
			bin := int64(indexOf([]string{"0", "1..3", "4..13", "14..60"}, c[2]))
			n := bins[[3]int64{int64(indexOf(regions, c[0])), int64(indexOf(sexes, c[1])), bin}]
			return expect(n, strconv.FormatInt(n, 10))
		})
	})
	t.Run("sum", func(t *testing.T) {
		// The engine releases the count with a sum (cube.StatisticComponents), so small
		// cells are suppressed by their count as for every other statistic.
		check(release1(policies.Query{Statistic: policies.StatSum, Measure: "balance", GroupBy: by}), func(c []string) (release.Value, release.ConfStatus) {
			return expect(cell(c).n, strconv.FormatInt(cell(c).s, 10))
		})
	})
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestCellsFromOutputRefusesBadOutputs(t *testing.T) {
	out := cube.Output{
		Statistic:   policies.StatMean,
		Components:  []cube.Component{{Kind: cube.ComponentCount}, {Kind: cube.ComponentSum, Measure: "balance"}},
		Ciphertexts: 1,
		Cells: []cube.OutputCell{
			{Group: []string{"F"}, Component: 0, Ciphertext: 0, Slot: 0},
			{Group: []string{"F"}, Component: 1, Ciphertext: 0, Slot: 1},
		},
	}
	values := [][]int64{{10, 25, 0, 0}}
	cells, err := release.CellsFromOutput(out, values)
	require.NoError(t, err)
	require.Equal(t, []release.Cell{{Codes: []string{"F"}, Count: 10, Sum: 25}}, cells)

	tests := []struct {
		name   string
		modify func(o *cube.Output, v *[][]int64)
		want   string
	}{
		{"a missing ciphertext", func(o *cube.Output, v *[][]int64) { *v = nil }, "output cell 0 is in ciphertext 0 of 0"},
		{"a slot out of range", func(o *cube.Output, v *[][]int64) { o.Cells[1].Slot = 4 }, "output cell 1 is in slot 4 of 4"},
		{"a negative slot", func(o *cube.Output, v *[][]int64) { o.Cells[1].Slot = -1 }, "output cell 1 is in slot -1 of 4"},
		{"an unknown component", func(o *cube.Output, v *[][]int64) { o.Cells[1].Component = 2 }, "output cell 1 has component 2 of 2"},
		{"a repeated component", func(o *cube.Output, v *[][]int64) { o.Cells[1].Component = 0 }, "output cell 1 repeats the count of its group"},
		{"an unknown kind", func(o *cube.Output, v *[][]int64) { o.Components[1].Kind = "median" }, `output cell 1 has unknown component kind "median"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := out
			o.Cells = append([]cube.OutputCell{}, out.Cells...)
			o.Components = append([]cube.Component{}, out.Components...)
			v := [][]int64{append([]int64{}, values[0]...)}
			tt.modify(&o, &v)
			_, err := release.CellsFromOutput(o, v)
			require.ErrorIs(t, err, release.ErrInvalid)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
