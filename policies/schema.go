package policies

// Validate checks that the schema is well formed: at least one dimension and at most
// MaxDimensions, at most MaxMeasures measures, names that are valid and unique across
// dimensions and measures, 1 to MaxCodes valid and unique codes per dimension, a cube of at
// most MaxCells cells, measure bounds with Min <= Max within ±MaxMeasureBound, and at most
// MaxHistogramEdges histogram edges, strictly ascending within (Min, Max]. It returns the
// first problem found as a *FieldError.
func (s Schema) Validate() error {
	if len(s.Dimensions) == 0 {
		return fieldErr(docSchema, "dimensions", "must list at least one dimension")
	}
	if len(s.Dimensions) > MaxDimensions {
		return fieldErr(docSchema, "dimensions", "must list at most %d dimensions, not %d", MaxDimensions, len(s.Dimensions))
	}
	if len(s.Measures) > MaxMeasures {
		return fieldErr(docSchema, "measures", "must list at most %d measures, not %d", MaxMeasures, len(s.Measures))
	}
	seen := make(map[string]string, len(s.Dimensions)+len(s.Measures))
	for i, d := range s.Dimensions {
		field := index("dimensions", i)
		if err := checkName(d.Name); err != nil {
			return fieldErr(docSchema, field+".name", "%v", err)
		}
		if prev, ok := seen[d.Name]; ok {
			return fieldErr(docSchema, field+".name", "%q is already the name of %s", d.Name, prev)
		}
		seen[d.Name] = field
		if err := checkCodes(docSchema, field+".codes", d.Codes); err != nil {
			return err
		}
	}
	if _, err := s.Cells(); err != nil {
		return err
	}
	for i, m := range s.Measures {
		field := index("measures", i)
		if err := checkName(m.Name); err != nil {
			return fieldErr(docSchema, field+".name", "%v", err)
		}
		if prev, ok := seen[m.Name]; ok {
			return fieldErr(docSchema, field+".name", "%q is already the name of %s", m.Name, prev)
		}
		seen[m.Name] = field
		if err := m.validate(field); err != nil {
			return err
		}
	}
	return nil
}

// checkCodes checks a list of 1 to MaxCodes valid, unique codes.
func checkCodes(doc, field string, codes []string) error {
	if len(codes) == 0 {
		return fieldErr(doc, field, "must list at least one code")
	}
	if len(codes) > MaxCodes {
		return fieldErr(doc, field, "must list at most %d codes, not %d", MaxCodes, len(codes))
	}
	seen := make(map[string]int, len(codes))
	for j, c := range codes {
		if err := checkCode(c); err != nil {
			return fieldErr(doc, index(field, j), "%v", err)
		}
		if prev, ok := seen[c]; ok {
			return fieldErr(doc, index(field, j), "code %q is already listed at %s", c, index(field, prev))
		}
		seen[c] = j
	}
	return nil
}

// validate checks a measure's bounds and histogram edges; field is its path.
func (m Measure) validate(field string) error {
	if m.Min < -MaxMeasureBound || m.Min > MaxMeasureBound {
		return fieldErr(docSchema, field+".min", "must be between %d and %d", -MaxMeasureBound, MaxMeasureBound)
	}
	if m.Max < -MaxMeasureBound || m.Max > MaxMeasureBound {
		return fieldErr(docSchema, field+".max", "must be between %d and %d", -MaxMeasureBound, MaxMeasureBound)
	}
	if m.Min > m.Max {
		return fieldErr(docSchema, field+".max", "must be at least min (%d)", m.Min)
	}
	if len(m.HistogramEdges) > MaxHistogramEdges {
		return fieldErr(docSchema, field+".histogramEdges", "must list at most %d edges, not %d", MaxHistogramEdges, len(m.HistogramEdges))
	}
	for j, e := range m.HistogramEdges {
		ef := index(field+".histogramEdges", j)
		if j > 0 && e <= m.HistogramEdges[j-1] {
			return fieldErr(docSchema, ef, "must be greater than the previous edge (%d)", m.HistogramEdges[j-1])
		}
		if e <= m.Min {
			return fieldErr(docSchema, ef, "must be greater than min (%d)", m.Min)
		}
		if e > m.Max {
			return fieldErr(docSchema, ef, "must be at most max (%d)", m.Max)
		}
	}
	return nil
}

// Bins returns the number of histogram bins of the measure: len(HistogramEdges)+1, or 0
// when the measure has no histogram edges.
func (m Measure) Bins() int {
	if len(m.HistogramEdges) == 0 {
		return 0
	}
	return len(m.HistogramEdges) + 1
}

// Cells returns the number of cells of the dataset's cube, the product of the numbers of
// codes of its dimensions (1 for a schema without dimensions). It returns a *FieldError if
// the product exceeds MaxCells; it never overflows.
func (s Schema) Cells() (int, error) {
	n := 1
	for _, d := range s.Dimensions {
		if int64(n)*int64(len(d.Codes)) > MaxCells {
			return 0, fieldErr(docSchema, "dimensions", "the cube of all dimensions must have at most %d cells", MaxCells)
		}
		n *= len(d.Codes)
	}
	return n, nil
}

// Dimension returns the dimension named name and its position in s.Dimensions, or false if
// there is none.
func (s Schema) Dimension(name string) (Dimension, int, bool) {
	for i, d := range s.Dimensions {
		if d.Name == name {
			return d, i, true
		}
	}
	return Dimension{}, -1, false
}

// Measure returns the measure named name and its position in s.Measures, or false if there
// is none.
func (s Schema) Measure(name string) (Measure, int, bool) {
	for i, m := range s.Measures {
		if m.Name == name {
			return m, i, true
		}
	}
	return Measure{}, -1, false
}

// CodeIndex returns the position of code in d.Codes, which is its coordinate in the cube, or
// -1 if d has no such code.
func (d Dimension) CodeIndex(code string) int {
	for i, c := range d.Codes {
		if c == code {
			return i
		}
	}
	return -1
}

// hasHistogram reports whether some measure of s has histogram edges.
func (s Schema) hasHistogram() bool {
	for _, m := range s.Measures {
		if len(m.HistogramEdges) > 0 {
			return true
		}
	}
	return false
}
