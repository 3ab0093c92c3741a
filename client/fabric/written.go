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
	var payload common.Payload
	var tx peer.Transaction
	var action peer.ChaincodeActionPayload
	var prp peer.ProposalResponsePayload
	var cc peer.ChaincodeAction
	var set rwset.TxReadWriteSet
	steps := []struct {
		what string
		from func() []byte
		into proto.Message
	}{
		{"prepared transaction", func() []byte { return preparedTx }, &prepared},
		{"payload", func() []byte { return prepared.GetEnvelope().GetPayload() }, &payload},
		{"transaction", func() []byte { return payload.GetData() }, &tx},
		{"chaincode action payload", func() []byte {
			if len(tx.GetActions()) == 0 {
				return nil
			}
			return tx.GetActions()[0].GetPayload()
		}, &action},
		{"proposal response payload", func() []byte { return action.GetAction().GetProposalResponsePayload() }, &prp},
		{"chaincode action", func() []byte { return prp.GetExtension() }, &cc},
		{"read-write set", func() []byte { return cc.GetResults() }, &set},
	}
	for _, s := range steps {
		data := s.from()
		if len(data) == 0 {
			return nil, fmt.Errorf("the transaction has no %s", s.what)
		}
		if err := proto.Unmarshal(data, s.into); err != nil {
			return nil, fmt.Errorf("decode the %s: %w", s.what, err)
		}
	}
	for _, ns := range set.GetNsRwset() {
		if ns.GetNamespace() != namespace {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return nil, fmt.Errorf("decode the writes of %s: %w", namespace, err)
		}
		return kv.GetWrites(), nil
	}
	return nil, fmt.Errorf("the transaction writes nothing in %s", namespace)
}
