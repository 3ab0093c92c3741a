package release_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/policies"
)

// testSchema is a small dataset: 3 regions × 2 sexes, a length of stay with histogram
// edges and a balance that can be negative.
func testSchema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"R1", "R2", "R3"}},
			{Name: "sex", Codes: []string{"F", "M"}},
		},
		Measures: []policies.Measure{
			{Name: "lengthOfStay", Min: 0, Max: 60, HistogramEdges: []int64{1, 4, 14}},
			{Name: "balance", Min: -100, Max: 100},
		},
	}
}

// testPolicy allows everything on testSchema, with noise, and suppresses cells under 5.
func testPolicy() policies.Policy {
	return policies.Policy{
		AllowedDimensions:       []string{"region", "sex"},
		AllowedStatistics:       []policies.Statistic{policies.StatCount, policies.StatSum, policies.StatMean, policies.StatVariance, policies.StatHistogram},
		MaxOutputCells:          100,
		EpsilonPerQuery:         500_000,
		EpsilonTotal:            10_000_000,
		Delta:                   "1e-9",
		MinSubmissions:          1,
		MaxRecordsPerSubmission: 1_000_000,
		MaxSubmissions:          10,
		MinCellCount:            5,
		RequiredResults:         1,
		Approval:                policies.ApprovalRule{MinApprovals: 1},
	}
}

// exactPolicy is testPolicy with noise off.
func exactPolicy() policies.Policy {
	p := testPolicy()
	p.NoiseOff, p.EpsilonPerQuery, p.EpsilonTotal, p.Delta = true, 0, 0, ""
	return p
}

func input(q policies.Query, cells ...release.Cell) release.Input {
	return release.Input{
		DatasetID: "hospital.admissions",
		QueryID:   "q-0123456789abcdef0123",
		Schema:    testSchema(),
		Policy:    testPolicy(),
		Query:     q,
		Cells:     cells,
	}
}

func build(t *testing.T, in release.Input) *release.Table {
	t.Helper()
	tab, err := release.New(in)
	require.NoError(t, err)
	return tab
}

// values returns the published values of a table's rows.
func values(tab *release.Table) []release.Value {
	var out []release.Value
	for _, r := range tab.Rows() {
		out = append(out, r.Value)
	}
	return out
}
