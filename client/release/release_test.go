package release_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/policies"
)

func countQuery() policies.Query {
	return policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "sex"}, Epsilon: 500_000}
}

func countCells() []release.Cell {
	var cells []release.Cell
	for _, r := range []string{"R1", "R2", "R3"} {
		for _, s := range []string{"F", "M"} {
			cells = append(cells, release.Cell{Codes: []string{r, s}, Count: 50})
		}
	}
	return cells
}

func TestNewRefusesBadInput(t *testing.T) {
	histogram := policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", Epsilon: 500_000}
	tests := []struct {
		name   string
		modify func(in *release.Input)
		want   string
	}{
		{"a missing cell is refused", func(in *release.Input) { in.Cells = in.Cells[1:] }, "got 5 cells, the query releases 6"},
		{"an extra cell is refused", func(in *release.Input) {
			in.Cells = append(in.Cells, release.Cell{Codes: []string{"R1", "F"}, Count: 1})
		}, "got 7 cells, the query releases 6"},
		{"no cells at all are refused", func(in *release.Input) { in.Cells = nil }, "got 0 cells, the query releases 6"},
		{"a repeated cell is refused", func(in *release.Input) { in.Cells[5].Codes = []string{"R1", "F"} }, "cell 5 repeats cell 0"},
		{"an unknown code is refused", func(in *release.Input) { in.Cells[2].Codes = []string{"R9", "F"} }, `cell 2: "R9" is not a released code of dimension "region"`},
		{"codes in the wrong order are refused", func(in *release.Input) { in.Cells[0].Codes = []string{"F", "R1"} }, `cell 0: "F" is not a released code of dimension "region"`},
		{"a code outside the filter is refused", func(in *release.Input) {
			in.Query.Filters = []policies.Filter{{Dimension: "region", Codes: []string{"R1", "R2"}}}
			in.Cells = in.Cells[:4]
			in.Cells[3].Codes = []string{"R3", "M"}
		}, `cell 3: "R3" is not a released code of dimension "region"`},
		{"too few codes are refused", func(in *release.Input) { in.Cells[1].Codes = []string{"R1"} }, "cell 1 has 1 codes, the query groups by 2 dimensions"},
		{"a bin on a count is refused", func(in *release.Input) { in.Cells[1].Bin = 1 }, "cell 1: bin 1 given for a query that is not a histogram"},
		{"a bin out of range is refused", func(in *release.Input) {
			in.Query = histogram
			in.Cells = []release.Cell{{Bin: 0}, {Bin: 1}, {Bin: 2}, {Bin: 4}}
		}, "cell 3: bin 4 is outside 0 to 3"},
		{"a negative bin is refused", func(in *release.Input) {
			in.Query = histogram
			in.Cells = []release.Cell{{Bin: 0}, {Bin: 1}, {Bin: -1}, {Bin: 3}}
		}, "cell 2: bin -1 is outside 0 to 3"},
		{"a sum on a count is refused", func(in *release.Input) { in.Cells[4].Sum = 3 }, "cell 4 (R3,F): a count has no sum component"},
		{"a sum of squares on a mean is refused", func(in *release.Input) {
			in.Query = policies.Query{Statistic: policies.StatMean, Measure: "balance", Epsilon: 500_000}
			in.Cells = []release.Cell{{Count: 10, Sum: 5, SumSq: 7}}
		}, "cell 0 (): a mean has no sum-of-squares component"},
		{"a query the policy refuses is refused", func(in *release.Input) { in.Query.Epsilon = 2_000_000 }, `query field "epsilon": must be at most epsilonPerQuery (0.5)`},
		{"a query on an unknown dimension is refused", func(in *release.Input) { in.Query.GroupBy = []string{"county"} }, `query field "groupBy[0]": dimension "county" is not in the schema`},
		{"an invalid policy is refused", func(in *release.Input) { in.Policy.MinCellCount = -1 }, `policy field "minCellCount"`},
		{"an invalid schema is refused", func(in *release.Input) { in.Schema.Dimensions[0].Codes = nil }, `schema field "dimensions[0].codes"`},
		{"an empty dataset ID is refused", func(in *release.Input) { in.DatasetID = "" }, "dataset ID must not be empty"},
		{"a query ID with a space is refused", func(in *release.Input) { in.QueryID = "q 1" }, "query ID must start with a letter or digit"},
		{"a bad agency is refused", func(in *release.Input) { in.Dataflow.Agency = "1NSI" }, `dataflow agency "1NSI"`},
		{"an empty nested agency is refused", func(in *release.Input) { in.Dataflow.Agency = "NSI..X" }, `dataflow agency "NSI..X"`},
		{"a bad dataflow ID is refused", func(in *release.Input) { in.Dataflow.ID = "a.b" }, `dataflow ID "a.b"`},
		{"a bad version is refused", func(in *release.Input) { in.Dataflow.Version = "1" }, `dataflow version "1"`},
		{"a version with a leading zero is refused", func(in *release.Input) { in.Dataflow.Version = "1.01" }, `dataflow version "1.01"`},
		{"a dimension named like a reserved column is refused", func(in *release.Input) {
			in.Schema.Dimensions[1].Name = "obs_value"
			in.Policy.AllowedDimensions = []string{"region", "obs_value"}
			in.Query.GroupBy = []string{"region", "obs_value"}
		}, `column "obs_value" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(countQuery(), countCells()...)
			tt.modify(&in)
			tab, err := release.New(in)
			require.Nil(t, tab)
			require.ErrorIs(t, err, release.ErrInvalid)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewKeepsTheFieldErrorOfAQuery(t *testing.T) {
	in := input(countQuery(), countCells()...)
	in.Query.Statistic = "median"
	_, err := release.New(in)
	var fe *policies.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "statistic", fe.Field)
}

func TestNewErrorsNeverQuoteValues(t *testing.T) {
	in := input(countQuery(), countCells()...)
	in.Cells[3].Count = 987654321
	in.Cells[3].Sum = 123456789
	_, err := release.New(in)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "987654321")
	require.NotContains(t, err.Error(), "123456789")
}

func TestNewAcceptsCellsInAnyOrder(t *testing.T) {
	cells := countCells()
	for i := range cells {
		cells[i].Count = int64(10 * (i + 1))
	}
	want := build(t, input(countQuery(), cells...))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := append([]release.Cell{}, cells...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := build(t, input(countQuery(), shuffled...))
		require.Equal(t, want.Canonical(), got.Canonical())
		require.Equal(t, want.Digest(), got.Digest())
	}
	require.Equal(t, []release.Value{"10", "20", "30", "40", "50", "60"}, values(want))
}

func TestNewIgnoresTheOrderOfFiltersAndTheirCodes(t *testing.T) {
	q := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: 500_000,
		Filters: []policies.Filter{{Dimension: "sex", Codes: []string{"M", "F"}}, {Dimension: "region", Codes: []string{"R3", "R1"}}}}
	a := build(t, input(q, release.Cell{Codes: []string{"R3"}, Count: 7}, release.Cell{Codes: []string{"R1"}, Count: 9}))
	q.Filters = []policies.Filter{{Dimension: "region", Codes: []string{"R1", "R3"}}, {Dimension: "sex", Codes: []string{"F", "M"}}}
	b := build(t, input(q, release.Cell{Codes: []string{"R1"}, Count: 9}, release.Cell{Codes: []string{"R3"}, Count: 7}))
	require.Equal(t, a.Digest(), b.Digest())
	require.Equal(t, []string{"region"}, a.Columns())
	require.Equal(t, [][]string{{"R1"}, {"R3"}}, [][]string{a.Rows()[0].Codes, a.Rows()[1].Codes})
}

func TestNegativeAndSmallCounts(t *testing.T) {
	tests := []struct {
		name    string
		min     int64
		count   int64
		value   release.Value
		obs     release.ObsStatus
		conf    release.ConfStatus
		dropped bool
	}{
		{"a negative count under the minimum is suppressed", 5, -7, "", release.ObsSuppressed, release.ConfConfidential, true},
		{"a count just under the minimum is suppressed", 5, 4, "", release.ObsSuppressed, release.ConfConfidential, true},
		{"a count at the minimum is published", 5, 5, "5", release.ObsEstimated, release.ConfFree, false},
		{"a negative count without a minimum is published as 0", 0, -7, "0", release.ObsEstimated, release.ConfFree, false},
		{"a zero count without a minimum is published", 0, 0, "0", release.ObsEstimated, release.ConfFree, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(policies.Query{Statistic: policies.StatCount, Epsilon: 500_000}, release.Cell{Count: tt.count})
			in.Policy.MinCellCount = tt.min
			tab := build(t, in)
			rows := tab.Rows()
			require.Len(t, rows, 1, "suppressed cells keep their row")
			require.Equal(t, release.Row{Codes: []string{}, Value: tt.value, ObsStatus: tt.obs, ConfStatus: tt.conf}, rows[0])
			if tt.dropped {
				require.Equal(t, []int{0}, tab.Suppressed())
			} else {
				require.Equal(t, []int{}, tab.Suppressed())
			}
		})
	}
}

func TestDerivedValues(t *testing.T) {
	mean := func(count, sum int64) release.Value {
		in := input(policies.Query{Statistic: policies.StatMean, Measure: "balance", Epsilon: 500_000}, release.Cell{Count: count, Sum: sum})
		in.Policy.MinCellCount = 0
		return values(build(t, in))[0]
	}
	variance := func(count, sum, sumSq int64) release.Value {
		in := input(policies.Query{Statistic: policies.StatVariance, Measure: "balance", Epsilon: 500_000}, release.Cell{Count: count, Sum: sum, SumSq: sumSq})
		in.Policy.MinCellCount = 0
		return values(build(t, in))[0]
	}
	sum := func(measure string, s int64) release.Value {
		in := input(policies.Query{Statistic: policies.StatSum, Measure: measure, Epsilon: 500_000}, release.Cell{Count: 100, Sum: s})
		return values(build(t, in))[0]
	}
	tests := []struct {
		name      string
		got, want release.Value
	}{
		{"a whole mean gets two decimals", mean(4, 20), "5.00"},
		{"a half rounds away from zero", mean(8, 1), "0.13"},
		{"a negative half rounds away from zero", mean(8, -1), "-0.13"},
		{"under a half rounds down", mean(3, 2), "0.67"},
		{"a negative zero loses its sign", mean(1000, -1), "0.00"},
		{"a mean above the measure's maximum is clamped", mean(2, 1000), "100.00"},
		{"a mean under the measure's minimum is clamped", mean(2, -1000), "-100.00"},
		{"a mean of a zero count has no value", mean(0, 5), ""},
		{"a mean of a negative count has no value", mean(-3, 5), ""},
		{"a variance is the population variance", variance(4, 10, 30), "1.25"},
		{"a negative variance is clamped to 0", variance(4, 10, 1), "0.00"},
		{"a variance above Popoviciu's bound is clamped", variance(2, 0, 1_000_000), "10000.00"},
		{"a variance of one record is 0", variance(1, 7, 49), "0.00"},
		{"a variance of a zero count has no value", variance(0, 7, 49), ""},
		{"components near the int64 limit do not overflow", variance(9_000_000_000_000_000_000, 9_000_000_000_000_000_000, 9_100_000_000_000_000_000), "0.01"},
		{"a negative sum of a non-negative measure is clamped to 0", sum("lengthOfStay", -40), "0"},
		{"a negative sum of a signed measure is kept", sum("balance", -40), "-40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got)
		})
	}
}

// TestExactReleaseEqualsThePlaintext computes a table from records with noise off and
// checks every value against the statistic computed directly.
func TestExactReleaseEqualsThePlaintext(t *testing.T) {
	records := []struct {
		sex string
		v   int64
	}{{"F", 3}, {"F", 4}, {"F", 8}, {"M", -5}, {"M", 5}, {"M", 6}, {"M", 6}, {"M", 11}}
	var cells [2]release.Cell
	for i, s := range []string{"F", "M"} {
		cells[i].Codes = []string{s}
		for _, r := range records {
			if r.sex == s {
				cells[i].Count++
				cells[i].Sum += r.v
				cells[i].SumSq += r.v * r.v
			}
		}
	}
	in := input(policies.Query{Statistic: policies.StatVariance, Measure: "balance", GroupBy: []string{"sex"}}, cells[:]...)
	in.Policy = exactPolicy()
	in.Policy.MinCellCount = 1
	tab := build(t, in)
	// F: 3,4,8 mean 5, variance (4+1+9)/3 = 4.666...; M: mean 4.6, variance (92.16+0.16+1.96+1.96+40.96)/5 = 27.44.
	require.Equal(t, []release.Value{"4.67", "27.44"}, values(tab))
	for _, r := range tab.Rows() {
		require.Equal(t, release.ObsNormal, r.ObsStatus)
		require.Equal(t, release.ConfFree, r.ConfStatus)
	}
}

func TestDigestIsTheSHA256OfTheJSON(t *testing.T) {
	tab := build(t, input(countQuery(), countCells()...))
	var buf bytes.Buffer
	require.NoError(t, tab.Write(&buf, release.FormatJSON))
	require.Equal(t, tab.Canonical(), buf.Bytes())
	sum := sha256.Sum256(buf.Bytes())
	require.Equal(t, hex.EncodeToString(sum[:]), tab.Digest())
	require.True(t, json.Valid(buf.Bytes()))
	require.Equal(t, byte('\n'), buf.Bytes()[buf.Len()-1])

	// The ledger accepts the table as a public release.
	in := ledger.ReleaseInput{QueryID: "q-0123456789abcdef0123", Format: ledger.FormatJSON,
		TableDigest: tab.Digest(), Table: string(tab.Canonical()), Suppressed: tab.Suppressed()}
	require.NoError(t, in.Validate())
}

func TestDigestChangesWithEveryInput(t *testing.T) {
	base := input(countQuery(), countCells()...)
	seen := map[string]string{build(t, base).Digest(): "base"}
	variants := map[string]func(in *release.Input){
		"a count":        func(in *release.Input) { in.Cells[0].Count++ },
		"the query ID":   func(in *release.Input) { in.QueryID = "q-1" },
		"the dataset ID": func(in *release.Input) { in.DatasetID = "other" },
		"the epsilon":    func(in *release.Input) { in.Query.Epsilon = 400_000 },
		"the threshold":  func(in *release.Input) { in.Policy.MinCellCount = 60 },
		"the dataflow":   func(in *release.Input) { in.Dataflow.Version = "1.1" },
	}
	for name, modify := range variants {
		in := input(countQuery(), countCells()...)
		modify(&in)
		d := build(t, in).Digest()
		require.NotContains(t, seen, d, "changing %s leaves the digest of %s", name, seen[d])
		seen[d] = name
	}
}

func TestTableIsImmutable(t *testing.T) {
	tab := build(t, input(countQuery(), countCells()...))
	d := tab.Digest()
	tab.Rows()[0].Codes[0] = "X"
	tab.Columns()[0] = "X"
	tab.Canonical()[0] = 'X'
	tab.Suppressed()
	require.Equal(t, d, tab.Digest())
	require.Equal(t, "R1", tab.Rows()[0].Codes[0])
	require.Equal(t, policies.StatCount, tab.Statistic())
}

func TestParseFormat(t *testing.T) {
	for _, f := range release.Formats {
		got, err := release.ParseFormat(string(f))
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	_, err := release.ParseFormat("xlsx")
	require.ErrorIs(t, err, release.ErrFormat)
	tab := build(t, input(countQuery(), countCells()...))
	require.ErrorIs(t, tab.Write(&bytes.Buffer{}, "xlsx"), release.ErrFormat)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReturnsTheWritersError(t *testing.T) {
	tab := build(t, input(countQuery(), countCells()...))
	for _, f := range release.Formats {
		require.ErrorContains(t, tab.Write(failingWriter{}, f), "disk full", string(f))
	}
}
