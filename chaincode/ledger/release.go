package ledger

import (
	"sort"
	"time"
)

// Release formats the released tables are written in.
const (
	FormatJSON    = "json"
	FormatCSV     = "csv"
	FormatSDMXCSV = "sdmx-csv"
)

// Release records the table an analyst published for a query: its digest, optionally its
// URI, the table itself when the dataset's policy makes releases public, and the indices
// of the cells suppressed for falling under the policy's minimum cell count. Its status is
// always "recorded"; one per query.
type Release struct {
	QueryID     string    `json:"queryID"`
	DatasetID   string    `json:"datasetID"`
	Analyst     string    `json:"analyst"`
	Format      string    `json:"format"`
	TableDigest string    `json:"tableDigest"`
	TableURI    string    `json:"tableURI,omitempty"`
	Table       string    `json:"table,omitempty"`
	Cells       int       `json:"cells"`
	Suppressed  []int     `json:"suppressed"`
	Status      Status    `json:"status"`
	TxID        string    `json:"txID"`
	ReleasedAt  time.Time `json:"releasedAt"`
}

// ReleaseInput is the argument of RecordRelease. Table is the released table's text in
// Format; it is required when the dataset's policy makes releases public and refused
// otherwise. Suppressed lists the indices (row-major over the output cells) of the cells
// suppressed and flagged.
type ReleaseInput struct {
	QueryID     string `json:"queryID"`
	Format      string `json:"format"`
	TableDigest string `json:"tableDigest"`
	TableURI    string `json:"tableURI,omitempty"`
	Table       string `json:"table,omitempty"`
	Suppressed  []int  `json:"suppressed"`
}

// Validate checks the input on its own. It returns an INVALID *Error.
func (in ReleaseInput) Validate() error {
	if err := ValidateID("query ID", in.QueryID); err != nil {
		return err
	}
	switch in.Format {
	case FormatJSON, FormatCSV, FormatSDMXCSV:
	default:
		return invalid("format must be json, csv or sdmx-csv")
	}
	if err := ValidateDigest("table digest", in.TableDigest); err != nil {
		return err
	}
	if in.TableURI != "" {
		if err := ValidateURI("table URI", in.TableURI); err != nil {
			return err
		}
	}
	if len(in.Table) > MaxReleaseTableSize {
		return invalid("the table is %d bytes long; the limit is %d", len(in.Table), MaxReleaseTableSize)
	}
	if in.Table != "" && Digest([]byte(in.Table)) != in.TableDigest {
		return invalid("the table's SHA-256 digest differs from the table digest")
	}
	for i, c := range in.Suppressed {
		if c < 0 || (i > 0 && c <= in.Suppressed[i-1]) {
			return invalid("suppressed cell indices must be non-negative and strictly increasing")
		}
	}
	return nil
}

// ApplyRelease records the release of ready query q by its requester caller and marks the
// query released. public is the dataset policy's PublicReleases. It returns FORBIDDEN for
// anyone but the requester, CONFLICT for a query already released, BAD_STATE for a query
// that is not ready and INVALID for a table that breaks the policy or a suppressed index
// outside the table.
func ApplyRelease(q Query, public bool, in ReleaseInput, caller, txID string, at time.Time) (Query, Release, error) {
	if err := in.Validate(); err != nil {
		return q, Release{}, err
	}
	if caller != q.Requester {
		return q, Release{}, forbidden("only the requester %s may record the release of query %s", q.Requester, q.ID)
	}
	if q.Status == StatusReleased {
		return q, Release{}, conflict("query %s is already released", q.ID)
	}
	if q.Status != StatusReady {
		return q, Release{}, badState("%s; only a ready query can be released", QueryProgress(q))
	}
	if public && in.Table == "" {
		return q, Release{}, invalid("the policy of dataset %s makes releases public: include the table", q.DatasetID)
	}
	if !public && in.Table != "" {
		return q, Release{}, invalid("the policy of dataset %s keeps releases off the ledger: record the digest only", q.DatasetID)
	}
	if n := len(in.Suppressed); n > 0 && in.Suppressed[n-1] >= q.Cells {
		return q, Release{}, invalid("suppressed cell index %d is outside the %d cells of query %s", in.Suppressed[n-1], q.Cells, q.ID)
	}
	sup := append([]int{}, in.Suppressed...)
	sort.Ints(sup)
	r := Release{
		QueryID:     q.ID,
		DatasetID:   q.DatasetID,
		Analyst:     caller,
		Format:      in.Format,
		TableDigest: in.TableDigest,
		TableURI:    in.TableURI,
		Table:       in.Table,
		Cells:       q.Cells,
		Suppressed:  sup,
		Status:      StatusRecorded,
		TxID:        txID,
		ReleasedAt:  at,
	}
	q.Status = StatusReleased
	q.ReleaseDigest = in.TableDigest
	q.UpdatedAt = at
	return q, r, nil
}
