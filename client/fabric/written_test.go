package fabric

import (
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/chaincode/ledger"
)

// preparedTx builds an endorsed transaction, as client.Transaction.Bytes gives it, whose
// action writes writes in each namespace.
func preparedTx(t testing.TB, writes map[string][]*kvrwset.KVWrite) []byte {
	t.Helper()
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	var set rwset.TxReadWriteSet
	for ns, ws := range writes {
		set.NsRwset = append(set.NsRwset, &rwset.NsReadWriteSet{Namespace: ns, Rwset: marshal(&kvrwset.KVRWSet{Writes: ws})})
	}
	prp := &peer.ProposalResponsePayload{Extension: marshal(&peer.ChaincodeAction{Results: marshal(&set)})}
	action := &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: marshal(prp)}}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: marshal(action)}}}
	env := &common.Envelope{Payload: marshal(&common.Payload{Data: marshal(tx)})}
	return marshal(&gateway.PreparedTransaction{TransactionId: "tx1", Envelope: env})
}

func reference(t testing.TB, key string) []byte {
	b, err := json.Marshal(ledger.Written{Key: key})
	require.NoError(t, err)
	return b
}

func TestResolveWrittenReturnsTheRecordTheTransactionWrote(t *testing.T) {
	key := ledger.QueryKey("q-1")
	tx := preparedTx(t, map[string][]*kvrwset.KVWrite{
		"other":      {{Key: key, Value: []byte(`{"id":"elsewhere"}`)}},
		"statledger": {{Key: ledger.BudgetKey("ds"), Value: []byte(`{"budget":1}`)}, {Key: key, Value: []byte(`{"id":"q-1"}`)}},
	})
	got, err := resolveWritten(reference(t, key), tx, "statledger")
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"q-1"}`, string(got))

	// Any other result is the result.
	got, err = resolveWritten([]byte(`{"id":"q-2"}`), nil, "statledger")
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"q-2"}`, string(got))
}

func TestResolveWrittenRefusesAReferenceToNothing(t *testing.T) {
	key := ledger.QueryKey("q-1")
	for name, tx := range map[string][]byte{
		"not written":       preparedTx(t, map[string][]*kvrwset.KVWrite{"statledger": {{Key: ledger.BudgetKey("ds"), Value: []byte("{}")}}}),
		"deleted":           preparedTx(t, map[string][]*kvrwset.KVWrite{"statledger": {{Key: key, IsDelete: true}}}),
		"another namespace": preparedTx(t, map[string][]*kvrwset.KVWrite{"other": {{Key: key, Value: []byte("{}")}}}),
		"no transaction":    nil,
		"not a transaction": []byte("\xff\xfe garbage"),
		"an empty envelope": func() []byte { b, _ := proto.Marshal(&gateway.PreparedTransaction{}); return b }(),
	} {
		_, err := resolveWritten(reference(t, key), tx, "statledger")
		require.Error(t, err, name)
	}
}

func FuzzResolveWritten(f *testing.F) {
	f.Add(preparedTx(f, map[string][]*kvrwset.KVWrite{"statledger": {{Key: "k", Value: []byte("v")}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, tx []byte) {
		_, _ = resolveWritten(reference(t, "k"), tx, "statledger")
	})
}
