package policies

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testSchema returns a small valid schema; every call returns a fresh copy.
func testSchema() Schema {
	return Schema{
		Dimensions: []Dimension{
			{Name: "region", Codes: []string{"R01", "R02", "R03"}},
			{Name: "ageBand", Codes: []string{"0-14", "15-64", "65+"}},
			{Name: "sex", Codes: []string{"F", "M"}},
		},
		Measures: []Measure{
			{Name: "lengthOfStay", Min: 0, Max: 60, HistogramEdges: []int64{1, 7, 30}},
			{Name: "age", Min: 0, Max: 110},
		},
	}
}

// testPolicy returns a valid policy for testSchema; every call returns a fresh copy.
func testPolicy() Policy {
	return Policy{
		AllowedDimensions:       []string{"region", "ageBand", "sex"},
		AllowedStatistics:       []Statistic{StatCount, StatSum, StatMean, StatVariance, StatHistogram},
		MaxOutputCells:          20,
		EpsilonPerQuery:         500_000,
		EpsilonTotal:            2 * MicroPerEpsilon,
		Delta:                   "1e-9",
		MinSubmissions:          2,
		MaxRecordsPerSubmission: 100_000,
		MaxSubmissions:          10,
		MinCellCount:            10,
		RequiredResults:         1,
		PublicReleases:          true,
		Approval:                ApprovalRule{MinApprovals: 2, ExcludeRequester: true},
	}
}

// testQuery returns a valid query for testSchema and testPolicy.
func testQuery() Query {
	return Query{
		Statistic: StatMean,
		Measure:   "lengthOfStay",
		GroupBy:   []string{"region", "sex"},
		Filters:   []Filter{{Dimension: "ageBand", Codes: []string{"65+"}}},
		Epsilon:   250_000,
	}
}

// requireFieldError asserts that err is, or wraps, a *FieldError for field whose reason
// contains reason.
func requireFieldError(t *testing.T, err error, doc, field, reason string) {
	t.Helper()
	require.Error(t, err)
	var fe *FieldError
	require.True(t, errors.As(err, &fe), "want a *FieldError, got %T: %v", err, err)
	require.Equal(t, doc, fe.Document, "document of %v", err)
	require.Equal(t, field, fe.Field, "field of %v", err)
	require.True(t, strings.Contains(fe.Reason, reason), "reason %q should contain %q", fe.Reason, reason)
}

// codes returns n distinct valid codes.
func codes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "c" + strconv.Itoa(i)
	}
	return out
}
