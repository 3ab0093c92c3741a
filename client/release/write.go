package release

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// Format is an output format of a table.
type Format string

// The output formats. FormatJSON, FormatCSV and FormatSDMXCSV have the names the ledger
// records (ledger.FormatJSON, ...).
const (
	// FormatTable is aligned text for a terminal, with a title and a legend of flags.
	FormatTable Format = "table"
	// FormatJSON is the canonical JSON (Table.Canonical).
	FormatJSON Format = ledger.FormatJSON
	// FormatCSV is RFC 4180 CSV with LF line ends: the dimension columns, then
	// OBS_VALUE, OBS_STATUS and CONF_STATUS.
	FormatCSV Format = ledger.FormatCSV
	// FormatSDMXCSV is SDMX-CSV 2.0 with CRLF line ends, as RFC 4180 asks.
	FormatSDMXCSV Format = ledger.FormatSDMXCSV
)

// Formats lists the output formats in the order help texts name them.
var Formats = []Format{FormatTable, FormatJSON, FormatCSV, FormatSDMXCSV}

// ErrFormat is wrapped by the errors of ParseFormat and Table.Write for an unknown format.
var ErrFormat = errors.New("unknown release format")

// ParseFormat returns the format named s ("table", "json", "csv" or "sdmx-csv"), or an
// error wrapping ErrFormat.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q: use table, json, csv or sdmx-csv", ErrFormat, clip(s))
}

// Write writes the table to w in format f. It returns an error wrapping ErrFormat for an
// unknown format, or the writer's error.
func (t *Table) Write(w io.Writer, f Format) error {
	switch f {
	case FormatTable:
		return t.writeText(w)
	case FormatJSON:
		_, err := w.Write(t.canonical)
		return err
	case FormatCSV:
		return t.writeCSV(w, false)
	case FormatSDMXCSV:
		return t.writeCSV(w, true)
	}
	return fmt.Errorf("%w %q", ErrFormat, clip(string(f)))
}

// writeCSV writes plain CSV or, with sdmx set, SDMX-CSV 2.0.
func (t *Table) writeCSV(w io.Writer, sdmx bool) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = sdmx
	var head []string
	if sdmx {
		head = append(head, "STRUCTURE", "STRUCTURE_ID", "ACTION")
	}
	head = append(head, t.doc.Columns...)
	if sdmx {
		head = append(head, "STATISTIC", "MEASURE")
	}
	head = append(head, "OBS_VALUE", "OBS_STATUS", "CONF_STATUS")
	if err := cw.Write(head); err != nil {
		return err
	}
	flow := t.doc.Dataflow.String()
	for _, r := range t.doc.Rows {
		rec := make([]string, 0, len(head))
		if sdmx {
			// I: information; loaded into an SDMX database it is appended.
			rec = append(rec, "dataflow", flow, "I")
		}
		rec = append(rec, r.Codes...)
		if sdmx {
			rec = append(rec, string(t.doc.Statistic), t.doc.Measure)
		}
		rec = append(rec, string(r.Value), string(r.ObsStatus), string(r.ConfStatus))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeText writes the table as aligned text: a title, the table with values aligned
// right and a flag column, and a legend of the flags used.
func (t *Table) writeText(w io.Writer) error {
	d := t.doc
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "dataset %s, query %s: %s\n", d.DatasetID, d.QueryID, t.title())
	for _, f := range d.Filters {
		fmt.Fprintf(bw, "filter: %s in %s\n", f.Dimension, strings.Join(f.Codes, ", "))
	}
	if d.Noise {
		fmt.Fprintf(bw, "differential privacy: epsilon %s; values carry noise\n", d.Epsilon)
	} else {
		fmt.Fprintf(bw, "exact values: the policy has noise off\n")
	}
	if d.Statistic == policies.StatMean || d.Statistic == policies.StatVariance {
		fmt.Fprintf(bw, "values rounded to %d decimals\n", d.Decimals)
	}
	bw.WriteString("\n")

	valueHead := string(d.Statistic)
	if d.Statistic == policies.StatHistogram {
		valueHead = "count"
	}
	head := append(append([]string{}, d.Columns...), valueHead, "flag")
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = utf8.RuneCountInString(h)
	}
	flags := make([]string, len(d.Rows))
	used := map[string]bool{}
	for i, r := range d.Rows {
		for j, c := range r.Codes {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
		width[len(d.Columns)] = max(width[len(d.Columns)], len(r.Value))
		switch {
		case r.ConfStatus == ConfConfidential:
			flags[i] = "C"
		case r.ObsStatus == ObsMissing:
			flags[i] = "M"
		}
		used[flags[i]] = true
	}
	line := func(cells []string) {
		var b strings.Builder
		for j, c := range cells {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j == len(d.Columns) { // the value, aligned right
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			b.WriteString("  ")
		}
		bw.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	line(head)
	for i, r := range d.Rows {
		line(append(append([]string{}, r.Codes...), string(r.Value), flags[i]))
	}
	if used["C"] || used["M"] {
		bw.WriteString("\n")
	}
	if used["C"] {
		fmt.Fprintf(bw, "C  confidential: suppressed, the noisy count is under %d\n", d.MinCellCount)
	}
	if used["M"] {
		bw.WriteString("M  no value: the noisy count is 0 or less\n")
	}
	return bw.Flush()
}

// title describes the table's statistic, such as "mean of lengthOfStay by region, sex".
func (t *Table) title() string {
	d := t.doc
	s := string(d.Statistic)
	if d.Measure != "" {
		s += " of " + d.Measure
	}
	if len(d.GroupBy) > 0 {
		s += " by " + strings.Join(d.GroupBy, ", ")
	}
	return s
}
