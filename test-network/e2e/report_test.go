package e2e

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
)

// A scenario is one row of the report `make test-faults` and `make test-attacks` print:
// what a fault or attack scenario expected, what the network did, and how many
// acknowledged submissions (or other records) were lost.
type scenario struct {
	Suite    string // "faults", "attacks" or "tamper"
	Test     string // the test that recorded the row
	Name     string
	Expected string
	Observed string
	Lost     int // -1: unknown, the test stopped before counting
	Passed   bool
}

var scenarios struct {
	sync.Mutex
	rows []scenario
}

// report records a scenario's row. The row passes when the test has not failed by the
// time report is called and nothing was lost; call it last in the scenario's test.
func report(t testing.TB, suite, name, expected, observed string, lost int) {
	t.Helper()
	if lost != 0 {
		t.Errorf("%s: %d lost", name, lost)
	}
	scenarios.Lock()
	defer scenarios.Unlock()
	scenarios.rows = append(scenarios.rows, scenario{Suite: suite, Test: t.Name(), Name: name, Expected: expected, Observed: observed, Lost: lost, Passed: !t.Failed()})
}

// watchScenario makes sure the report shows the scenario test t of suite: a test that
// fails before it reaches its call of report (a require stops it) gets a failing row
// named after the test, so that the report never lists only the scenarios that passed.
// Call it first in every scenario test.
func watchScenario(t testing.TB, suite string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		scenarios.Lock()
		defer scenarios.Unlock()
		for _, r := range scenarios.rows {
			if r.Test == t.Name() {
				return
			}
		}
		scenarios.rows = append(scenarios.rows, scenario{Suite: suite, Test: t.Name(), Name: t.Name(),
			Expected: "see the test's doc comment", Observed: "failed before its end: see the test's log", Lost: -1})
	})
}

// printReport writes the recorded scenarios as one table per suite, each line prefixed
// "report:" so that the Makefile's filtered test output keeps it.
func printReport(w io.Writer) {
	scenarios.Lock()
	rows := append([]scenario(nil), scenarios.rows...)
	scenarios.Unlock()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Suite < rows[j].Suite })
	var buf bytes.Buffer
	var tw *tabwriter.Writer
	for i, r := range rows {
		if i == 0 || rows[i-1].Suite != r.Suite {
			if tw != nil {
				tw.Flush()
			}
			fmt.Fprintf(&buf, "\n== %s scenarios\n", r.Suite)
			tw = tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RESULT\tSCENARIO\tEXPECTED\tOBSERVED\tLOST")
		}
		verdict := "PASS"
		if !r.Passed {
			verdict = "FAIL"
		}
		lost := "unknown"
		if r.Lost >= 0 {
			lost = fmt.Sprint(r.Lost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", verdict, r.Name, r.Expected, r.Observed, lost)
	}
	if tw != nil {
		tw.Flush()
	}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if line != "" || len(rows) > 0 {
			fmt.Fprintln(w, "report:", line)
		}
	}
}
