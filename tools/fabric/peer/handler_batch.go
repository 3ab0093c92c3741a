// Batched state calls, added to this Fabric version's peer by statledger's
// tools/fabric/patch.sh (Fabric itself gained them in v3.1, after the version statledger
// pins). A chaincode whose shim supports them (fabric-chaincode-go v2.1 and later) reads
// several keys in one GET_STATE_MULTIPLE message, and sends all the writes of a
// transaction in one WRITE_BATCH_STATE message when the transaction ends, instead of one
// peer round trip per key. The peer offers both in its READY message.
//
// This version's protos do not define those messages, so this file encodes and decodes
// them with protowire, field numbers as in fabric-protos' peer/chaincode.proto
// (ChaincodeAdditionalParams) and peer/chaincode_shim.proto (GetStateMultiple,
// GetStateMultipleResult, WriteBatchState, WriteRecord). Each key or record is handed to
// the peer's own single-key handler, so access checks, private-data rules and errors are
// exactly those of GET_STATE, PUT_STATE, DEL_STATE, PUT_STATE_METADATA and
// PURGE_PRIVATE_DATA.

package chaincode

import (
	"github.com/golang/protobuf/proto"
	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/encoding/protowire"
)

const (
	// Message types of the batched calls (ChaincodeMessage.Type).
	msgWriteBatchState  pb.ChaincodeMessage_Type = 24
	msgGetStateMultiple pb.ChaincodeMessage_Type = 25

	// maxStateBatch is the most keys or records the peer takes in one message; the shim
	// splits larger batches.
	maxStateBatch = 1000

	// WriteRecord.Type values: the single-call message each record stands for.
	recordPutState         = 9
	recordDelState         = 10
	recordPutStateMetadata = 21
	recordPurgePrivateData = 23
)

// batchParams is the READY message's payload: a ChaincodeAdditionalParams offering both
// batched calls, up to maxStateBatch keys or records per message.
func batchParams() []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType) // use_write_batch
	b = protowire.AppendVarint(b, 1)
	b = protowire.AppendTag(b, 2, protowire.VarintType) // max_size_write_batch
	b = protowire.AppendVarint(b, maxStateBatch)
	b = protowire.AppendTag(b, 3, protowire.VarintType) // use_get_multiple_keys
	b = protowire.AppendVarint(b, 1)
	b = protowire.AppendTag(b, 4, protowire.VarintType) // max_size_get_multiple_keys
	b = protowire.AppendVarint(b, maxStateBatch)
	return b
}

// HandleGetStateMultiple answers GET_STATE_MULTIPLE (keys = 1, collection = 2) with a
// GetStateMultipleResult (values = 1, in the order of the keys, empty for a missing key).
func (h *Handler) HandleGetStateMultiple(msg *pb.ChaincodeMessage, txContext *TransactionContext) (*pb.ChaincodeMessage, error) {
	var keys []string
	var collection string
	err := eachField(msg.Payload, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			keys = append(keys, string(v))
		case 2:
			collection = string(v)
		}
		return nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "unmarshal failed")
	}
	if len(keys) > maxStateBatch {
		return nil, errors.Errorf("%d keys in one request, at most %d", len(keys), maxStateBatch)
	}
	var out []byte
	for _, key := range keys {
		resp, err := h.delegate(msg, pb.ChaincodeMessage_GET_STATE, &pb.GetState{Key: key, Collection: collection}, txContext, h.HandleGetState)
		if err != nil {
			return nil, err
		}
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, resp.Payload)
	}
	return &pb.ChaincodeMessage{Type: pb.ChaincodeMessage_RESPONSE, Payload: out, Txid: msg.Txid, ChannelId: msg.ChannelId}, nil
}

// HandleWriteBatchState applies WRITE_BATCH_STATE (rec = 1, repeated WriteRecord) record
// by record, in order; the first record refused fails the message.
func (h *Handler) HandleWriteBatchState(msg *pb.ChaincodeMessage, txContext *TransactionContext) (*pb.ChaincodeMessage, error) {
	var records [][]byte
	err := eachField(msg.Payload, func(num protowire.Number, v []byte) error {
		if num == 1 {
			records = append(records, v)
		}
		return nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "unmarshal failed")
	}
	if len(records) > maxStateBatch {
		return nil, errors.Errorf("%d writes in one request, at most %d", len(records), maxStateBatch)
	}
	for i, raw := range records {
		if err := h.applyWriteRecord(msg, raw, txContext); err != nil {
			return nil, errors.WithMessagef(err, "write %d of %d", i+1, len(records))
		}
	}
	return &pb.ChaincodeMessage{Type: pb.ChaincodeMessage_RESPONSE, Txid: msg.Txid, ChannelId: msg.ChannelId}, nil
}

// applyWriteRecord applies one WriteRecord (key = 1, value = 2, collection = 3,
// metadata = 4, type = 5) through the single-call handler of its type.
func (h *Handler) applyWriteRecord(msg *pb.ChaincodeMessage, raw []byte, txContext *TransactionContext) error {
	var key, collection string
	var value []byte
	var metadata *pb.StateMetadata
	var typ uint64
	err := eachField(raw, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			key = string(v)
		case 2:
			value = v
		case 3:
			collection = string(v)
		case 4:
			metadata = &pb.StateMetadata{}
			return proto.Unmarshal(v, metadata)
		case 5:
			var n int
			if typ, n = protowire.ConsumeVarint(v); n < 0 {
				return protowire.ParseError(n)
			}
		}
		return nil
	})
	if err != nil {
		return errors.Wrap(err, "unmarshal failed")
	}
	switch typ {
	case recordPutState:
		_, err = h.delegate(msg, pb.ChaincodeMessage_PUT_STATE, &pb.PutState{Key: key, Value: value, Collection: collection}, txContext, h.HandlePutState)
	case recordDelState:
		_, err = h.delegate(msg, pb.ChaincodeMessage_DEL_STATE, &pb.DelState{Key: key, Collection: collection}, txContext, h.HandleDelState)
	case recordPutStateMetadata:
		if metadata == nil {
			return errors.New("metadata write without metadata")
		}
		_, err = h.delegate(msg, pb.ChaincodeMessage_PUT_STATE_METADATA, &pb.PutStateMetadata{Key: key, Collection: collection, Metadata: metadata}, txContext, h.HandlePutStateMetadata)
	case recordPurgePrivateData:
		_, err = h.delegate(msg, pb.ChaincodeMessage_PURGE_PRIVATE_DATA, &pb.DelState{Key: key, Collection: collection}, txContext, h.HandlePurgePrivateData)
	default:
		return errors.Errorf("unknown write type %d", typ)
	}
	return err
}

// delegate runs a single-call handler on payload, as if the chaincode had sent it as a
// message of type typ in the transaction of msg.
func (h *Handler) delegate(msg *pb.ChaincodeMessage, typ pb.ChaincodeMessage_Type, payload proto.Message, txContext *TransactionContext, handle handleFunc) (*pb.ChaincodeMessage, error) {
	b, err := proto.Marshal(payload)
	if err != nil {
		return nil, errors.Wrap(err, "marshal failed")
	}
	return handle(&pb.ChaincodeMessage{Type: typ, Payload: b, Txid: msg.Txid, ChannelId: msg.ChannelId}, txContext)
}

// eachField calls f with the number and contents of every field of the protobuf message
// b: the bytes of a length-delimited field, the encoded varint of a varint field. Other
// wire types are skipped.
func eachField(b []byte, f func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			_, n = protowire.ConsumeVarint(b)
			if n >= 0 {
				v = b[:n]
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if v != nil || typ == protowire.BytesType {
			if err := f(num, v); err != nil {
				return err
			}
		}
	}
	return nil
}
