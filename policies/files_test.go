package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// shippedCase is one directory of policy files users edit: a schema.yaml and one or more
// policy*.yaml files for it.
type shippedCase struct {
	dir      string
	schema   Schema
	policies map[string]Policy
}

// loadShipped parses every schema and policy file shipped in this directory.
func loadShipped(t *testing.T) map[string]shippedCase {
	t.Helper()
	schemas, err := filepath.Glob("*/schema.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, schemas)
	cases := make(map[string]shippedCase)
	for _, sf := range schemas {
		dir := filepath.Dir(sf)
		if dir == "testdata" {
			continue
		}
		data, err := os.ReadFile(sf)
		require.NoError(t, err)
		s, err := ParseSchema(data)
		require.NoError(t, err, sf)
		c := shippedCase{dir: dir, schema: s, policies: make(map[string]Policy)}
		pfs, err := filepath.Glob(filepath.Join(dir, "policy*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, pfs, "%s has no policy", dir)
		for _, pf := range pfs {
			data, err := os.ReadFile(pf)
			require.NoError(t, err)
			p, err := ParsePolicy(data)
			require.NoError(t, err, pf)
			require.NoError(t, p.ValidateFor(s), pf)
			c.policies[filepath.Base(pf)] = p
		}
		cases[dir] = c
	}
	return cases
}

func TestShippedFilesParseAndFitTheirSchemas(t *testing.T) {
	cases := loadShipped(t)
	for _, dir := range []string{"healthcare", "telecom", "trade"} {
		require.Contains(t, cases, dir)
	}
	require.Contains(t, cases["healthcare"].policies, "policy.yaml")
	require.Contains(t, cases["healthcare"].policies, "policy-exact.yaml")
	require.True(t, cases["healthcare"].policies["policy-exact.yaml"].NoiseOff)
	require.False(t, cases["healthcare"].policies["policy.yaml"].NoiseOff)

	// Every file, and every yaml file is a schema or a policy.
	all, err := filepath.Glob("*/*.yaml")
	require.NoError(t, err)
	for _, f := range all {
		base := filepath.Base(f)
		require.True(t, base == "schema.yaml" || strings.HasPrefix(base, "policy"), "unexpected file %s", f)
	}
}

func TestShippedHealthcarePolicyChecksQueries(t *testing.T) {
	c := loadShipped(t)["healthcare"]
	noisy, exact := c.policies["policy.yaml"], c.policies["policy-exact.yaml"]

	allowed := []struct {
		name   string
		policy Policy
		query  string
	}{
		{"mean length of stay by region, age band and sex is allowed", noisy,
			`{"statistic": "mean", "measure": "lengthOfStay", "groupBy": ["region", "ageBand", "sex"], "epsilon": 0.5}`},
		{"a histogram of length of stay by region for circulatory diseases is allowed", noisy, `
statistic: histogram
measure: lengthOfStay
groupBy: [region]
filters:
  - dimension: diagnosisGroup
    codes: [I00-I99]
epsilon: 0.25
`},
		{"admissions by diagnosis group for the elderly are allowed", noisy,
			`{"statistic": "count", "groupBy": ["diagnosisGroup", "ageBand"], "filters": [{"dimension": "ageBand", "codes": ["60-74", "75+"]}], "epsilon": 0.1}`},
		{"an exact count of the full cube is allowed without epsilon", exact,
			`{"statistic": "count", "groupBy": ["region", "ageBand", "sex", "diagnosisGroup"]}`},
	}
	for _, tt := range allowed {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(tt.query))
			require.NoError(t, err)
			require.NoError(t, CheckQuery(c.schema, tt.policy, q))
		})
	}

	refused := []struct {
		name   string
		policy Policy
		query  string
		field  string
		reason string
	}{
		{"the full cube with noise is refused as too large", noisy,
			`{"statistic": "count", "groupBy": ["region", "ageBand", "sex", "diagnosisGroup"], "epsilon": 0.5}`,
			"groupBy", "the query releases 1320 cells, more than maxOutputCells (500)"},
		{"more epsilon than one query may spend is refused", noisy,
			`{"statistic": "count", "groupBy": ["region"], "epsilon": 0.75}`,
			"epsilon", "must be at most epsilonPerQuery (0.5)"},
		{"a query without epsilon is refused when noise is on", noisy,
			`{"statistic": "count", "groupBy": ["region"]}`,
			"epsilon", "must be greater than 0"},
		{"a histogram of age, which has no edges, is refused", noisy,
			`{"statistic": "histogram", "measure": "age", "groupBy": ["sex"], "epsilon": 0.5}`,
			"measure", `measure "age" has no histogramEdges`},
		{"grouping by a hospital is refused", noisy,
			`{"statistic": "count", "groupBy": ["hospital"], "epsilon": 0.5}`,
			"groupBy[0]", `dimension "hospital" is not in the schema`},
		{"an unknown ICD-10 group is refused", noisy,
			`{"statistic": "count", "filters": [{"dimension": "diagnosisGroup", "codes": ["Z00-Z99"]}], "epsilon": 0.5}`,
			"filters[0].codes[0]", `code "Z00-Z99" is not a code of dimension "diagnosisGroup"`},
		{"an epsilon on the exact policy is refused", exact,
			`{"statistic": "count", "groupBy": ["region"], "epsilon": 0.5}`,
			"epsilon", "the policy has noise off"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(tt.query))
			require.NoError(t, err)
			requireFieldError(t, CheckQuery(c.schema, tt.policy, q), "query", tt.field, tt.reason)
		})
	}
}

func TestShippedTelecomAndTradePoliciesCheckQueries(t *testing.T) {
	cases := loadShipped(t)
	telecom, trade := cases["telecom"], cases["trade"]
	tests := []struct {
		name   string
		c      shippedCase
		query  string
		reason string
	}{
		{"devices by region, hour and day type are allowed", telecom,
			`{"statistic": "count", "groupBy": ["region", "hour", "dayType"], "epsilon": 0.25}`, ""},
		{"devices by every dimension are refused as too large", telecom,
			`{"statistic": "count", "groupBy": ["region", "hour", "dayType", "residence"], "epsilon": 0.25}`, "more than maxOutputCells (480)"},
		{"a dwell-time histogram is refused", telecom,
			`{"statistic": "histogram", "measure": "dwellMinutes", "epsilon": 0.25}`, "histogram is not allowed by the policy"},
		{"export sums by partner and product group are allowed", trade,
			`{"statistic": "sum", "measure": "exportValueKEUR", "groupBy": ["partner", "productGroup"], "epsilon": 1}`, ""},
		{"export sums by every dimension are refused as too large", trade,
			`{"statistic": "sum", "measure": "exportValueKEUR", "groupBy": ["partner", "productGroup", "firmSize"], "epsilon": 1}`, "more than maxOutputCells (120)"},
		{"export variances are refused", trade,
			`{"statistic": "variance", "measure": "exportValueKEUR", "groupBy": ["partner"], "epsilon": 1}`, "variance is not allowed by the policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(tt.query))
			require.NoError(t, err)
			err = CheckQuery(tt.c.schema, tt.c.policies["policy.yaml"], q)
			if tt.reason == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.reason)
		})
	}
}
