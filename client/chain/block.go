package chain

import (
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// ErrMalformed is wrapped by the errors of Transactions for a block that is not a Fabric
// block: no header or data, an envelope, payload or channel header that does not decode,
// or a validation-flags metadata entry of the wrong length.
var ErrMalformed = errors.New("malformed block")

// asn1Header is the ASN.1 form of a block header that Fabric hashes
// (protoutil.BlockHeaderBytes: SEQUENCE { INTEGER number, OCTET STRING previousHash,
// OCTET STRING dataHash }).
type asn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// HeaderHash returns the SHA-256 hash of a block header as Fabric computes it
// (protoutil.BlockHeaderHash): the hash the next block names as its PreviousHash and that
// qscc GetChainInfo returns as the current block hash. A nil header hashes like an
// empty one.
func HeaderHash(h *common.BlockHeader) []byte {
	der, err := asn1.Marshal(asn1Header{
		Number: new(big.Int).SetUint64(h.GetNumber()), PreviousHash: h.GetPreviousHash(), DataHash: h.GetDataHash(),
	})
	if err != nil {
		// An integer and two byte strings always encode; Fabric panics here too.
		panic(fmt.Sprintf("encode block header: %v", err))
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// DataHash returns the hash of a block's data as Fabric computes it for the header's
// DataHash (protoutil.BlockDataHash): SHA-256 of the transactions' bytes concatenated.
func DataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, tx := range d.GetData() {
		h.Write(tx)
	}
	return h.Sum(nil)
}

// Tx is one transaction of a block: its ID (empty for a transaction without one, such as
// a channel configuration) and the validation code the committing peer gave it.
type Tx struct {
	ID   string
	Code peer.TxValidationCode
}

// Valid says whether the committing peer found the transaction valid.
func (t Tx) Valid() bool { return t.Code == peer.TxValidationCode_VALID }

// Transactions decodes a block's transactions: each envelope's channel header gives the
// transaction ID, the block's transaction-filter metadata the validation code (or
// NOT_VALIDATED when a block carries no filter). It returns an error wrapping
// ErrMalformed, naming the transaction's index, for anything that does not decode.
func Transactions(b *common.Block) ([]Tx, error) {
	if b.GetHeader() == nil {
		return nil, fmt.Errorf("%w: no header", ErrMalformed)
	}
	if b.GetData() == nil {
		return nil, fmt.Errorf("%w: no data", ErrMalformed)
	}
	data := b.GetData().GetData()
	flags := Flags(b)
	if flags != nil && len(flags) != len(data) {
		return nil, fmt.Errorf("%w: %d validation flags for %d transactions", ErrMalformed, len(flags), len(data))
	}
	txs := make([]Tx, len(data))
	for i, raw := range data {
		id, err := txID(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: transaction %d: %w", ErrMalformed, i, err)
		}
		txs[i] = Tx{ID: id, Code: peer.TxValidationCode_NOT_VALIDATED}
		if flags != nil {
			txs[i].Code = peer.TxValidationCode(flags[i])
		}
	}
	return txs, nil
}

// Flags returns the block's transaction-filter metadata, one validation code per
// transaction, or nil if the block has none.
func Flags(b *common.Block) []byte {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return nil
	}
	f := md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	if len(f) == 0 {
		return nil
	}
	return f
}

// txID returns the transaction ID in an envelope's channel header.
func txID(raw []byte) (string, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return "", fmt.Errorf("not an envelope: %w", err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return "", fmt.Errorf("envelope payload: %w", err)
	}
	if len(payload.GetHeader().GetChannelHeader()) == 0 {
		return "", errors.New("envelope without a channel header")
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return "", fmt.Errorf("channel header: %w", err)
	}
	return ch.GetTxId(), nil
}
