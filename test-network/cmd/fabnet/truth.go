package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/client/submit"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/params"
)

// runTruth prints a released query's table next to the plaintext truth computed from
// the providers' record files: the demo's check that the encrypted pipeline computes
// what it should, within the noise. Nobody but a demo has every provider's records; in
// production this comparison is impossible by design.
func runTruth(ctx context.Context, cfg Config, queryID string, files []string, out io.Writer) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	id, err := n.User("Regulator")
	if err != nil {
		return err
	}
	l := n.Layout()
	c, err := fabric.Connect(id, fabric.Target{Channel: l.ChannelID, Chaincode: l.ChaincodeName})
	if err != nil {
		return err
	}
	defer c.Close()
	api := ledgerapi.New(c)
	q, err := api.GetQuery(ctx, queryID)
	if err != nil {
		return err
	}
	ds, err := api.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return err
	}
	rel, err := api.GetRelease(ctx, q.ID)
	if err != nil {
		return err
	}
	if rel.Table == "" {
		return fmt.Errorf("query %s's release is not public; its table is not on the ledger", q.ID)
	}
	// The canonical table writes values as JSON numbers (or null when suppressed).
	var released struct {
		Rows []struct {
			Codes      []string           `json:"codes"`
			Value      json.RawMessage    `json:"value"`
			ConfStatus release.ConfStatus `json:"confStatus"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(rel.Table), &released); err != nil {
		return fmt.Errorf("decode the released table: %w", err)
	}

	set, err := params.Named(ds.ParamSetID)
	if err != nil {
		return err
	}
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	if err != nil {
		return err
	}
	total := layout.NewCube(set.MaxAggregate())
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		br := bufio.NewReaderSize(f, 1<<20)
		part, _, err := submit.Aggregate(br, records.FormatOf(name, br), layout, set.MaxAggregate(), ds.Policy.MaxRecordsPerSubmission, nil)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := total.Merge(part); err != nil {
			return err
		}
	}
	plan, err := layout.Plan(q.Spec)
	if err != nil {
		return err
	}
	tmod := set.PlaintextModulus()
	sim := plan.Simulate(total.Slots(tmod), tmod)
	values := make([][]int64, len(sim))
	for i, row := range sim {
		values[i] = make([]int64, len(row))
		for j, v := range row {
			values[i][j] = int64(v)
			if v > tmod/2 {
				values[i][j] = -int64(tmod - v)
			}
		}
	}
	cells, err := release.CellsFromOutput(plan.Output, values)
	if err != nil {
		return err
	}
	exact, spec := ds.Policy, q.Spec
	exact.NoiseOff, exact.EpsilonPerQuery, exact.EpsilonTotal, exact.Delta = true, 0, 0, ""
	spec.Epsilon = 0
	truth, err := release.New(release.Input{DatasetID: ds.ID, QueryID: q.ID, Schema: ds.Schema, Policy: exact, Query: spec, Cells: cells})
	if err != nil {
		return err
	}
	byCodes := map[string]release.Row{}
	for _, r := range truth.Rows() {
		byCodes[strings.Join(r.Codes, "/")] = r
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\treleased\ttruth\t\n", strings.Join(truth.Columns()[:len(released.Rows[0].Codes)], "/"))
	for _, r := range released.Rows {
		key := strings.Join(r.Codes, "/")
		v := strings.Trim(string(r.Value), `"`)
		if r.ConfStatus == release.ConfConfidential {
			v = "suppressed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", key, v, byCodes[key].Value)
	}
	return tw.Flush()
}
