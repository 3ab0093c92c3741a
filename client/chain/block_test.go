package chain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/client/chain"
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// TestHeaderHashIsFabricsASN1Encoding checks HeaderHash against the DER encoding that
// Fabric's protoutil.BlockHeaderBytes produces, written out by hand: SEQUENCE { INTEGER
// number, OCTET STRING previousHash, OCTET STRING dataHash }. The end-to-end test checks
// it against a real peer's chain info too.
func TestHeaderHashIsFabricsASN1Encoding(t *testing.T) {
	prev := bytes.Repeat([]byte{0x01}, 32)
	data := bytes.Repeat([]byte{0x02}, 32)
	der := func(number []byte, prev, data []byte) []byte {
		var content []byte
		content = append(content, 0x02, byte(len(number)))
		content = append(content, number...)
		content = append(content, 0x04, byte(len(prev)))
		content = append(content, prev...)
		content = append(content, 0x04, byte(len(data)))
		content = append(content, data...)
		return append([]byte{0x30, byte(len(content))}, content...)
	}
	tests := []struct {
		name   string
		header *common.BlockHeader
		der    []byte
	}{
		{"the genesis block, without a previous hash", &common.BlockHeader{Number: 0, DataHash: data}, der([]byte{0x00}, nil, data)},
		{"block 5", &common.BlockHeader{Number: 5, PreviousHash: prev, DataHash: data}, der([]byte{0x05}, prev, data)},
		{"block 128, whose number needs a leading zero byte", &common.BlockHeader{Number: 128, PreviousHash: prev, DataHash: data}, der([]byte{0x00, 0x80}, prev, data)},
		{"the largest block number", &common.BlockHeader{Number: math.MaxUint64, PreviousHash: prev, DataHash: data},
			der([]byte{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, prev, data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := sha256.Sum256(tt.der)
			require.Equal(t, want[:], chain.HeaderHash(tt.header))
		})
	}
	require.Equal(t, chain.HeaderHash(&common.BlockHeader{}), chain.HeaderHash(nil))
}

func TestDataHashIsTheHashOfTheConcatenatedTransactions(t *testing.T) {
	want := sha256.Sum256([]byte("abcdef"))
	require.Equal(t, want[:], chain.DataHash(&common.BlockData{Data: [][]byte{[]byte("ab"), []byte("cd"), []byte("ef")}}))
	empty := sha256.Sum256(nil)
	require.Equal(t, empty[:], chain.DataHash(nil))
}

func TestTransactionsReadsIDsAndValidationCodes(t *testing.T) {
	b := buildChain(t, 4, 3)[3]
	txs, err := chain.Transactions(b)
	require.NoError(t, err)
	require.Equal(t, []chain.Tx{
		{ID: "tx-3-0", Code: peer.TxValidationCode_VALID},
		{ID: "tx-3-1", Code: peer.TxValidationCode_VALID},
		{ID: "tx-3-2", Code: peer.TxValidationCode_MVCC_READ_CONFLICT},
	}, txs)
	require.True(t, txs[0].Valid())
	require.False(t, txs[2].Valid())

	b.Metadata = nil
	txs, err = chain.Transactions(b)
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_NOT_VALIDATED, txs[0].Code, "a block without flags was not validated")
	require.Nil(t, chain.Flags(b))
}

func TestTransactionsRefusesMalformedBlocks(t *testing.T) {
	garbagePayload, err := proto.Marshal(&common.Envelope{Payload: []byte{0xff, 0xff}})
	require.NoError(t, err)
	badChannelHeader, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: []byte{0x0a, 0xff}}})
	require.NoError(t, err)
	badChannelHeaderEnv, err := proto.Marshal(&common.Envelope{Payload: badChannelHeader})
	require.NoError(t, err)
	tests := []struct {
		name  string
		block *common.Block
		want  string
	}{
		{"a nil block", nil, "no header"},
		{"a block without data", &common.Block{Header: &common.BlockHeader{}}, "no data"},
		{"a transaction that is not an envelope", &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: [][]byte{{0xff}}}}, "transaction 0: not an envelope"},
		{"an envelope whose payload does not decode", &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: [][]byte{envelope(t, "a"), garbagePayload}}}, "transaction 1: envelope payload"},
		{"a channel header that does not decode", &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: [][]byte{badChannelHeaderEnv}}}, "transaction 0: channel header"},
		{"more flags than transactions", &common.Block{
			Header: &common.BlockHeader{}, Data: &common.BlockData{Data: [][]byte{envelope(t, "a")}},
			Metadata: &common.BlockMetadata{Metadata: [][]byte{nil, nil, {0, 0}}},
		}, "2 validation flags for 1 transactions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chain.Transactions(tt.block)
			require.ErrorIs(t, err, chain.ErrMalformed)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// FuzzTransactions decodes arbitrary bytes as a block as a peer might serve it: decoding
// its transactions and hashing it must never panic, and a block whose transactions decode
// has one Tx per transaction, while one that does not is refused with ErrMalformed.
// The committed corpus under testdata/fuzz/FuzzTransactions holds real blocks and the
// malformed blocks of TestTransactionsRefusesMalformedBlocks.
func FuzzTransactions(f *testing.F) {
	for _, b := range buildChain(f, 3, 2) {
		raw, err := proto.Marshal(b)
		require.NoError(f, err)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b common.Block
		if proto.Unmarshal(raw, &b) != nil {
			return
		}
		_ = chain.HeaderHash(b.GetHeader())
		_ = chain.DataHash(b.GetData())
		txs, err := chain.Transactions(&b)
		if err != nil {
			require.ErrorIs(t, err, chain.ErrMalformed)
			return
		}
		require.Len(t, txs, len(b.GetData().GetData()))
	})
}
