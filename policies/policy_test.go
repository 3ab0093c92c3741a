package policies

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPolicyValidateAcceptsValidPolicies(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Policy)
	}{
		{"the test policy is valid", func(*Policy) {}},
		{"a policy without allowed dimensions allows only totals", func(p *Policy) { p.AllowedDimensions = nil }},
		{"epsilon per query may equal the total", func(p *Policy) { p.EpsilonPerQuery = p.EpsilonTotal }},
		{"a delta of exactly 1e-3 is valid", func(p *Policy) { p.Delta = "1e-3" }},
		{"a delta of 0.001 is valid", func(p *Policy) { p.Delta = "0.001" }},
		{"a delta of 1000e-6 is valid", func(p *Policy) { p.Delta = "1000e-6" }},
		{"a delta of 5E-7 is valid", func(p *Policy) { p.Delta = "5E-7" }},
		{"as many submissions at most as at least is valid", func(p *Policy) { p.MaxSubmissions = p.MinSubmissions }},
		{"a single record per submission is valid", func(p *Policy) { p.MaxRecordsPerSubmission = 1 }},
		{"a minimum cell count of 0 switches suppression off", func(p *Policy) { p.MinCellCount = 0 }},
		{"a noise-off policy without budget is valid", func(p *Policy) {
			p.NoiseOff, p.EpsilonPerQuery, p.EpsilonTotal, p.Delta = true, 0, 0, ""
		}},
		{"the largest limits are valid", func(p *Policy) {
			p.MaxOutputCells, p.MinSubmissions, p.MinCellCount = MaxCells, MaxMinSubmissions, MaxMinCellCount
			p.MaxRecordsPerSubmission, p.MaxSubmissions = MaxMaxRecordsPerSubmission, MaxMaxSubmissions
			p.RequiredResults, p.Approval.MinApprovals = MaxRequiredResults, MaxApprovals
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			tt.mutate(&p)
			require.NoError(t, p.Validate())
			require.NoError(t, p.ValidateFor(testSchema()))
		})
	}
}

func TestPolicyValidateRefusesEachBrokenRule(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Policy)
		field  string
		reason string
	}{
		{"too many allowed dimensions are refused", func(p *Policy) { p.AllowedDimensions = codes(MaxDimensions + 1) },
			"allowedDimensions", "at most 16 dimensions, not 17"},
		{"an invalid allowed dimension name is refused", func(p *Policy) { p.AllowedDimensions[1] = "age band" },
			"allowedDimensions[1]", "must start with a letter"},
		{"an empty allowed dimension is refused", func(p *Policy) { p.AllowedDimensions[1] = "" },
			"allowedDimensions[1]", "must not be empty"},
		{"a duplicated allowed dimension is refused", func(p *Policy) { p.AllowedDimensions[2] = "region" },
			"allowedDimensions[2]", `dimension "region" is already listed at allowedDimensions[0]`},
		{"a policy without allowed statistics is refused", func(p *Policy) { p.AllowedStatistics = nil },
			"allowedStatistics", "at least one statistic"},
		{"an unknown statistic is refused", func(p *Policy) { p.AllowedStatistics[1] = "median" },
			"allowedStatistics[1]", `"median" is not a statistic`},
		{"a statistic in the wrong case is refused", func(p *Policy) { p.AllowedStatistics[0] = "Count" },
			"allowedStatistics[0]", `"Count" is not a statistic`},
		{"a duplicated statistic is refused", func(p *Policy) { p.AllowedStatistics[4] = StatSum },
			"allowedStatistics[4]", `statistic "sum" is already listed at allowedStatistics[1]`},
		{"zero output cells are refused", func(p *Policy) { p.MaxOutputCells = 0 },
			"maxOutputCells", "between 1 and 1048576"},
		{"more output cells than MaxCells are refused", func(p *Policy) { p.MaxOutputCells = MaxCells + 1 },
			"maxOutputCells", "between 1 and 1048576"},
		{"a zero epsilon per query is refused when noise is on", func(p *Policy) { p.EpsilonPerQuery = 0 },
			"epsilonPerQuery", "greater than 0"},
		{"a negative epsilon per query is refused", func(p *Policy) { p.EpsilonPerQuery = -1 },
			"epsilonPerQuery", "greater than 0"},
		{"a zero total epsilon is refused when noise is on", func(p *Policy) { p.EpsilonTotal = 0 },
			"epsilonTotal", "greater than 0"},
		{"an epsilon per query above the total is refused", func(p *Policy) { p.EpsilonPerQuery = p.EpsilonTotal + 1 },
			"epsilonPerQuery", "must be at most epsilonTotal (2)"},
		{"a missing delta is refused when noise is on", func(p *Policy) { p.Delta = "" },
			"delta", "must be set when noise is on"},
		{"a delta of zero is refused", func(p *Policy) { p.Delta = "0" },
			"delta", "greater than 0"},
		{"a delta of 0e-5 is refused", func(p *Policy) { p.Delta = "0.000e-5" },
			"delta", "greater than 0"},
		{"a delta above 1e-3 is refused", func(p *Policy) { p.Delta = "0.0011" },
			"delta", "at most 1e-3"},
		{"a delta of 2e-3 is refused", func(p *Policy) { p.Delta = "2e-3" },
			"delta", "at most 1e-3"},
		{"a delta of 1 is refused", func(p *Policy) { p.Delta = "1" },
			"delta", "at most 1e-3"},
		{"a negative delta is refused", func(p *Policy) { p.Delta = "-1e-9" },
			"delta", "not a decimal number"},
		{"a delta that is not a number is refused", func(p *Policy) { p.Delta = "tiny" },
			"delta", "not a decimal number"},
		{"a delta with a huge exponent is refused", func(p *Policy) { p.Delta = "1e-99999" },
			"delta", "not a decimal number"},
		{"a delta without digits before the point is refused", func(p *Policy) { p.Delta = ".001" },
			"delta", "not a decimal number"},
		{"a delta that is too long is refused", func(p *Policy) { p.Delta = "0.000000000000000000000000000000001" },
			"delta", "at most 32 characters"},
		{"an epsilon per query is refused when noise is off", func(p *Policy) { p.NoiseOff, p.EpsilonTotal, p.Delta = true, 0, "" },
			"epsilonPerQuery", "must be 0 or omitted when noiseOff is true"},
		{"a total epsilon is refused when noise is off", func(p *Policy) { p.NoiseOff, p.EpsilonPerQuery, p.Delta = true, 0, "" },
			"epsilonTotal", "must be 0 or omitted when noiseOff is true"},
		{"a delta is refused when noise is off", func(p *Policy) { p.NoiseOff, p.EpsilonPerQuery, p.EpsilonTotal = true, 0, 0 },
			"delta", "must be omitted when noiseOff is true"},
		{"zero minimum submissions are refused", func(p *Policy) { p.MinSubmissions = 0 },
			"minSubmissions", "between 1 and 100000"},
		{"too many minimum submissions are refused", func(p *Policy) { p.MinSubmissions = MaxMinSubmissions + 1 },
			"minSubmissions", "between 1 and 100000"},
		{"a missing record limit is refused", func(p *Policy) { p.MaxRecordsPerSubmission = 0 },
			"maxRecordsPerSubmission", "between 1 and 1099511627776"},
		{"a negative record limit is refused", func(p *Policy) { p.MaxRecordsPerSubmission = -1 },
			"maxRecordsPerSubmission", "between 1 and 1099511627776"},
		{"a huge record limit is refused", func(p *Policy) { p.MaxRecordsPerSubmission = MaxMaxRecordsPerSubmission + 1 },
			"maxRecordsPerSubmission", "between 1 and 1099511627776"},
		{"a missing submission limit is refused", func(p *Policy) { p.MaxSubmissions = 0 },
			"maxSubmissions", "between minSubmissions (2) and 100000"},
		{"fewer submissions at most than at least are refused", func(p *Policy) { p.MaxSubmissions = p.MinSubmissions - 1 },
			"maxSubmissions", "between minSubmissions (2) and 100000"},
		{"too many submissions are refused", func(p *Policy) { p.MaxSubmissions = MaxMaxSubmissions + 1 },
			"maxSubmissions", "between minSubmissions (2) and 100000"},
		{"a negative minimum cell count is refused", func(p *Policy) { p.MinCellCount = -1 },
			"minCellCount", "between 0 and 1000000000"},
		{"a huge minimum cell count is refused", func(p *Policy) { p.MinCellCount = MaxMinCellCount + 1 },
			"minCellCount", "between 0 and 1000000000"},
		{"zero required results are refused", func(p *Policy) { p.RequiredResults = 0 },
			"requiredResults", "between 1 and 16"},
		{"too many required results are refused", func(p *Policy) { p.RequiredResults = MaxRequiredResults + 1 },
			"requiredResults", "between 1 and 16"},
		{"zero approvals are refused", func(p *Policy) { p.Approval.MinApprovals = 0 },
			"approval.minApprovals", "between 1 and 64"},
		{"too many approvals are refused", func(p *Policy) { p.Approval.MinApprovals = MaxApprovals + 1 },
			"approval.minApprovals", "between 1 and 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			tt.mutate(&p)
			requireFieldError(t, p.Validate(), "policy", tt.field, tt.reason)
			requireFieldError(t, p.ValidateFor(testSchema()), "policy", tt.field, tt.reason)
		})
	}
}

func TestPolicyValidateForRefusesAMismatchWithTheSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema func(*Schema)
		policy func(*Policy)
		doc    string
		field  string
		reason string
	}{
		{"an allowed dimension missing from the schema is refused", func(*Schema) {}, func(p *Policy) { p.AllowedDimensions[1] = "postcode" },
			"policy", "allowedDimensions[1]", `dimension "postcode" is not in the schema`},
		{"a measure is not a dimension", func(*Schema) {}, func(p *Policy) { p.AllowedDimensions[1] = "age" },
			"policy", "allowedDimensions[1]", `dimension "age" is not in the schema`},
		{"histogram without edges in the schema is refused", func(s *Schema) { s.Measures[0].HistogramEdges = nil }, func(*Policy) {},
			"policy", "allowedStatistics[4]", "histogram needs a measure with histogramEdges"},
		{"sum without measures is refused", func(s *Schema) { s.Measures = nil }, func(p *Policy) { p.AllowedStatistics = []Statistic{StatCount, StatSum} },
			"policy", "allowedStatistics[1]", "sum needs a measure"},
		{"mean without measures is refused", func(s *Schema) { s.Measures = nil }, func(p *Policy) { p.AllowedStatistics = []Statistic{StatMean} },
			"policy", "allowedStatistics[0]", "mean needs a measure"},
		{"variance without measures is refused", func(s *Schema) { s.Measures = nil }, func(p *Policy) { p.AllowedStatistics = []Statistic{StatCount, StatVariance} },
			"policy", "allowedStatistics[1]", "variance needs a measure"},
		{"an invalid schema is reported as such", func(s *Schema) { s.Dimensions[0].Codes = nil }, func(*Policy) {},
			"schema", "dimensions[0].codes", "at least one code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := testSchema(), testPolicy()
			tt.schema(&s)
			tt.policy(&p)
			requireFieldError(t, p.ValidateFor(s), tt.doc, tt.field, tt.reason)
		})
	}
}

func TestPolicyValidateForAcceptsCountOnlyOnASchemaWithoutMeasures(t *testing.T) {
	s, p := testSchema(), testPolicy()
	s.Measures = nil
	p.AllowedStatistics = []Statistic{StatCount}
	require.NoError(t, p.ValidateFor(s))
}

func TestPolicyErrorMessagesAreExact(t *testing.T) {
	p := testPolicy()
	p.EpsilonPerQuery = 3 * MicroPerEpsilon
	require.EqualError(t, p.Validate(), `policy field "epsilonPerQuery": must be at most epsilonTotal (2)`)

	p = testPolicy()
	p.Delta = "0.01"
	require.EqualError(t, p.Validate(), `policy field "delta": must be at most 1e-3`)

	p = testPolicy()
	p.AllowedDimensions[0] = "postcode"
	require.EqualError(t, p.ValidateFor(testSchema()), `policy field "allowedDimensions[0]": dimension "postcode" is not in the schema`)
}
