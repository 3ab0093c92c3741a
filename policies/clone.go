package policies

import "slices"

// Clone returns a copy of s that shares no memory with it.
func (s Schema) Clone() Schema {
	s.Dimensions = slices.Clone(s.Dimensions)
	for i := range s.Dimensions {
		s.Dimensions[i].Codes = slices.Clone(s.Dimensions[i].Codes)
	}
	s.Measures = slices.Clone(s.Measures)
	for i := range s.Measures {
		s.Measures[i].HistogramEdges = slices.Clone(s.Measures[i].HistogramEdges)
	}
	return s
}

// Clone returns a copy of p that shares no memory with it.
func (p Policy) Clone() Policy {
	p.AllowedDimensions = slices.Clone(p.AllowedDimensions)
	p.AllowedStatistics = slices.Clone(p.AllowedStatistics)
	return p
}
