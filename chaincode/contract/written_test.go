package contract

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// A state-changing transaction answers with a reference to the record it is about, which
// its write set holds, so that the block carries the record once; a resent query request,
// which writes nothing, answers with the existing query itself.
func TestStateChangesAnswerWithAReferenceToTheirRecord(t *testing.T) {
	f, c := setup(t, nil)
	req := jsonString(t, queryInput("reference"))
	s, resp := f.simulate(c.stat, "RequestQuery", req)
	key, ok := ledger.WrittenKey(resp.GetPayload())
	require.True(t, ok, "response %s", resp.GetPayload())
	require.Less(t, len(resp.GetPayload()), 100)
	var q ledger.Query
	require.NoError(t, json.Unmarshal(s.writes[key], &q))
	require.Equal(t, ledger.QueryKey(q.ID), key)

	first := must[ledger.Query](f, c.stat, "RequestQuery", req)
	again, resp := f.simulate(c.stat, "RequestQuery", req)
	require.Empty(t, again.writes)
	_, ok = ledger.WrittenKey(resp.GetPayload())
	require.False(t, ok)
	var replayed ledger.Query
	require.NoError(t, json.Unmarshal(resp.GetPayload(), &replayed))
	require.Equal(t, first, replayed)
}
