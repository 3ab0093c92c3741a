package policies

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const policyYAML = `
allowedDimensions: [region, sex]
allowedStatistics: [count, mean]
maxOutputCells: 100
epsilonPerQuery: 0.5
epsilonTotal: "2"
delta: 1e-9
minSubmissions: 2
maxRecordsPerSubmission: 1000
maxSubmissions: 4
minCellCount: 10
requiredResults: 1
publicReleases: true
approval:
  minApprovals: 2
  excludeRequester: true
`

const policyJSON = `{
	"allowedDimensions": ["region", "sex"],
	"allowedStatistics": ["count", "mean"],
	"maxOutputCells": 100,
	"epsilonPerQuery": "0.5",
	"epsilonTotal": 2,
	"delta": "1e-9",
	"minSubmissions": 2,
	"maxRecordsPerSubmission": 1000,
	"maxSubmissions": 4,
	"minCellCount": 10,
	"requiredResults": 1,
	"publicReleases": true,
	"noiseOff": false,
	"approval": {"minApprovals": 2, "excludeRequester": true}
}`

func TestParsePolicyReadsYAMLAndJSONAlike(t *testing.T) {
	want := Policy{
		AllowedDimensions:       []string{"region", "sex"},
		AllowedStatistics:       []Statistic{StatCount, StatMean},
		MaxOutputCells:          100,
		EpsilonPerQuery:         500_000,
		EpsilonTotal:            2_000_000,
		Delta:                   "1e-9",
		MinSubmissions:          2,
		MaxRecordsPerSubmission: 1000,
		MaxSubmissions:          4,
		MinCellCount:            10,
		RequiredResults:         1,
		PublicReleases:          true,
		Approval:                ApprovalRule{MinApprovals: 2, ExcludeRequester: true},
	}
	for name, doc := range map[string]string{"yaml": policyYAML, "json": policyJSON} {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(doc))
			require.NoError(t, err)
			require.Equal(t, want, p)
		})
	}
}

func TestParseRefusesMalformedDocuments(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		reason string
	}{
		{"an empty document is refused", "", "empty document"},
		{"a document of only comments is refused", "# nothing\n", "empty document"},
		{"an unknown field is refused", policyYAML + "maxCells: 3\n", `policy field "maxCells": line 17: unknown field`},
		{"an unknown JSON field is refused", strings.Replace(policyJSON, `"noiseOff"`, `"noiseOf"`, 1), `policy field "noiseOf": line 14: unknown field`},
		{"a field in the wrong case is refused", strings.Replace(policyJSON, `"noiseOff"`, `"NoiseOff"`, 1), `policy field "NoiseOff": line 14: unknown field`},
		{"a duplicated field is refused", policyYAML + "maxOutputCells: 1000\n", `policy field "maxOutputCells": line 17: already set at line 4`},
		{"a duplicated JSON field is refused", strings.Replace(policyJSON, `"noiseOff": false`, `"noiseOff": false, "noiseOff": true`, 1), `policy field "noiseOff": line 14: already set earlier on this line`},
		{"a second document is refused", policyYAML + "---\n" + policyYAML, "more than one document"},
		{"an anchor is refused", strings.Replace(policyYAML, "maxOutputCells: 100", "maxOutputCells: &n 100", 1), `policy field "maxOutputCells": line 4: anchors and aliases are not supported`},
		{"trailing text after JSON is refused", policyJSON + " x", "after the first document"},
		{"a string where a number belongs is refused", strings.Replace(policyYAML, "maxOutputCells: 100", "maxOutputCells: many", 1), "cannot unmarshal"},
		{"a fractional number where an integer belongs is refused", strings.Replace(policyYAML, "maxOutputCells: 100", "maxOutputCells: 1.5", 1), `"1.5" must be a whole number`},
		{"an epsilon with seven decimals is refused", strings.Replace(policyYAML, "0.5", "0.1234567", 1), "more than 6 decimals"},
		{"a negative epsilon is refused", strings.Replace(policyYAML, "0.5", "-0.5", 1), "not a non-negative decimal"},
		{"an epsilon in exponent notation is refused", strings.Replace(policyYAML, "0.5", "5e-1", 1), "not a non-negative decimal"},
		{"a list where a mapping belongs is refused", "[1, 2]", "line 1: a policy must be a mapping of fields, not a list"},
		{"broken syntax is refused", "{allowedDimensions: [region", "did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.doc))
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), tt.reason)
			require.True(t, strings.HasPrefix(err.Error(), "policy: malformed document"), err.Error())
		})
	}
}

func TestParseRefusesTooLargeDocuments(t *testing.T) {
	big := []byte(policyYAML + "#" + strings.Repeat("x", MaxDocumentSize) + "\n")
	_, err := ParsePolicy(big)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = ParseSchema(big)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = ParseQuery(big)
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestParseReturnsFieldErrorsForInvalidDocuments(t *testing.T) {
	_, err := ParsePolicy([]byte(strings.Replace(policyYAML, "epsilonPerQuery: 0.5", "epsilonPerQuery: 3", 1)))
	require.EqualError(t, err, `policy field "epsilonPerQuery": must be at most epsilonTotal (2)`)
	require.False(t, errors.Is(err, ErrMalformed))

	_, err = ParseSchema([]byte("dimensions: [{name: sex, codes: [F, M, F]}]\n"))
	require.EqualError(t, err, `schema field "dimensions[0].codes[2]": code "F" is already listed at dimensions[0].codes[0]`)

	_, err = ParseQuery([]byte(`{"statistic": "count", "measure": "age", "epsilon": 0.1}`))
	require.EqualError(t, err, `query field "measure": must be omitted for count`)
}

func TestParseSchemaAndQuery(t *testing.T) {
	s, err := ParseSchema([]byte(`
dimensions:
  - name: sex
    codes: [F, M]
  - name: ageBand
    codes: ["0-14", "15+"]
measures:
  - name: lengthOfStay
    min: 0
    max: 60
    histogramEdges: [1, 7]
`))
	require.NoError(t, err)
	require.Equal(t, Schema{
		Dimensions: []Dimension{{Name: "sex", Codes: []string{"F", "M"}}, {Name: "ageBand", Codes: []string{"0-14", "15+"}}},
		Measures:   []Measure{{Name: "lengthOfStay", Min: 0, Max: 60, HistogramEdges: []int64{1, 7}}},
	}, s)

	q, err := ParseQuery([]byte(`{"statistic": "histogram", "measure": "lengthOfStay", "groupBy": ["sex"],
		"filters": [{"dimension": "ageBand", "codes": ["15+"]}], "epsilon": 0.25}`))
	require.NoError(t, err)
	require.Equal(t, Query{
		Statistic: StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"sex"},
		Filters: []Filter{{Dimension: "ageBand", Codes: []string{"15+"}}}, Epsilon: 250_000,
	}, q)

	_, err = ParseQuery([]byte(`{"statistic": "count", "epsilon": 0.1, "idempotencyKey": "k"}`))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestParseSurvivesAliasBombs(t *testing.T) {
	doc := `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`
	_, err := ParsePolicy([]byte(doc))
	require.ErrorIs(t, err, ErrMalformed)
}
