package contract

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

func TestRecordMemoDecodesAsJSONAndHandsOutClones(t *testing.T) {
	m := recordMemo[ledger.Consortium]{kind: "consortium", clone: ledger.Consortium.Clone, limit: 2}
	key := ledger.ConsortiumKey()
	first := testConsortium()
	data := mustJSON(t, first)

	got, err := m.decode("ch", key, data)
	require.NoError(t, err)
	require.Equal(t, first, got)

	// A transaction that changes its clone changes nothing the next one sees, nor does a
	// caller that changes the bytes it passed in after the call.
	got.Orgs[0].Roles[0] = ledger.RoleAuditor
	got.Orgs[1].KeyHolder = false
	data[len(data)-2] = 'X'
	again, err := m.decode("ch", key, mustJSON(t, first))
	require.NoError(t, err)
	require.Equal(t, first, again)

	// Other bytes under the key (an applied consortium change) replace the record.
	next := testConsortium()
	next.Version = 2
	next.Orgs = next.Orgs[:4]
	got, err = m.decode("ch", key, mustJSON(t, next))
	require.NoError(t, err)
	require.Equal(t, next, got)

	// Bytes that do not decode are an INTERNAL error and forget nothing.
	_, err = m.decode("ch", key, []byte(`{"orgs": 7}`))
	requireCode(t, ledger.CodeInternal, err)
	require.ErrorContains(t, err, "decode consortium")
	got, err = m.decode("ch", key, mustJSON(t, next))
	require.NoError(t, err)
	require.Equal(t, next, got)

	// The same key on two channels is two records.
	two := recordMemo[ledger.Consortium]{kind: "consortium", clone: ledger.Consortium.Clone, limit: 4}
	a, err := two.decode("ch1", key, mustJSON(t, first))
	require.NoError(t, err)
	b, err := two.decode("ch2", key, mustJSON(t, next))
	require.NoError(t, err)
	require.Equal(t, first, a)
	require.Equal(t, next, b)
	require.Len(t, two.entries, 2)

	// Past its limit the memo starts afresh and still decodes right.
	for i, k := range []string{"a", "b", "c"} {
		c := testConsortium()
		c.Version = 10 + i
		got, err := m.decode("ch", k, mustJSON(t, c))
		require.NoError(t, err)
		require.Equal(t, c, got)
		require.LessOrEqual(t, len(m.entries), m.limit)
	}
}

// The memo serves the records of the ledger a transaction reads, never another's: two
// ledgers hold different datasets under the same key, and submissions to them in turn
// are judged each by its own dataset's policy.
func TestRecordMemoFollowsTheLedger(t *testing.T) {
	f1, c1 := setup(t, func(p *policies.Policy) { p.MaxRecordsPerSubmission = 5000 })
	f2, c2 := setup(t, func(p *policies.Policy) { p.MaxRecordsPerSubmission = 1000 })
	for i := range 3 {
		in := submissionInput("2025", fmt.Sprintf("memo blob %d", i))
		in.Records = 1001
		_, err := f1.submit(c1.hospA, "SubmitData", jsonString(t, in))
		require.NoError(t, err)
		_, err = f2.submit(c2.hospA, "SubmitData", jsonString(t, in))
		requireCode(t, ledger.CodeInvalid, err)
		require.ErrorContains(t, err, "allows at most 1000 per submission")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}
