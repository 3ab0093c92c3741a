package policies

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSchemaValidateAcceptsValidSchemas(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Schema)
	}{
		{"the test schema is valid", func(*Schema) {}},
		{"a schema without measures is valid", func(s *Schema) { s.Measures = nil }},
		{"a dimension with a single code is valid", func(s *Schema) { s.Dimensions[2].Codes = []string{"all"} }},
		{"a measure with min equal to max is valid", func(s *Schema) { s.Measures[1] = Measure{Name: "one", Min: 1, Max: 1} }},
		{"a histogram edge equal to max is valid", func(s *Schema) { s.Measures[0].HistogramEdges = []int64{60} }},
		{"negative bounds are valid", func(s *Schema) {
			s.Measures[1] = Measure{Name: "delta", Min: -5, Max: 5, HistogramEdges: []int64{-4, 0}}
		}},
		{"codes with punctuation are valid", func(s *Schema) { s.Dimensions[0].Codes = []string{"A00-B99", "75+", "HS:01/05", "x_y.z"} }},
		{"a cube of exactly MaxCells cells is valid", func(s *Schema) {
			s.Dimensions = []Dimension{{Name: "a", Codes: codes(1024)}, {Name: "b", Codes: codes(1024)}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSchema()
			tt.mutate(&s)
			require.NoError(t, s.Validate())
		})
	}
}

func TestSchemaValidateRefusesEachBrokenRule(t *testing.T) {
	long := strings.Repeat("a", MaxNameLength+1)
	tests := []struct {
		name   string
		mutate func(*Schema)
		field  string
		reason string
	}{
		{"a schema without dimensions is refused", func(s *Schema) { s.Dimensions = nil },
			"dimensions", "at least one dimension"},
		{"too many dimensions are refused", func(s *Schema) {
			s.Dimensions = nil
			for i := 0; i <= MaxDimensions; i++ {
				s.Dimensions = append(s.Dimensions, Dimension{Name: "d" + codes(i + 1)[i], Codes: []string{"x"}})
			}
		}, "dimensions", "at most 16 dimensions, not 17"},
		{"too many measures are refused", func(s *Schema) {
			s.Measures = nil
			for i := 0; i <= MaxMeasures; i++ {
				s.Measures = append(s.Measures, Measure{Name: "m" + codes(i + 1)[i]})
			}
		}, "measures", "at most 16 measures, not 17"},
		{"an empty dimension name is refused", func(s *Schema) { s.Dimensions[1].Name = "" },
			"dimensions[1].name", "must not be empty"},
		{"a dimension name that is too long is refused", func(s *Schema) { s.Dimensions[1].Name = long },
			"dimensions[1].name", "at most 64 bytes"},
		{"a dimension name starting with a digit is refused", func(s *Schema) { s.Dimensions[1].Name = "1age" },
			"dimensions[1].name", "must start with a letter"},
		{"a dimension name with a space is refused", func(s *Schema) { s.Dimensions[1].Name = "age band" },
			"dimensions[1].name", "must start with a letter"},
		{"a dimension name with non-ASCII letters is refused", func(s *Schema) { s.Dimensions[1].Name = "région" },
			"dimensions[1].name", "must start with a letter"},
		{"a duplicated dimension name is refused", func(s *Schema) { s.Dimensions[2].Name = "region" },
			"dimensions[2].name", `"region" is already the name of dimensions[0]`},
		{"a dimension without codes is refused", func(s *Schema) { s.Dimensions[0].Codes = nil },
			"dimensions[0].codes", "at least one code"},
		{"a dimension with too many codes is refused", func(s *Schema) { s.Dimensions[0].Codes = codes(MaxCodes + 1) },
			"dimensions[0].codes", "at most 1024 codes, not 1025"},
		{"an empty code is refused", func(s *Schema) { s.Dimensions[0].Codes[1] = "" },
			"dimensions[0].codes[1]", "must not be empty"},
		{"a code that is too long is refused", func(s *Schema) { s.Dimensions[0].Codes[1] = long },
			"dimensions[0].codes[1]", "at most 64 bytes"},
		{"a code with a comma is refused", func(s *Schema) { s.Dimensions[0].Codes[1] = "a,b" },
			"dimensions[0].codes[1]", "only letters, digits"},
		{"a duplicated code is refused", func(s *Schema) { s.Dimensions[0].Codes[2] = "R01" },
			"dimensions[0].codes[2]", `code "R01" is already listed at dimensions[0].codes[0]`},
		{"a cube larger than MaxCells is refused", func(s *Schema) {
			s.Dimensions = []Dimension{{Name: "a", Codes: codes(1024)}, {Name: "b", Codes: codes(1024)}, {Name: "c", Codes: codes(2)}}
		}, "dimensions", "at most 1048576 cells"},
		{"an empty measure name is refused", func(s *Schema) { s.Measures[1].Name = "" },
			"measures[1].name", "must not be empty"},
		{"a measure named like a dimension is refused", func(s *Schema) { s.Measures[1].Name = "sex" },
			"measures[1].name", `"sex" is already the name of dimensions[2]`},
		{"a duplicated measure name is refused", func(s *Schema) { s.Measures[1].Name = "lengthOfStay" },
			"measures[1].name", "already the name of measures[0]"},
		{"a min below -MaxMeasureBound is refused", func(s *Schema) { s.Measures[1].Min = -MaxMeasureBound - 1 },
			"measures[1].min", "between -1000000000 and 1000000000"},
		{"a max above MaxMeasureBound is refused", func(s *Schema) { s.Measures[1].Max = MaxMeasureBound + 1 },
			"measures[1].max", "between -1000000000 and 1000000000"},
		{"a max below min is refused", func(s *Schema) { s.Measures[1].Min, s.Measures[1].Max = 5, 4 },
			"measures[1].max", "must be at least min (5)"},
		{"too many histogram edges are refused", func(s *Schema) {
			s.Measures[1].Max = 1000
			s.Measures[1].HistogramEdges = nil
			for i := 1; i <= MaxHistogramEdges+1; i++ {
				s.Measures[1].HistogramEdges = append(s.Measures[1].HistogramEdges, int64(i))
			}
		}, "measures[1].histogramEdges", "at most 64 edges, not 65"},
		{"histogram edges out of order are refused", func(s *Schema) { s.Measures[0].HistogramEdges = []int64{1, 30, 7} },
			"measures[0].histogramEdges[2]", "greater than the previous edge (30)"},
		{"a repeated histogram edge is refused", func(s *Schema) { s.Measures[0].HistogramEdges = []int64{1, 7, 7} },
			"measures[0].histogramEdges[2]", "greater than the previous edge (7)"},
		{"a histogram edge equal to min is refused", func(s *Schema) { s.Measures[0].HistogramEdges = []int64{0, 7} },
			"measures[0].histogramEdges[0]", "greater than min (0)"},
		{"a histogram edge above max is refused", func(s *Schema) { s.Measures[0].HistogramEdges = []int64{1, 61} },
			"measures[0].histogramEdges[1]", "at most max (60)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSchema()
			tt.mutate(&s)
			requireFieldError(t, s.Validate(), "schema", tt.field, tt.reason)
		})
	}
}

func TestSchemaCellsCountsTheCube(t *testing.T) {
	n, err := testSchema().Cells()
	require.NoError(t, err)
	require.Equal(t, 18, n)
}

func TestSchemaLookups(t *testing.T) {
	s := testSchema()
	d, i, ok := s.Dimension("sex")
	require.True(t, ok)
	require.Equal(t, 2, i)
	require.Equal(t, 1, d.CodeIndex("M"))
	require.Equal(t, -1, d.CodeIndex("X"))
	_, _, ok = s.Dimension("lengthOfStay")
	require.False(t, ok)

	m, i, ok := s.Measure("lengthOfStay")
	require.True(t, ok)
	require.Equal(t, 0, i)
	require.Equal(t, 4, m.Bins())
	m, _, ok = s.Measure("age")
	require.True(t, ok)
	require.Equal(t, 0, m.Bins())
	_, _, ok = s.Measure("region")
	require.False(t, ok)
}

func TestSchemaErrorMessagesAreExact(t *testing.T) {
	s := testSchema()
	s.Measures[1].Min, s.Measures[1].Max = 5, 4
	require.EqualError(t, s.Validate(), `schema field "measures[1].max": must be at least min (5)`)

	s = testSchema()
	s.Dimensions[0].Codes[2] = "R01"
	require.EqualError(t, s.Validate(), `schema field "dimensions[0].codes[2]": code "R01" is already listed at dimensions[0].codes[0]`)
}
