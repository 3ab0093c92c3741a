package policies

// maxOutputCount bounds the intermediate products of OutputCells, so that they never
// overflow whatever the schema and the query.
const maxOutputCount = int64(MaxCells) * (MaxHistogramEdges + 1)

// Validate checks the shape of the query on its own (CheckQuery checks it against a schema
// and a policy): a known statistic; no measure for count and a valid measure name for the
// others; at most MaxDimensions valid, unique group-by dimensions; at most MaxDimensions
// filters, each on a different valid dimension with 1 to MaxCodes valid, unique codes; a
// non-negative epsilon. It returns the first problem found as a *FieldError.
func (q Query) Validate() error {
	if !q.Statistic.Known() {
		if q.Statistic == "" {
			return fieldErr(docQuery, "statistic", "must be set (count, sum, mean, variance, histogram)")
		}
		return fieldErr(docQuery, "statistic", "%q is not a statistic (count, sum, mean, variance, histogram)", clip(string(q.Statistic)))
	}
	if !q.Statistic.needsMeasure() {
		if q.Measure != "" {
			return fieldErr(docQuery, "measure", "must be omitted for %s", q.Statistic)
		}
	} else {
		if q.Measure == "" {
			return fieldErr(docQuery, "measure", "must be set for %s", q.Statistic)
		}
		if err := checkName(q.Measure); err != nil {
			return fieldErr(docQuery, "measure", "%v", err)
		}
	}
	if len(q.GroupBy) > MaxDimensions {
		return fieldErr(docQuery, "groupBy", "must list at most %d dimensions, not %d", MaxDimensions, len(q.GroupBy))
	}
	seen := make(map[string]int, len(q.GroupBy))
	for i, g := range q.GroupBy {
		field := index("groupBy", i)
		if err := checkName(g); err != nil {
			return fieldErr(docQuery, field, "%v", err)
		}
		if prev, ok := seen[g]; ok {
			return fieldErr(docQuery, field, "dimension %q is already listed at %s", g, index("groupBy", prev))
		}
		seen[g] = i
	}
	if len(q.Filters) > MaxDimensions {
		return fieldErr(docQuery, "filters", "must list at most %d filters, not %d", MaxDimensions, len(q.Filters))
	}
	seenFilter := make(map[string]int, len(q.Filters))
	for i, f := range q.Filters {
		field := index("filters", i)
		if err := checkName(f.Dimension); err != nil {
			return fieldErr(docQuery, field+".dimension", "%v", err)
		}
		if prev, ok := seenFilter[f.Dimension]; ok {
			return fieldErr(docQuery, field+".dimension", "dimension %q is already filtered at %s", f.Dimension, index("filters", prev))
		}
		seenFilter[f.Dimension] = i
		if err := checkCodes(docQuery, field+".codes", f.Codes); err != nil {
			return err
		}
	}
	if q.Epsilon < 0 {
		return fieldErr(docQuery, "epsilon", "must not be negative")
	}
	return nil
}

// filter returns the query's first filter on dimension d and its position.
func (q Query) filter(d string) (Filter, int, bool) {
	for i, f := range q.Filters {
		if f.Dimension == d {
			return f, i, true
		}
	}
	return Filter{}, -1, false
}

// OutputCells returns the number of cells the query releases: the product of the sizes of
// its group-by dimensions, where a dimension that is also filtered counts only its distinct
// filter codes, times the number of histogram bins for a histogram (1 for a query without
// group-by). It returns a *FieldError if a group-by dimension or a filter code on it is not
// in the schema, if a histogram's measure is missing or has no edges, or if the count
// exceeds MaxCells × (MaxHistogramEdges+1); it never overflows.
func OutputCells(s Schema, q Query) (int, error) {
	cells := int64(1)
	for i, g := range q.GroupBy {
		d, _, ok := s.Dimension(g)
		if !ok {
			return 0, fieldErr(docQuery, index("groupBy", i), "dimension %q is not in the schema", clip(g))
		}
		n := int64(len(d.Codes))
		if f, fi, ok := q.filter(g); ok {
			distinct := make(map[string]bool, len(f.Codes))
			for j, c := range f.Codes {
				if d.CodeIndex(c) < 0 {
					return 0, fieldErr(docQuery, index(index("filters", fi)+".codes", j), "code %q is not a code of dimension %q", clip(c), d.Name)
				}
				distinct[c] = true
			}
			n = int64(len(distinct))
		}
		cells *= n
		if cells > maxOutputCount {
			return 0, fieldErr(docQuery, "groupBy", "the query would release more than %d cells", maxOutputCount)
		}
	}
	if q.Statistic == StatHistogram {
		m, _, ok := s.Measure(q.Measure)
		if !ok {
			return 0, fieldErr(docQuery, "measure", "measure %q is not in the schema", clip(q.Measure))
		}
		if m.Bins() == 0 {
			return 0, fieldErr(docQuery, "measure", "measure %q has no histogramEdges in the schema", m.Name)
		}
		cells *= int64(m.Bins())
		if cells > maxOutputCount {
			return 0, fieldErr(docQuery, "groupBy", "the query would release more than %d cells", maxOutputCount)
		}
	}
	return int(cells), nil
}

// CheckQuery checks a query against a dataset's schema and policy, which it assumes valid
// (see Policy.ValidateFor). It checks the query's shape with Query.Validate, then that the
// statistic is allowed; that its measure exists (and has histogram edges for a
// histogram); that every group-by and filter dimension exists and is allowed and every
// filter code exists; that the released cells (OutputCells) are at most MaxOutputCells;
// and the epsilon: zero when the policy has NoiseOff, otherwise greater than zero and at
// most EpsilonPerQuery. The remaining budget and the number of submissions are ledger
// state, for the caller to check. It returns the first problem found as a *FieldError.
func CheckQuery(s Schema, p Policy, q Query) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if !p.allows(q.Statistic) {
		return fieldErr(docQuery, "statistic", "%s is not allowed by the policy", q.Statistic)
	}
	if q.Statistic.needsMeasure() {
		m, _, ok := s.Measure(q.Measure)
		if !ok {
			return fieldErr(docQuery, "measure", "measure %q is not in the schema", q.Measure)
		}
		if q.Statistic == StatHistogram && m.Bins() == 0 {
			return fieldErr(docQuery, "measure", "measure %q has no histogramEdges in the schema", m.Name)
		}
	}
	for i, g := range q.GroupBy {
		field := index("groupBy", i)
		if _, _, ok := s.Dimension(g); !ok {
			return fieldErr(docQuery, field, "dimension %q is not in the schema", g)
		}
		if !p.allowsDimension(g) {
			return fieldErr(docQuery, field, "dimension %q is not allowed by the policy", g)
		}
	}
	for i, f := range q.Filters {
		field := index("filters", i)
		d, _, ok := s.Dimension(f.Dimension)
		if !ok {
			return fieldErr(docQuery, field+".dimension", "dimension %q is not in the schema", f.Dimension)
		}
		if !p.allowsDimension(f.Dimension) {
			return fieldErr(docQuery, field+".dimension", "dimension %q is not allowed by the policy", f.Dimension)
		}
		for j, c := range f.Codes {
			if d.CodeIndex(c) < 0 {
				return fieldErr(docQuery, index(field+".codes", j), "code %q is not a code of dimension %q", c, d.Name)
			}
		}
	}
	cells, err := OutputCells(s, q)
	if err != nil {
		return err
	}
	if cells > p.MaxOutputCells {
		return fieldErr(docQuery, "groupBy", "the query releases %d cells, more than maxOutputCells (%d)", cells, p.MaxOutputCells)
	}
	if p.NoiseOff {
		if q.Epsilon != 0 {
			return fieldErr(docQuery, "epsilon", "must be 0 or omitted: the policy has noise off")
		}
		return nil
	}
	if q.Epsilon <= 0 {
		return fieldErr(docQuery, "epsilon", "must be greater than 0")
	}
	if q.Epsilon > p.EpsilonPerQuery {
		return fieldErr(docQuery, "epsilon", "must be at most epsilonPerQuery (%s)", p.EpsilonPerQuery)
	}
	return nil
}
