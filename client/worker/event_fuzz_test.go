package worker

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
)

// FuzzJobEvent feeds chaincode event payloads, which reach the worker from the peers'
// event stream, to the decoder that picks the jobs to claim: it never panics; it names a
// job only for a well-formed query ID, an approved query, one of the three events after
// which a job may be claimed, and a dataset the worker serves.
func FuzzJobEvent(f *testing.F) {
	approved := ledger.NewEvent("ApproveQuery", ledger.RecordQuery, "q-1", ledger.StatusApproved, "HospitalAMSP", "tx1")
	approved.QueryID, approved.DatasetID, approved.QueryStatus = "q-1", "adm-2026", ledger.StatusApproved
	other := approved
	other.DatasetID = "trade"
	pending := approved
	pending.Name, pending.QueryStatus = ledger.EventName(ledger.RecordQuery, ledger.StatusPending), ledger.StatusPending
	for _, e := range []ledger.Event{approved, other, pending} {
		seed, err := json.Marshal(e)
		require.NoError(f, err)
		f.Add(seed)
	}
	f.Add([]byte(`{"name":"query.approved","queryID":"../../q","datasetID":"adm-2026","queryStatus":"approved"}`))
	f.Add([]byte(`{"name":"query.approved"`))
	f.Add([]byte(`null`))
	w := &Worker{cfg: Config{Datasets: []string{"adm-2026"}}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	jobEvents := []string{
		ledger.EventName(ledger.RecordQuery, ledger.StatusApproved),
		ledger.EventName(ledger.RecordJob, ledger.StatusOpen),
		ledger.EventName(ledger.RecordResult, ledger.StatusRecorded),
	}
	seed, err := json.Marshal(approved)
	require.NoError(f, err)
	id, ok := w.jobEvent(fabric.Event{Name: "x", TxID: "tx", Payload: seed})
	require.True(f, ok, "an approved query of a served dataset is a job")
	require.Equal(f, "q-1", id)
	f.Fuzz(func(t *testing.T, payload []byte) {
		id, ok := w.jobEvent(fabric.Event{Name: "x", TxID: "tx", Payload: payload})
		if !ok {
			require.Empty(t, id)
			return
		}
		var e ledger.Event
		require.NoError(t, json.Unmarshal(payload, &e))
		require.Equal(t, e.QueryID, id)
		require.NoError(t, ledger.ValidateID("query ID", id))
		require.Equal(t, ledger.StatusApproved, e.QueryStatus)
		require.Contains(t, jobEvents, e.Name)
		require.True(t, slices.Contains(w.cfg.Datasets, e.DatasetID), "dataset %q", e.DatasetID)
	})
}
