package policies

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// addShippedSeeds adds every shipped file matching pattern to the fuzz corpus, on top of the
// committed corpus under testdata/fuzz.
func addShippedSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	require.NoError(f, err)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
}

// requireRoundTrip checks that v, marshalled to JSON and to YAML, parses back to v.
func requireRoundTrip[T any](t *testing.T, v T, parse func([]byte) (T, error)) {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	back, err := parse(data)
	require.NoError(t, err, "JSON %s", data)
	require.Equal(t, v, back)

	data, err = yaml.Marshal(v)
	require.NoError(t, err)
	back, err = parse(data)
	require.NoError(t, err, "YAML %s", data)
	require.Equal(t, v, back)
}

func FuzzParsePolicy(f *testing.F) {
	addShippedSeeds(f, "*/policy*.yaml")
	f.Add([]byte(policyJSON))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		require.NoError(t, p.Validate())
		requireRoundTrip(t, p, ParsePolicy)
	})
}

func FuzzParseSchema(f *testing.F) {
	addShippedSeeds(f, "*/schema.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSchema(data)
		if err != nil {
			return
		}
		require.NoError(t, s.Validate())
		n, err := s.Cells()
		require.NoError(t, err)
		require.LessOrEqual(t, n, MaxCells)
		requireRoundTrip(t, s, ParseSchema)
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add([]byte(`{"statistic": "mean", "measure": "lengthOfStay", "groupBy": ["region", "sex"], "filters": [{"dimension": "ageBand", "codes": ["65+"]}], "epsilon": 0.25}`))
	s, p := testSchema(), testPolicy()
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQuery(data)
		if err != nil {
			return
		}
		require.NoError(t, q.Validate())
		requireRoundTrip(t, q, ParseQuery)
		// Checking any well-formed query against a dataset never panics, and an allowed
		// query fits the policy's output limit.
		if err := CheckQuery(s, p, q); err == nil {
			n, err := OutputCells(s, q)
			require.NoError(t, err)
			require.LessOrEqual(t, n, p.MaxOutputCells)
		}
	})
}
