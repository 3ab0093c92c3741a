// Package release turns the decrypted, noisy output cells of a query into the table an
// analyst publishes (DESIGN.md step 8): it derives means and variances from the noisy
// counts, sums and sums of squares, applies the output controls that are pure
// post-processing, writes the table as aligned text, JSON, CSV or SDMX-CSV 2.0, and
// computes the digest the ledger records.
//
// The package is plain Go: no Fabric, no Lattigo (it imports only the standard library,
// policies, the ledger's domain types and crypto/cube's plain output description), no
// clock, no randomness, no floating point. The same input always gives the same table, byte for byte, so anyone holding the
// decrypted cells can reproduce a release and its digest.
//
// # Input
//
// New takes the dataset's schema and policy, the query and one Cell per output cell: its
// codes (one per group-by dimension, in the query's GroupBy order), for a histogram its bin,
// and its decrypted components. Which components a statistic uses:
//
//	count      Count
//	sum        Count, Sum
//	mean       Count, Sum
//	variance   Count, Sum, SumSq
//	histogram  Count (the bin's count)
//
// Components a statistic does not use must be zero. CellsFromOutput builds the cells from
// the query plan's output description (crypto/cube) and the decrypted slots. A sum needs the cell's noisy count too:
// without it the minimum cell count cannot be enforced, and a zero count suppresses the
// cell whenever the policy's MinCellCount is positive (the control fails closed).
//
// Cells may come in any order; New puts them in the canonical order, which is also the
// order of ledger.ReleaseInput.Suppressed and of the homomorphic engine's output: group-by
// dimensions in the query's order, the first varying slowest; each dimension's codes in
// schema order (only the filter's codes when the dimension is also filtered); for a
// histogram the bin last, varying fastest.
//
// # Output controls and rounding
//
// All of these are post-processing of differentially private values, so they cost no
// privacy budget. They are applied cell by cell:
//
//  1. Suppression. A cell whose noisy count is under the policy's MinCellCount is
//     suppressed: it keeps its row, with no value, observation status Q (missing value;
//     suppressed) and confidentiality status C (confidential). Suppressed cells are never
//     dropped, and Table.Suppressed lists their indices for the ledger. A MinCellCount
//     of 0 switches suppression off. A table has no margins or totals, so no value of a
//     suppressed cell can be recovered from the same table; differences between
//     releases are bounded by the privacy budget or, with noise off, are the approving
//     members' concern.
//  2. Undefined values. A mean or variance whose noisy count is 0 or less (possible only
//     when MinCellCount is 0) has no value: observation status M (missing value; data
//     cannot exist), confidentiality status F.
//  3. Clamping to what the true value can be. A count below 0 is published as 0. A sum
//     of a measure whose Min is at least 0 is published as at least 0, and one whose Max
//     is at most 0 as at most 0. A mean is clamped to [Min, Max] of its measure and a
//     variance to [0, (Max-Min)²/4] (Popoviciu's bound). Exact inputs are never clamped,
//     so with noise off the table equals the plaintext computation.
//  4. Rounding. Counts and sums are integers and are published exactly. Means and
//     variances are computed exactly as fractions (mean = Sum/Count, variance =
//     SumSq/Count − mean², the population variance) and rounded to Decimals decimal
//     places, halves away from zero; zero is never written with a minus sign.
//
// Published values have observation status E (estimated) when the policy adds noise and A
// (normal) when it has noise off, and confidentiality status F (free).
//
// # Formats and digest
//
// Table.Write writes FormatTable (aligned text for a terminal), FormatJSON, FormatCSV
// (dimension columns, OBS_VALUE, OBS_STATUS, CONF_STATUS) or FormatSDMXCSV (SDMX-CSV 2.0:
// STRUCTURE, STRUCTURE_ID, ACTION, the dimension columns, the custom columns STATISTIC and
// MEASURE, OBS_VALUE, OBS_STATUS, CONF_STATUS). A histogram has one more dimension column,
// named after its measure, whose codes are the bins' integer ranges such as "2..3" or "30".
//
// The JSON form is canonical: compact, fields in a fixed order, lists normalised, one
// trailing newline. Table.Canonical returns it, FormatJSON writes exactly those bytes, and
// Table.Digest is their SHA-256 in lowercase hex (ledger.Digest). To record a release, send
// ledger.ReleaseInput{Format: ledger.FormatJSON, TableDigest: t.Digest(), Suppressed:
// t.Suppressed()}, with Table: string(t.Canonical()) when the policy makes releases public.
//
// Tables are plain values; all functions and methods are safe for concurrent use on
// tables nobody mutates.
package release
