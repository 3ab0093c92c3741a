package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// Decimals is the number of decimal places of published means and variances.
const Decimals = 2

// Version names the layout of the canonical JSON; it changes when the layout does.
const Version = "statledger.release/1"

// ErrInvalid is wrapped by every error New returns: an invalid schema, policy or query
// (the *policies.FieldError is wrapped too), invalid IDs or dataflow, cells that do not
// match the query's output cells, or a dimension named like a reserved column. Messages
// name cells by index and codes, never by value.
var ErrInvalid = errors.New("invalid release input")

// Cell is one decrypted output cell. The components are the noisy values after threshold
// decryption, as signed integers; which ones a statistic uses is listed in the package
// documentation, and the others must be zero.
type Cell struct {
	// Codes are the cell's codes, one per group-by dimension of the query, in the query's
	// GroupBy order (none for a query without group-by).
	Codes []string `json:"codes"`
	// Bin is the histogram bin, 0 to bins-1 (bin 0 holds values under the first edge);
	// 0 for other statistics.
	Bin int `json:"bin"`
	// Count is the noisy number of records in the cell (in the bin, for a histogram).
	Count int64 `json:"count"`
	// Sum is the noisy sum of the query's measure.
	Sum int64 `json:"sum"`
	// SumSq is the noisy sum of squares of the query's measure.
	SumSq int64 `json:"sumSq"`
}

// Dataflow is the SDMX structure a release is published under, written
// "AGENCY:ID(VERSION)" in the STRUCTURE_ID column of SDMX-CSV.
type Dataflow struct {
	// Agency is the maintenance agency, such as "STATLEDGER" or "ESTAT"; dots separate
	// nested agencies. Default "STATLEDGER".
	Agency string `json:"agency"`
	// ID is the dataflow's ID. Default: the dataset ID with '.' replaced by '_'.
	ID string `json:"id"`
	// Version is the dataflow's version, such as "1.0" or "1.2.0". Default "1.0".
	Version string `json:"version"`
}

// String returns the dataflow as "AGENCY:ID(VERSION)".
func (d Dataflow) String() string {
	return d.Agency + ":" + d.ID + "(" + d.Version + ")"
}

// Input is everything New needs.
type Input struct {
	// DatasetID identifies the dataset on the ledger (ledger ID syntax).
	DatasetID string
	// QueryID identifies the query on the ledger (ledger ID syntax).
	QueryID string
	// Schema is the dataset's schema: dimension codes and measure bounds.
	Schema policies.Schema
	// Policy is the dataset's policy: MinCellCount and NoiseOff.
	Policy policies.Policy
	// Query is the query as recorded on the ledger.
	Query policies.Query
	// Dataflow is the SDMX structure; empty fields take their defaults.
	Dataflow Dataflow
	// Cells are the decrypted output cells, in any order.
	Cells []Cell
}

// ObsStatus is an SDMX observation status (code list CL_OBS_STATUS).
type ObsStatus string

// The observation statuses a release uses.
const (
	// ObsNormal marks an exact value (the policy has noise off).
	ObsNormal ObsStatus = "A"
	// ObsEstimated marks a value that carries differential-privacy noise.
	ObsEstimated ObsStatus = "E"
	// ObsMissing marks a mean or variance of a cell whose noisy count is 0 or less.
	ObsMissing ObsStatus = "M"
	// ObsSuppressed marks a cell suppressed for confidentiality.
	ObsSuppressed ObsStatus = "Q"
)

// ConfStatus is an SDMX confidentiality status (code list CL_CONF_STATUS).
type ConfStatus string

// The confidentiality statuses a release uses.
const (
	// ConfFree marks a value free for publication.
	ConfFree ConfStatus = "F"
	// ConfConfidential marks a cell suppressed because its noisy count is under the
	// policy's MinCellCount.
	ConfConfidential ConfStatus = "C"
)

// Value is a published number in decimal notation, such as "12", "-3" or "4.25", or the
// empty string when the cell has no published value. It marshals to JSON as a number or
// null.
type Value string

// MarshalJSON writes the value as a JSON number, or null when it is empty.
func (v Value) MarshalJSON() ([]byte, error) {
	if v == "" {
		return []byte("null"), nil
	}
	return []byte(v), nil
}

// Row is one cell of a published table.
type Row struct {
	// Codes are the cell's codes, one per column of Table.Columns; for a histogram the last
	// one is the bin's range.
	Codes []string `json:"codes"`
	// Value is the published value, empty when the cell is suppressed or undefined.
	Value Value `json:"value"`
	// ObsStatus is the cell's SDMX observation status.
	ObsStatus ObsStatus `json:"obsStatus"`
	// ConfStatus is the cell's SDMX confidentiality status.
	ConfStatus ConfStatus `json:"confStatus"`
}

// Table is a published release: the query it answers, the output controls applied and
// one row per output cell in canonical order. Build it with New; it is immutable.
type Table struct {
	doc       document
	canonical []byte
}

// document is the canonical JSON form of a table; field order is the JSON order, and the
// layout is named by Version.
type document struct {
	// Version is the layout's name, Version.
	Version string `json:"version"`
	// DatasetID and QueryID are the release's ledger IDs.
	DatasetID string `json:"datasetID"`
	QueryID   string `json:"queryID"`
	// Dataflow is the SDMX structure, with defaults filled in.
	Dataflow Dataflow `json:"dataflow"`
	// Statistic, Measure (empty for a count), GroupBy, Filters (in schema order, codes
	// in schema order) and Epsilon describe the query.
	Statistic policies.Statistic `json:"statistic"`
	Measure   string             `json:"measure"`
	GroupBy   []string           `json:"groupBy"`
	Filters   []policies.Filter  `json:"filters"`
	Epsilon   policies.Epsilon   `json:"epsilon"`
	// Noise, MinCellCount and Decimals are the output controls applied.
	Noise        bool  `json:"noise"`
	MinCellCount int64 `json:"minCellCount"`
	Decimals     int   `json:"decimals"`
	// Columns name the rows' codes; Rows are the cells in canonical order; Suppressed
	// are the indices of the suppressed rows.
	Columns    []string `json:"columns"`
	Rows       []Row    `json:"rows"`
	Suppressed []int    `json:"suppressed"`
}

// reservedColumns are the column names the writers use besides the dimensions.
var reservedColumns = []string{"STRUCTURE", "STRUCTURE_ID", "ACTION", "STATISTIC", "MEASURE", "OBS_VALUE", "OBS_STATUS", "CONF_STATUS"}

// axis is one dimension column of the output: its name and the codes it takes, in order.
type axis struct {
	name  string
	codes []string
}

// New checks the input and builds the published table: it validates the schema, policy
// and query (policies.Policy.ValidateFor and policies.CheckQuery), the IDs and the
// dataflow, matches the cells one to one with the query's output cells, derives the
// published values and applies the output controls described in the package
// documentation. Every error wraps ErrInvalid. Safe for concurrent use.
func New(in Input) (*Table, error) {
	if err := ledger.ValidateID("dataset ID", in.DatasetID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := ledger.ValidateID("query ID", in.QueryID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	flow, err := in.dataflow()
	if err != nil {
		return nil, err
	}
	if err := in.Policy.ValidateFor(in.Schema); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	q := in.Query
	if err := policies.CheckQuery(in.Schema, in.Policy, q); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	axes, filters := outputAxes(in.Schema, q)
	var m policies.Measure
	if q.Measure != "" {
		m, _, _ = in.Schema.Measure(q.Measure) // CheckQuery made sure it exists
	}
	if q.Statistic == policies.StatHistogram {
		axes = append(axes, axis{name: m.Name, codes: binLabels(m)})
	}
	columns := make([]string, len(axes))
	for i, a := range axes {
		columns[i] = a.name
		for _, r := range reservedColumns {
			if strings.EqualFold(a.name, r) {
				return nil, fmt.Errorf("%w: column %q is reserved for the table's own use; rename the dimension or measure", ErrInvalid, a.name)
			}
		}
	}
	cells, err := order(axes, q.Statistic == policies.StatHistogram, in.Cells)
	if err != nil {
		return nil, err
	}
	doc := document{
		Version:      Version,
		DatasetID:    in.DatasetID,
		QueryID:      in.QueryID,
		Dataflow:     flow,
		Statistic:    q.Statistic,
		Measure:      q.Measure,
		GroupBy:      append([]string{}, q.GroupBy...),
		Filters:      filters,
		Epsilon:      q.Epsilon,
		Noise:        !in.Policy.NoiseOff,
		MinCellCount: in.Policy.MinCellCount,
		Decimals:     Decimals,
		Columns:      columns,
		Rows:         make([]Row, len(cells)),
		Suppressed:   []int{},
	}
	published := ObsEstimated
	if in.Policy.NoiseOff {
		published = ObsNormal
	}
	for i, c := range cells {
		if err := checkComponents(q.Statistic, c); err != nil {
			return nil, fmt.Errorf("%w: cell %d (%s): %w", ErrInvalid, i, strings.Join(c.Codes, ","), err)
		}
		row := Row{Codes: rowCodes(axes, c), ObsStatus: published, ConfStatus: ConfFree}
		switch v, ok := publish(q.Statistic, m, c); {
		case in.Policy.MinCellCount > 0 && c.Count < in.Policy.MinCellCount:
			row.ObsStatus, row.ConfStatus = ObsSuppressed, ConfConfidential
			doc.Suppressed = append(doc.Suppressed, i)
		case !ok:
			row.ObsStatus = ObsMissing
		default:
			row.Value = v
		}
		doc.Rows[i] = row
	}
	canonical, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: encode the table: %w", ErrInvalid, err)
	}
	return &Table{doc: doc, canonical: append(canonical, '\n')}, nil
}

// dataflow returns the input's dataflow with defaults filled in, or an error if a field
// does not follow the SDMX syntax.
func (in Input) dataflow() (Dataflow, error) {
	d := in.Dataflow
	if d.Agency == "" {
		d.Agency = "STATLEDGER"
	}
	if d.ID == "" {
		d.ID = strings.ReplaceAll(in.DatasetID, ".", "_")
	}
	if d.Version == "" {
		d.Version = "1.0"
	}
	for _, part := range strings.Split(d.Agency, ".") {
		if !sdmxID(part) || !isLetter(part[0]) {
			return Dataflow{}, fmt.Errorf("%w: dataflow agency %q: dot-separated IDs that start with a letter, of letters, digits, '_' and '-'", ErrInvalid, clip(d.Agency))
		}
	}
	if !sdmxID(d.ID) {
		return Dataflow{}, fmt.Errorf("%w: dataflow ID %q: letters, digits, '_', '-', '@' and '$' only", ErrInvalid, clip(d.ID))
	}
	parts := strings.Split(d.Version, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Dataflow{}, fmt.Errorf("%w: dataflow version %q: two or three dot-separated numbers, such as 1.0", ErrInvalid, clip(d.Version))
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil || (len(p) > 1 && p[0] == '0') {
			return Dataflow{}, fmt.Errorf("%w: dataflow version %q: two or three dot-separated numbers, such as 1.0", ErrInvalid, clip(d.Version))
		}
	}
	return d, nil
}

// sdmxID reports whether s is a valid SDMX ID of at most policies.MaxNameLength bytes.
func sdmxID(s string) bool {
	if s == "" || len(s) > policies.MaxNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && !strings.ContainsRune("_-@$", rune(c)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// clip shortens a quoted value in an error message.
func clip(s string) string {
	if len(s) > policies.MaxNameLength {
		return s[:policies.MaxNameLength] + "..."
	}
	return s
}

// outputAxes returns the group-by axes of a checked query, each with the codes it takes in
// schema order (only the filter's codes when it is filtered), and the query's filters
// normalised: in schema dimension order, codes in schema order without repeats.
func outputAxes(s policies.Schema, q policies.Query) ([]axis, []policies.Filter) {
	selected := make(map[string][]string, len(q.Filters))
	for _, f := range q.Filters {
		d, _, _ := s.Dimension(f.Dimension)
		var codes []string
		for _, c := range d.Codes {
			if slices.Contains(f.Codes, c) {
				codes = append(codes, c)
			}
		}
		selected[f.Dimension] = codes
	}
	filters := []policies.Filter{}
	for _, d := range s.Dimensions {
		if codes, ok := selected[d.Name]; ok {
			filters = append(filters, policies.Filter{Dimension: d.Name, Codes: codes})
		}
	}
	axes := make([]axis, len(q.GroupBy))
	for i, g := range q.GroupBy {
		d, _, _ := s.Dimension(g)
		codes, ok := selected[g]
		if !ok {
			codes = d.Codes
		}
		axes[i] = axis{name: g, codes: codes}
	}
	return axes, filters
}

// binLabels returns the labels of a measure's histogram bins: the integer range each bin
// covers within [Min, Max], "lo..hi", or "lo" for a single value.
func binLabels(m policies.Measure) []string {
	labels := make([]string, m.Bins())
	for b := range labels {
		lo, hi := m.Min, m.Max
		if b > 0 {
			lo = m.HistogramEdges[b-1]
		}
		if b < len(m.HistogramEdges) {
			hi = m.HistogramEdges[b] - 1
		}
		labels[b] = strconv.FormatInt(lo, 10)
		if hi != lo {
			labels[b] += ".." + strconv.FormatInt(hi, 10)
		}
	}
	return labels
}

// order matches the input cells one to one with the output cells spanned by axes (the last
// axis is the bins when histogram is set) and returns them in canonical order.
func order(axes []axis, histogram bool, in []Cell) ([]Cell, error) {
	groupAxes := axes
	if histogram {
		groupAxes = axes[:len(axes)-1]
	}
	want := 1
	for _, a := range axes {
		want *= len(a.codes)
	}
	if len(in) != want {
		return nil, fmt.Errorf("%w: got %d cells, the query releases %d", ErrInvalid, len(in), want)
	}
	pos := make([]map[string]int, len(groupAxes))
	for i, a := range groupAxes {
		pos[i] = make(map[string]int, len(a.codes))
		for j, c := range a.codes {
			pos[i][c] = j
		}
	}
	out := make([]Cell, want)
	seen := make([]int, want) // input index + 1 of the cell placed at each output index
	for k, c := range in {
		if len(c.Codes) != len(groupAxes) {
			return nil, fmt.Errorf("%w: cell %d has %d codes, the query groups by %d dimensions", ErrInvalid, k, len(c.Codes), len(groupAxes))
		}
		idx := 0
		for i, code := range c.Codes {
			j, ok := pos[i][code]
			if !ok {
				return nil, fmt.Errorf("%w: cell %d: %q is not a released code of dimension %q", ErrInvalid, k, clip(code), groupAxes[i].name)
			}
			idx = idx*len(groupAxes[i].codes) + j
		}
		if histogram {
			bins := len(axes[len(axes)-1].codes)
			if c.Bin < 0 || c.Bin >= bins {
				return nil, fmt.Errorf("%w: cell %d: bin %d is outside 0 to %d", ErrInvalid, k, c.Bin, bins-1)
			}
			idx = idx*bins + c.Bin
		} else if c.Bin != 0 {
			return nil, fmt.Errorf("%w: cell %d: bin %d given for a query that is not a histogram", ErrInvalid, k, c.Bin)
		}
		if prev := seen[idx]; prev != 0 {
			return nil, fmt.Errorf("%w: cell %d repeats cell %d", ErrInvalid, k, prev-1)
		}
		seen[idx] = k + 1
		out[idx] = c
	}
	return out, nil
}

// checkComponents refuses non-zero components that the statistic does not use.
func checkComponents(st policies.Statistic, c Cell) error {
	usesSum := st == policies.StatSum || st == policies.StatMean || st == policies.StatVariance
	if !usesSum && c.Sum != 0 {
		return fmt.Errorf("a %s has no sum component", st)
	}
	if st != policies.StatVariance && c.SumSq != 0 {
		return fmt.Errorf("a %s has no sum-of-squares component", st)
	}
	return nil
}

// rowCodes returns the codes of a row: the cell's group codes and, for a histogram
// (one axis more than codes), the bin's label.
func rowCodes(axes []axis, c Cell) []string {
	codes := append(make([]string, 0, len(axes)), c.Codes...)
	if len(axes) > len(c.Codes) {
		codes = append(codes, axes[len(axes)-1].codes[c.Bin])
	}
	return codes
}

// publish returns the published value of a cell, clamped and rounded, or false when the
// statistic is undefined for the cell (a mean or variance of a count of 0 or less).
func publish(st policies.Statistic, m policies.Measure, c Cell) (Value, bool) {
	switch st {
	case policies.StatCount, policies.StatHistogram:
		return Value(strconv.FormatInt(max(c.Count, 0), 10)), true
	case policies.StatSum:
		s := c.Sum
		if m.Min >= 0 {
			s = max(s, 0)
		}
		if m.Max <= 0 {
			s = min(s, 0)
		}
		return Value(strconv.FormatInt(s, 10)), true
	}
	if c.Count <= 0 {
		return "", false
	}
	n := big.NewInt(c.Count)
	sum := big.NewInt(c.Sum)
	if st == policies.StatMean {
		mean := new(big.Rat).SetFrac(sum, n)
		mean = clampRat(mean, new(big.Rat).SetInt64(m.Min), new(big.Rat).SetInt64(m.Max))
		return decimal(mean, Decimals), true
	}
	// variance = SumSq/Count − (Sum/Count)² = (SumSq·Count − Sum²) / Count²
	num := new(big.Int).Mul(big.NewInt(c.SumSq), n)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	variance := new(big.Rat).SetFrac(num, new(big.Int).Mul(n, n))
	spread := big.NewInt(m.Max - m.Min)
	upper := new(big.Rat).SetFrac(spread.Mul(spread, spread), big.NewInt(4))
	return decimal(clampRat(variance, new(big.Rat), upper), Decimals), true
}

// clampRat returns x limited to [lo, hi].
func clampRat(x, lo, hi *big.Rat) *big.Rat {
	if x.Cmp(lo) < 0 {
		return lo
	}
	if x.Cmp(hi) > 0 {
		return hi
	}
	return x
}

// decimal writes x rounded to dec decimal places, halves away from zero, without a minus
// sign on zero.
func decimal(x *big.Rat, dec int) Value {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dec)), nil)
	num := new(big.Int).Mul(x.Num(), scale)
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, x.Denom(), new(big.Int))
	if r.Lsh(r, 1).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	digits := q.String()
	if len(digits) <= dec {
		digits = strings.Repeat("0", dec-len(digits)+1) + digits
	}
	s := digits
	if dec > 0 {
		s = digits[:len(digits)-dec] + "." + digits[len(digits)-dec:]
	}
	if neg && q.Sign() != 0 {
		s = "-" + s
	}
	return Value(s)
}
