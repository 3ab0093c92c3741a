package release

import (
	"slices"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// Columns returns the names of the table's dimension columns: the query's group-by
// dimensions and, for a histogram, the measure whose bins the last column holds.
func (t *Table) Columns() []string { return slices.Clone(t.doc.Columns) }

// Rows returns a copy of the table's rows, one per output cell, in canonical order.
func (t *Table) Rows() []Row {
	rows := make([]Row, len(t.doc.Rows))
	for i, r := range t.doc.Rows {
		r.Codes = slices.Clone(r.Codes)
		rows[i] = r
	}
	return rows
}

// Suppressed returns the indices of the suppressed rows, ascending: the Suppressed field
// of ledger.ReleaseInput. It is never nil.
func (t *Table) Suppressed() []int { return slices.Clone(t.doc.Suppressed) }

// Statistic returns the statistic the table publishes.
func (t *Table) Statistic() policies.Statistic { return t.doc.Statistic }

// Canonical returns the table's canonical JSON: compact, one trailing newline. It is what
// FormatJSON writes and what Digest hashes.
func (t *Table) Canonical() []byte { return slices.Clone(t.canonical) }

// Digest returns the SHA-256 of Canonical as 64 lowercase hex digits, the TableDigest of
// ledger.ReleaseInput.
func (t *Table) Digest() string { return ledger.Digest(t.canonical) }
