package policies

// knownStatistics lists the statistics in the order messages name them.
var knownStatistics = []Statistic{StatCount, StatSum, StatMean, StatVariance, StatHistogram}

// Known reports whether st is one of the statistics statledger computes.
func (st Statistic) Known() bool {
	for _, k := range knownStatistics {
		if st == k {
			return true
		}
	}
	return false
}

// needsMeasure reports whether st is computed on a measure (everything but count).
func (st Statistic) needsMeasure() bool {
	return st != StatCount
}

// Validate checks every field of the policy on its own (ValidateFor checks it against a
// schema): valid, unique allowed dimensions; at least one allowed statistic, each known and
// listed once; 1 <= MaxOutputCells <= MaxCells; with noise, 0 < EpsilonPerQuery <=
// EpsilonTotal and a Delta in (0, MaxDelta]; with NoiseOff, both epsilons zero and Delta
// empty; 1 <= MinSubmissions <= MaxMinSubmissions; 1 <= MaxRecordsPerSubmission <=
// MaxMaxRecordsPerSubmission; MinSubmissions <= MaxSubmissions <= MaxMaxSubmissions;
// 0 <= MinCellCount <= MaxMinCellCount; 1 <= RequiredResults <= MaxRequiredResults;
// 1 <= Approval.MinApprovals <= MaxApprovals. Whether MaxRecordsPerSubmission ×
// MaxSubmissions records fit a parameter set's plaintext range is for crypto/params
// CheckCapacity to say.
// It returns the first problem found as a *FieldError.
func (p Policy) Validate() error {
	if len(p.AllowedDimensions) > MaxDimensions {
		return fieldErr(docPolicy, "allowedDimensions", "must list at most %d dimensions, not %d", MaxDimensions, len(p.AllowedDimensions))
	}
	seenDim := make(map[string]int, len(p.AllowedDimensions))
	for i, d := range p.AllowedDimensions {
		field := index("allowedDimensions", i)
		if err := checkName(d); err != nil {
			return fieldErr(docPolicy, field, "%v", err)
		}
		if prev, ok := seenDim[d]; ok {
			return fieldErr(docPolicy, field, "dimension %q is already listed at %s", d, index("allowedDimensions", prev))
		}
		seenDim[d] = i
	}
	if len(p.AllowedStatistics) == 0 {
		return fieldErr(docPolicy, "allowedStatistics", "must list at least one statistic (count, sum, mean, variance, histogram)")
	}
	seenStat := make(map[Statistic]int, len(p.AllowedStatistics))
	for i, st := range p.AllowedStatistics {
		field := index("allowedStatistics", i)
		if !st.Known() {
			return fieldErr(docPolicy, field, "%q is not a statistic (count, sum, mean, variance, histogram)", clip(string(st)))
		}
		if prev, ok := seenStat[st]; ok {
			return fieldErr(docPolicy, field, "statistic %q is already listed at %s", st, index("allowedStatistics", prev))
		}
		seenStat[st] = i
	}
	if p.MaxOutputCells < 1 || p.MaxOutputCells > MaxCells {
		return fieldErr(docPolicy, "maxOutputCells", "must be between 1 and %d", MaxCells)
	}
	if err := p.validateNoise(); err != nil {
		return err
	}
	if p.MinSubmissions < 1 || p.MinSubmissions > MaxMinSubmissions {
		return fieldErr(docPolicy, "minSubmissions", "must be between 1 and %d", MaxMinSubmissions)
	}
	if p.MaxRecordsPerSubmission < 1 || p.MaxRecordsPerSubmission > MaxMaxRecordsPerSubmission {
		return fieldErr(docPolicy, "maxRecordsPerSubmission", "must be between 1 and %d", int64(MaxMaxRecordsPerSubmission))
	}
	if p.MaxSubmissions < p.MinSubmissions || p.MaxSubmissions > MaxMaxSubmissions {
		return fieldErr(docPolicy, "maxSubmissions", "must be between minSubmissions (%d) and %d", p.MinSubmissions, MaxMaxSubmissions)
	}
	if p.MinCellCount < 0 || p.MinCellCount > MaxMinCellCount {
		return fieldErr(docPolicy, "minCellCount", "must be between 0 and %d", MaxMinCellCount)
	}
	if p.RequiredResults < 1 || p.RequiredResults > MaxRequiredResults {
		return fieldErr(docPolicy, "requiredResults", "must be between 1 and %d", MaxRequiredResults)
	}
	if p.Approval.MinApprovals < 1 || p.Approval.MinApprovals > MaxApprovals {
		return fieldErr(docPolicy, "approval.minApprovals", "must be between 1 and %d", MaxApprovals)
	}
	return nil
}

// validateNoise checks the privacy-budget fields against NoiseOff.
func (p Policy) validateNoise() error {
	if p.NoiseOff {
		if p.EpsilonPerQuery != 0 {
			return fieldErr(docPolicy, "epsilonPerQuery", "must be 0 or omitted when noiseOff is true")
		}
		if p.EpsilonTotal != 0 {
			return fieldErr(docPolicy, "epsilonTotal", "must be 0 or omitted when noiseOff is true")
		}
		if p.Delta != "" {
			return fieldErr(docPolicy, "delta", "must be omitted when noiseOff is true")
		}
		return nil
	}
	if p.EpsilonPerQuery <= 0 {
		return fieldErr(docPolicy, "epsilonPerQuery", "must be greater than 0 when noise is on")
	}
	if p.EpsilonTotal <= 0 {
		return fieldErr(docPolicy, "epsilonTotal", "must be greater than 0 when noise is on")
	}
	if p.EpsilonPerQuery > p.EpsilonTotal {
		return fieldErr(docPolicy, "epsilonPerQuery", "must be at most epsilonTotal (%s)", p.EpsilonTotal)
	}
	if err := checkDelta(p.Delta); err != nil {
		return fieldErr(docPolicy, "delta", "%v", err)
	}
	return nil
}

// ValidateFor checks the schema and the policy with their Validate methods, then the policy
// against the schema: every allowed dimension is a dimension of the schema; sum, mean and
// variance are allowed only if the schema has a measure; histogram only if some measure has
// histogram edges. It returns the first problem found as a *FieldError.
func (p Policy) ValidateFor(s Schema) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	for i, d := range p.AllowedDimensions {
		if _, _, ok := s.Dimension(d); !ok {
			return fieldErr(docPolicy, index("allowedDimensions", i), "dimension %q is not in the schema", d)
		}
	}
	for i, st := range p.AllowedStatistics {
		field := index("allowedStatistics", i)
		switch {
		case st == StatHistogram && !s.hasHistogram():
			return fieldErr(docPolicy, field, "histogram needs a measure with histogramEdges in the schema")
		case st.needsMeasure() && len(s.Measures) == 0:
			return fieldErr(docPolicy, field, "%s needs a measure in the schema", st)
		}
	}
	return nil
}

// allows reports whether the policy allows the statistic.
func (p Policy) allows(st Statistic) bool {
	for _, a := range p.AllowedStatistics {
		if a == st {
			return true
		}
	}
	return false
}

// allowsDimension reports whether the policy allows grouping by or filtering on dimension d.
func (p Policy) allowsDimension(d string) bool {
	for _, a := range p.AllowedDimensions {
		if a == d {
			return true
		}
	}
	return false
}

// clip shortens a quoted value for an error message to at most MaxNameLength bytes.
func clip(s string) string {
	if len(s) > MaxNameLength {
		return s[:MaxNameLength] + "..."
	}
	return s
}
