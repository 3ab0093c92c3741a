package fabric

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/chaincode/ledger"
)

// resolveWritten returns a transaction's result as callers expect it: when the chaincode
// answered with a ledger.Written reference, the value the transaction wrote to that key
// in namespace, read from the endorsed transaction (preparedTx, as
// client.Transaction.Bytes gives it), which the peers committed as is; any other result
// unchanged.
func resolveWritten(result, preparedTx []byte, namespace string) ([]byte, error) {
	key, ok := ledger.WrittenKey(result)
	if !ok {
		return result, nil
	}
	writes, err := txWrites(preparedTx, namespace)
	if err != nil {
		return nil, fmt.Errorf("read the record the transaction wrote: %w", err)
	}
	for _, w := range writes {
		if w.GetKey() == key && !w.GetIsDelete() {
			return w.GetValue(), nil
		}
	}
	return nil, fmt.Errorf("the transaction's response refers to a record it did not write")
}

// txWrites decodes the writes in namespace of an endorsed transaction's first action.
func txWrites(preparedTx []byte, namespace string) ([]*kvrwset.KVWrite, error) {
	var prepared gateway.PreparedTransaction
	if err := decodePart("prepared transaction", preparedTx, &prepared); err != nil {
		return nil, err
	}
	var payload common.Payload
	if err := decodePart("payload", prepared.GetEnvelope().GetPayload(), &payload); err != nil {
		return nil, err
	}
	var tx peer.Transaction
	if err := decodePart("transaction", payload.GetData(), &tx); err != nil {
		return nil, err
	}
	if len(tx.GetActions()) == 0 {
		return nil, fmt.Errorf("the transaction has no action")
	}
	var action peer.ChaincodeActionPayload
	if err := decodePart("chaincode action payload", tx.GetActions()[0].GetPayload(), &action); err != nil {
		return nil, err
	}
	var prp peer.ProposalResponsePayload
	if err := decodePart("proposal response payload", action.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return nil, err
	}
	var cc peer.ChaincodeAction
	if err := decodePart("chaincode action", prp.GetExtension(), &cc); err != nil {
		return nil, err
	}
	var set rwset.TxReadWriteSet
	if err := decodePart("read-write set", cc.GetResults(), &set); err != nil {
		return nil, err
	}
	for _, ns := range set.GetNsRwset() {
		if ns.GetNamespace() == namespace {
			var kv kvrwset.KVRWSet
			err := decodePart("writes of "+namespace, ns.GetRwset(), &kv)
			return kv.GetWrites(), err
		}
	}
	return nil, fmt.Errorf("the transaction writes nothing in %s", namespace)
}

// decodePart unmarshals one part of a transaction; an empty part is an error.
func decodePart(what string, data []byte, into proto.Message) error {
	if len(data) == 0 {
		return fmt.Errorf("the transaction has no %s", what)
	}
	if err := proto.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode the %s: %w", what, err)
	}
	return nil
}
