package policies

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQueryValidateRefusesEachBrokenShape(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Query)
		field  string
		reason string
	}{
		{"a missing statistic is refused", func(q *Query) { q.Statistic = "" },
			"statistic", "must be set"},
		{"an unknown statistic is refused", func(q *Query) { q.Statistic = "median" },
			"statistic", `"median" is not a statistic`},
		{"a measure on a count is refused", func(q *Query) { q.Statistic = StatCount },
			"measure", "must be omitted for count"},
		{"a missing measure on a sum is refused", func(q *Query) { q.Statistic, q.Measure = StatSum, "" },
			"measure", "must be set for sum"},
		{"an invalid measure name is refused", func(q *Query) { q.Measure = "length of stay" },
			"measure", "must start with a letter"},
		{"too many group-by dimensions are refused", func(q *Query) { q.GroupBy = codes(MaxDimensions + 1) },
			"groupBy", "at most 16 dimensions, not 17"},
		{"an invalid group-by name is refused", func(q *Query) { q.GroupBy[1] = "" },
			"groupBy[1]", "must not be empty"},
		{"a duplicated group-by dimension is refused", func(q *Query) { q.GroupBy[1] = "region" },
			"groupBy[1]", `dimension "region" is already listed at groupBy[0]`},
		{"too many filters are refused", func(q *Query) {
			q.Filters = nil
			for _, d := range codes(MaxDimensions + 1) {
				q.Filters = append(q.Filters, Filter{Dimension: d, Codes: []string{"x"}})
			}
		}, "filters", "at most 16 filters, not 17"},
		{"an invalid filter dimension is refused", func(q *Query) { q.Filters[0].Dimension = "_x" },
			"filters[0].dimension", "must start with a letter"},
		{"two filters on one dimension are refused", func(q *Query) {
			q.Filters = append(q.Filters, Filter{Dimension: "ageBand", Codes: []string{"0-14"}})
		}, "filters[1].dimension", `dimension "ageBand" is already filtered at filters[0]`},
		{"a filter without codes is refused", func(q *Query) { q.Filters[0].Codes = nil },
			"filters[0].codes", "at least one code"},
		{"a filter with an invalid code is refused", func(q *Query) { q.Filters[0].Codes = []string{"65+", "a b"} },
			"filters[0].codes[1]", "only letters, digits"},
		{"a filter with a duplicated code is refused", func(q *Query) { q.Filters[0].Codes = []string{"65+", "65+"} },
			"filters[0].codes[1]", "already listed at filters[0].codes[0]"},
		{"a negative epsilon is refused", func(q *Query) { q.Epsilon = -1 },
			"epsilon", "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := testQuery()
			tt.mutate(&q)
			requireFieldError(t, q.Validate(), "query", tt.field, tt.reason)
			requireFieldError(t, CheckQuery(testSchema(), testPolicy(), q), "query", tt.field, tt.reason)
		})
	}
}

func TestOutputCellsCountsReleasedCells(t *testing.T) {
	tests := []struct {
		name  string
		query Query
		want  int
	}{
		{"a total is one cell", Query{Statistic: StatCount}, 1},
		{"grouping multiplies dimension sizes", Query{Statistic: StatCount, GroupBy: []string{"region", "ageBand", "sex"}}, 18},
		{"a filter on another dimension changes nothing", Query{Statistic: StatCount, GroupBy: []string{"region"},
			Filters: []Filter{{Dimension: "sex", Codes: []string{"F"}}}}, 3},
		{"a filter on a group-by dimension keeps only its codes", Query{Statistic: StatCount, GroupBy: []string{"region", "sex"},
			Filters: []Filter{{Dimension: "region", Codes: []string{"R01", "R03"}}}}, 4},
		{"a duplicated filter code is counted once", Query{Statistic: StatCount, GroupBy: []string{"region"},
			Filters: []Filter{{Dimension: "region", Codes: []string{"R01", "R01"}}}}, 1},
		{"a histogram multiplies by its bins", Query{Statistic: StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"sex"}}, 8},
		{"a histogram total is its bins", Query{Statistic: StatHistogram, Measure: "lengthOfStay"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := OutputCells(testSchema(), tt.query)
			require.NoError(t, err)
			require.Equal(t, tt.want, n)
		})
	}
}

func TestOutputCellsRefusesWhatItCannotCount(t *testing.T) {
	huge := Schema{}
	for _, d := range codes(MaxDimensions) {
		huge.Dimensions = append(huge.Dimensions, Dimension{Name: d, Codes: codes(MaxCodes)})
	}
	tests := []struct {
		name   string
		schema Schema
		query  Query
		field  string
		reason string
	}{
		{"an unknown group-by dimension is refused", testSchema(), Query{Statistic: StatCount, GroupBy: []string{"postcode"}},
			"groupBy[0]", `dimension "postcode" is not in the schema`},
		{"an unknown filter code on a group-by dimension is refused", testSchema(), Query{Statistic: StatCount, GroupBy: []string{"sex"},
			Filters: []Filter{{Dimension: "sex", Codes: []string{"X"}}}}, "filters[0].codes[0]", `code "X" is not a code of dimension "sex"`},
		{"a histogram of an unknown measure is refused", testSchema(), Query{Statistic: StatHistogram, Measure: "weight"},
			"measure", `measure "weight" is not in the schema`},
		{"a histogram of a measure without edges is refused", testSchema(), Query{Statistic: StatHistogram, Measure: "age"},
			"measure", `measure "age" has no histogramEdges`},
		{"an enormous table is refused without overflow", huge, Query{Statistic: StatCount, GroupBy: codes(MaxDimensions)},
			"groupBy", "more than 68157440 cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OutputCells(tt.schema, tt.query)
			requireFieldError(t, err, "query", tt.field, tt.reason)
		})
	}
}

func TestCheckQueryAcceptsAllowedQueries(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
		query  Query
	}{
		{"the test query is allowed", func(*Policy) {}, testQuery()},
		{"a total count is allowed", func(*Policy) {}, Query{Statistic: StatCount, Epsilon: 1}},
		{"a histogram within the cell limit is allowed", func(*Policy) {},
			Query{Statistic: StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"region"}, Epsilon: 500_000}},
		{"a table of exactly MaxOutputCells is allowed", func(p *Policy) { p.MaxOutputCells = 18 },
			Query{Statistic: StatVariance, Measure: "age", GroupBy: []string{"region", "ageBand", "sex"}, Epsilon: 100}},
		{"a filter on a group-by dimension reduces the cells", func(p *Policy) { p.MaxOutputCells = 4 },
			Query{Statistic: StatSum, Measure: "age", GroupBy: []string{"region", "sex"}, Epsilon: 100,
				Filters: []Filter{{Dimension: "region", Codes: []string{"R02", "R03"}}}}},
		{"a zero epsilon is allowed when noise is off", func(p *Policy) { p.NoiseOff, p.EpsilonPerQuery, p.EpsilonTotal, p.Delta = true, 0, 0, "" },
			Query{Statistic: StatCount, GroupBy: []string{"sex"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			tt.policy(&p)
			require.NoError(t, p.ValidateFor(testSchema()))
			require.NoError(t, CheckQuery(testSchema(), p, tt.query))
		})
	}
}

func TestCheckQueryRefusesEachBrokenRule(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
		query  func(*Query)
		field  string
		reason string
	}{
		{"a statistic the policy does not allow is refused", func(p *Policy) { p.AllowedStatistics = []Statistic{StatCount} }, func(*Query) {},
			"statistic", "mean is not allowed by the policy"},
		{"a measure missing from the schema is refused", func(*Policy) {}, func(q *Query) { q.Measure = "weight" },
			"measure", `measure "weight" is not in the schema`},
		{"a histogram of a measure without edges is refused", func(*Policy) {}, func(q *Query) { q.Statistic, q.Measure = StatHistogram, "age" },
			"measure", `measure "age" has no histogramEdges in the schema`},
		{"a group-by dimension missing from the schema is refused", func(*Policy) {}, func(q *Query) { q.GroupBy[1] = "postcode" },
			"groupBy[1]", `dimension "postcode" is not in the schema`},
		{"a group-by on a measure is refused", func(*Policy) {}, func(q *Query) { q.GroupBy[1] = "age" },
			"groupBy[1]", `dimension "age" is not in the schema`},
		{"a group-by dimension the policy does not allow is refused", func(p *Policy) { p.AllowedDimensions = []string{"region", "ageBand"} }, func(*Query) {},
			"groupBy[1]", `dimension "sex" is not allowed by the policy`},
		{"a filter dimension missing from the schema is refused", func(*Policy) {}, func(q *Query) { q.Filters[0].Dimension = "postcode" },
			"filters[0].dimension", `dimension "postcode" is not in the schema`},
		{"a filter dimension the policy does not allow is refused", func(p *Policy) { p.AllowedDimensions = []string{"region", "sex"} }, func(*Query) {},
			"filters[0].dimension", `dimension "ageBand" is not allowed by the policy`},
		{"a filter code missing from the dimension is refused", func(*Policy) {}, func(q *Query) { q.Filters[0].Codes = []string{"65+", "90+"} },
			"filters[0].codes[1]", `code "90+" is not a code of dimension "ageBand"`},
		{"a table larger than MaxOutputCells is refused", func(p *Policy) { p.MaxOutputCells = 5 }, func(*Query) {},
			"groupBy", "the query releases 6 cells, more than maxOutputCells (5)"},
		{"histogram bins count towards MaxOutputCells", func(p *Policy) { p.MaxOutputCells = 11 },
			func(q *Query) { q.Statistic, q.GroupBy = StatHistogram, []string{"region"} },
			"groupBy", "the query releases 12 cells, more than maxOutputCells (11)"},
		{"a zero epsilon is refused when noise is on", func(*Policy) {}, func(q *Query) { q.Epsilon = 0 },
			"epsilon", "must be greater than 0"},
		{"an epsilon above the per-query cap is refused", func(*Policy) {}, func(q *Query) { q.Epsilon = 500_001 },
			"epsilon", "must be at most epsilonPerQuery (0.5)"},
		{"an epsilon is refused when noise is off", func(p *Policy) { p.NoiseOff, p.EpsilonPerQuery, p.EpsilonTotal, p.Delta = true, 0, 0, "" }, func(*Query) {},
			"epsilon", "must be 0 or omitted: the policy has noise off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, q := testPolicy(), testQuery()
			tt.policy(&p)
			tt.query(&q)
			require.NoError(t, p.ValidateFor(testSchema()))
			requireFieldError(t, CheckQuery(testSchema(), p, q), "query", tt.field, tt.reason)
		})
	}
}

func TestCheckQueryErrorMessagesAreExact(t *testing.T) {
	q := testQuery()
	q.Epsilon = MicroPerEpsilon
	require.EqualError(t, CheckQuery(testSchema(), testPolicy(), q), `query field "epsilon": must be at most epsilonPerQuery (0.5)`)

	q = testQuery()
	q.GroupBy = []string{"region", "ageBand", "sex"}
	q.Filters = nil
	p := testPolicy()
	p.MaxOutputCells = 10
	require.EqualError(t, CheckQuery(testSchema(), p, q), `query field "groupBy": the query releases 18 cells, more than maxOutputCells (10)`)
}
