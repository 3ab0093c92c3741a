package dashboard

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
)

// FuzzChangesOf feeds chaincode event payloads, which come from the ledger, to the
// decoder that picks what to read again: it never panics, names only well-formed IDs,
// and reads everything again for a payload it cannot decode.
func FuzzChangesOf(f *testing.F) {
	e := ledger.NewEvent("RequestQuery", ledger.RecordQuery, "q-1", ledger.StatusPending, "StatOfficeMSP", "tx1")
	e.QueryID, e.DatasetID = "q-1", "ds-1"
	seed, _ := json.Marshal(e)
	f.Add(seed)
	f.Add([]byte(`{"record":"dataset","id":"ds-2"}`))
	f.Add([]byte(`{"record":"consortium","id":"c"}`))
	f.Add([]byte(`{"record":"query","id":"../etc","queryID":"<b>"}`))
	f.Add([]byte(`{not json`))
	f.Add([]byte(`null`))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, payload []byte) {
		c := changesOf(fabric.Event{Name: "x", Payload: payload}, log)
		for id := range c.queries {
			if err := ledger.ValidateID("query ID", id); err != nil {
				t.Fatalf("query ID %q from %q: %v", id, payload, err)
			}
		}
		for id := range c.datasets {
			if err := ledger.ValidateID("dataset ID", id); err != nil {
				t.Fatalf("dataset ID %q from %q: %v", id, payload, err)
			}
		}
		var ev ledger.Event
		if json.Unmarshal(payload, &ev) != nil && !c.all {
			t.Fatalf("an undecodable payload %q must make the dashboard read everything again", payload)
		}
	})
}
