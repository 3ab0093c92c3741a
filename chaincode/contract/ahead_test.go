package contract

import (
	"fmt"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// hotPath endorses, without committing, each transaction of the statistics flow that
// readsAhead covers, after the set-up the transaction needs. Each case returns the
// transaction's caller, name and arguments.
func hotPath(t *testing.T, f *fabric, c cast) map[string]func() (identity, string, []string) {
	t.Helper()
	pending := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("pending")))
	approved := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("approved")))
	must[ledger.Query](f, c.hospA, "ApproveQuery", approved.ID, "fine")
	must[ledger.Query](f, c.hospB, "ApproveQuery", approved.ID, "fine")
	return map[string]func() (identity, string, []string){
		"SubmitData (new)": func() (identity, string, []string) {
			return c.hospA, "SubmitData", []string{jsonString(t, submissionInput("2027", "new blob"))}
		},
		"SubmitData (resubmission)": func() (identity, string, []string) {
			return c.hospA, "SubmitData", []string{jsonString(t, submissionInput("2025", "newer blob"))}
		},
		"RequestQuery": func() (identity, string, []string) {
			return c.stat, "RequestQuery", []string{jsonString(t, queryInput("fresh"))}
		},
		"ApproveQuery (first)": func() (identity, string, []string) {
			return c.hospA, "ApproveQuery", []string{pending.ID, "fine"}
		},
		"RejectQuery": func() (identity, string, []string) {
			return c.hospA, "RejectQuery", []string{pending.ID, "too fine-grained"}
		},
		"CancelQuery (approved)": func() (identity, string, []string) {
			return c.stat, "CancelQuery", []string{approved.ID, "not needed"}
		},
	}
}

// Reading ahead changes how many calls reach the peer, never what a transaction reads,
// writes, answers or emits: each hot-path transaction endorsed with and without the
// read-ahead table gives the same read set, writes, response and event.
func TestReadAheadChangesNoReadSetOrOutcome(t *testing.T) {
	f, c := setup(t, nil)
	for name, tx := range hotPath(t, f, c) {
		t.Run(name, func(t *testing.T) {
			id, fn, args := tx()
			with, withResp := f.endorse("tx-ahead", id, fn, args)
			saved := maps.Clone(readsAhead)
			clear(readsAhead)
			without, withoutResp := f.endorse("tx-ahead", id, fn, args)
			maps.Copy(readsAhead, saved)

			_, err := result(with, withResp)
			require.NoError(t, err)
			require.Equal(t, withoutResp, withResp)
			require.Equal(t, without.reads, with.reads, "the read set")
			require.Equal(t, without.writes, with.writes)
			require.Equal(t, without.events, with.events)
			require.Less(t, with.roundTrips, without.roundTrips, "reading ahead saves round trips")
		})
	}
}

// The round trips each transaction of `make bench` makes with a peer that batches state
// calls; a change that adds one shows up here before it shows in the ledger benchmark.
func TestHotPathRoundTrips(t *testing.T) {
	f, c := setup(t, nil)
	want := map[string]int{
		// read [consortium, dataset, period's live index, digest] | write batch
		"SubmitData (new)": 2,
		// read [consortium, dataset, period's live index, digest] | the superseded
		// submission | write batch
		"SubmitData (resubmission)": 3,
		// read [consortium, query, dataset, budget, period's live index] | write batch (the
		// dataset carries its collective key's shares)
		"RequestQuery": 2,
		// read [consortium, query] | write batch
		"ApproveQuery (first)": 2,
		"RejectQuery":          2,
		// read [consortium, query] | budget | job | write batch
		"CancelQuery (approved)": 4,
	}
	cases := hotPath(t, f, c)
	require.Len(t, cases, len(want))
	for name, tx := range cases {
		id, fn, args := tx()
		s, resp := f.endorse("tx-count", id, fn, args)
		_, err := result(s, resp)
		require.NoError(t, err, name)
		require.Equal(t, want[name], s.roundTrips, name)
	}

	// The completing approval: read [consortium, query] | [dataset, budget, period's live
	// index] | write batch.
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("complete")))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "fine")
	s, resp := f.endorse("tx-complete", c.hospB, "ApproveQuery", []string{q.ID, "fine"})
	out, err := result(s, resp)
	require.NoError(t, err)
	require.Contains(t, out, fmt.Sprintf("%q", ledger.StatusApproved))
	require.Equal(t, 3, s.roundTrips)
	require.Empty(t, s.ranges, "a query of one period reads no range")
}
