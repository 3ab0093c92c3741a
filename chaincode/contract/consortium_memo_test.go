package contract

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

func TestConsortiumMemoDecodesAsJSONAndHandsOutCopies(t *testing.T) {
	var m consortiumMemo
	first := testConsortium()
	data, err := json.Marshal(first)
	require.NoError(t, err)

	got, err := m.decode(data)
	require.NoError(t, err)
	require.Equal(t, first, got)

	// A transaction that changes its copy changes nothing the next one sees, even when
	// the caller also changes the bytes it passed in after the call.
	got.Orgs[0].Roles[0] = ledger.RoleAuditor
	got.Orgs[1].KeyHolder = false
	again, err := m.decode(append([]byte(nil), data...))
	require.NoError(t, err)
	require.Equal(t, first, again)
	data[len(data)-2] = 'X'
	again, err = m.decode(mustJSON(t, first))
	require.NoError(t, err)
	require.Equal(t, first, again)

	// Other bytes (an applied consortium change) replace the remembered record.
	next := testConsortium()
	next.Version = 2
	next.Orgs = next.Orgs[:4]
	got, err = m.decode(mustJSON(t, next))
	require.NoError(t, err)
	require.Equal(t, next, got)

	// Bytes that do not decode are an INTERNAL error and forget nothing.
	_, err = m.decode([]byte(`{"orgs": 7}`))
	requireCode(t, ledger.CodeInternal, err)
	require.ErrorContains(t, err, "decode consortium")
	got, err = m.decode(mustJSON(t, next))
	require.NoError(t, err)
	require.Equal(t, next, got)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}
