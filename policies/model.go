// Package policies holds statledger's dataset model and query-restriction policies: the
// schema of a dataset (categorical dimensions and clipped integer measures), the query an
// analyst asks for, the policy a consortium sets on a dataset (allowed dimensions and
// statistics, output size, privacy budget, approval rule, output controls), their parsers
// and the deterministic checks that the chaincode and the off-chain code both run.
//
// The package is deterministic and has no network, clock or randomness, so it is safe to
// use inside chaincode. All exported functions are safe for concurrent use.
package policies

// Statistic names an aggregate an analyst may request.
type Statistic string

// The statistics statledger computes. Mean and variance are derived after decryption from
// the encrypted count, sum and sum of squares.
const (
	StatCount     Statistic = "count"
	StatSum       Statistic = "sum"
	StatMean      Statistic = "mean"
	StatVariance  Statistic = "variance"
	StatHistogram Statistic = "histogram"
)

// Dimension is a categorical dimension of a dataset with its finite list of codes.
// The order of Codes fixes the cube layout and must never change once data is submitted.
type Dimension struct {
	Name  string   `json:"name" yaml:"name"`
	Codes []string `json:"codes" yaml:"codes"`
}

// Measure is an integer measure of a dataset. Values are clipped to [Min, Max] by the
// provider before aggregation. HistogramEdges, if set, are the ascending inner bin edges of
// the measure's histogram: k edges give k+1 bins (-inf,e0), [e0,e1), ..., [ek-1,+inf).
type Measure struct {
	Name           string  `json:"name" yaml:"name"`
	Min            int64   `json:"min" yaml:"min"`
	Max            int64   `json:"max" yaml:"max"`
	HistogramEdges []int64 `json:"histogramEdges,omitempty" yaml:"histogramEdges,omitempty"`
}

// Schema describes what a dataset's records look like.
type Schema struct {
	Dimensions []Dimension `json:"dimensions" yaml:"dimensions"`
	Measures   []Measure   `json:"measures" yaml:"measures"`
}

// Filter restricts a query to records whose dimension value is one of Codes.
type Filter struct {
	Dimension string   `json:"dimension" yaml:"dimension"`
	Codes     []string `json:"codes" yaml:"codes"`
}

// Query is what an analyst asks of a dataset. Measure is empty for StatCount.
// Epsilon is the privacy loss the query spends.
type Query struct {
	Statistic Statistic `json:"statistic" yaml:"statistic"`
	Measure   string    `json:"measure,omitempty" yaml:"measure,omitempty"`
	GroupBy   []string  `json:"groupBy" yaml:"groupBy"`
	Filters   []Filter  `json:"filters,omitempty" yaml:"filters,omitempty"`
	Epsilon   Epsilon   `json:"epsilon" yaml:"epsilon"`
}

// ApprovalRule says who must approve a query before it runs: at least MinApprovals
// approvals from distinct consortium members, not counting the requester's own
// organisation when ExcludeRequester is set.
type ApprovalRule struct {
	MinApprovals     int  `json:"minApprovals" yaml:"minApprovals"`
	ExcludeRequester bool `json:"excludeRequester" yaml:"excludeRequester"`
}

// Policy is the consortium's restriction policy on one dataset.
type Policy struct {
	// AllowedDimensions are the dimensions a query may group by or filter on.
	AllowedDimensions []string `json:"allowedDimensions" yaml:"allowedDimensions"`
	// AllowedStatistics are the statistics a query may request.
	AllowedStatistics []Statistic `json:"allowedStatistics" yaml:"allowedStatistics"`
	// MaxOutputCells caps the number of cells of a released table (histogram bins count).
	MaxOutputCells int `json:"maxOutputCells" yaml:"maxOutputCells"`
	// EpsilonPerQuery caps the privacy loss of one query.
	EpsilonPerQuery Epsilon `json:"epsilonPerQuery" yaml:"epsilonPerQuery"`
	// EpsilonTotal is the dataset's total privacy budget.
	EpsilonTotal Epsilon `json:"epsilonTotal" yaml:"epsilonTotal"`
	// Delta is the delta of (epsilon, delta)-differential privacy, as a decimal string
	// such as "1e-9".
	Delta string `json:"delta" yaml:"delta"`
	// MinSubmissions is the least number of live submissions a query may run on.
	MinSubmissions int `json:"minSubmissions" yaml:"minSubmissions"`
	// MaxRecordsPerSubmission is the most records one submission may aggregate. With
	// MaxSubmissions it bounds every aggregate of a query: a query sums at most
	// MaxSubmissions × MaxRecordsPerSubmission records, and the homomorphic parameter set
	// must represent that many squared measure bounds exactly (crypto/params
	// CheckCapacity), or sums would wrap around.
	MaxRecordsPerSubmission int64 `json:"maxRecordsPerSubmission" yaml:"maxRecordsPerSubmission"`
	// MaxSubmissions is the most live submissions one query may combine; at least
	// MinSubmissions.
	MaxSubmissions int `json:"maxSubmissions" yaml:"maxSubmissions"`
	// MinCellCount is the least noisy count a released cell may have; smaller cells are
	// suppressed and flagged.
	MinCellCount int64 `json:"minCellCount" yaml:"minCellCount"`
	// RequiredResults is how many identical worker results, from workers of distinct
	// organisations, must exist before decryption may start.
	RequiredResults int `json:"requiredResults" yaml:"requiredResults"`
	// PublicReleases says whether released tables are stored on the ledger in full.
	PublicReleases bool `json:"publicReleases" yaml:"publicReleases"`
	// NoiseOff switches differential-privacy noise off (exact statistics for trusted use).
	// The default, false, adds noise.
	NoiseOff bool `json:"noiseOff" yaml:"noiseOff"`
	// Approval is the approval rule for queries on the dataset.
	Approval ApprovalRule `json:"approval" yaml:"approval"`
}
