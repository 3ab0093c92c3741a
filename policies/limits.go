package policies

// Limits that keep documents, cubes and released tables small enough to encode, encrypt and
// check cheaply, and keep every product of sizes far from integer overflow.
const (
	// MaxDocumentSize is the largest schema, policy or query document, in bytes, that the
	// parse functions accept.
	MaxDocumentSize = 256 << 10
	// MaxDocumentNodes is the largest number of YAML nodes (keys, values, lists and
	// mappings) of a document that the parse functions accept: about twice what the
	// largest document the other limits allow needs (a query of MaxDimensions filters of
	// MaxCodes codes each).
	MaxDocumentNodes = 1 << 15
	// MaxDocumentDepth is the greatest depth of a value in a document that the parse
	// functions accept, counting the top-level mapping as 1 and each list or mapping
	// around a value as one more. The deepest values of valid documents, a schema's
	// dimension codes and a query's filter codes, are at depth 5.
	MaxDocumentDepth = 8
	// MaxNameLength is the longest dimension, measure or code name, in bytes.
	MaxNameLength = 64
	// MaxDimensions is the largest number of dimensions of a schema.
	MaxDimensions = 16
	// MaxCodes is the largest number of codes of one dimension.
	MaxCodes = 1024
	// MaxMeasures is the largest number of measures of a schema.
	MaxMeasures = 16
	// MaxHistogramEdges is the largest number of histogram edges of one measure.
	MaxHistogramEdges = 64
	// MaxCells is the largest number of cells of a dataset's cube (the product of the
	// numbers of codes of its dimensions) and the largest MaxOutputCells of a policy.
	MaxCells = 1 << 20
	// MaxMeasureBound is the largest absolute value of a measure's clipping bounds and
	// histogram edges, so that squares of clipped values fit comfortably in 64 bits.
	MaxMeasureBound = 1_000_000_000
	// MaxApprovals is the largest MinApprovals of an approval rule.
	MaxApprovals = 64
	// MaxRequiredResults is the largest RequiredResults of a policy.
	MaxRequiredResults = 16
	// MaxMinSubmissions is the largest MinSubmissions of a policy.
	MaxMinSubmissions = 100_000
	// MaxMaxSubmissions is the largest MaxSubmissions of a policy.
	MaxMaxSubmissions = 100_000
	// MaxMaxRecordsPerSubmission is the largest MaxRecordsPerSubmission of a policy (2^40,
	// about 1.1·10^12), so that MaxRecordsPerSubmission × MaxSubmissions stays below 2^57
	// and fits in an int64.
	MaxMaxRecordsPerSubmission = 1 << 40
	// MaxMinCellCount is the largest MinCellCount of a policy.
	MaxMinCellCount = 1_000_000_000
)
