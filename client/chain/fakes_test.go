package chain_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/client/chain"
)

// envelope returns the bytes of a transaction envelope whose channel header carries txID.
func envelope(t testing.TB, txID string) []byte {
	t.Helper()
	ch, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "statistics", TxId: txID})
	require.NoError(t, err)
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch}, Data: []byte("rwset of " + txID)})
	require.NoError(t, err)
	env, err := proto.Marshal(&common.Envelope{Payload: payload, Signature: []byte("sig")})
	require.NoError(t, err)
	return env
}

// txIDOf names the j-th transaction of block n.
func txIDOf(n, j int) string { return fmt.Sprintf("tx-%d-%d", n, j) }

// buildChain builds a chain of blocks as an orderer and a committing peer would: block
// 0 holds one configuration transaction without an ID, every later block txsPerBlock
// endorser transactions, of which the last of every third block is invalid (MVCC).
func buildChain(t testing.TB, blocks, txsPerBlock int) []*common.Block {
	t.Helper()
	var out []*common.Block
	var prev []byte
	for n := range blocks {
		var data [][]byte
		var flags []byte
		if n == 0 {
			data = [][]byte{envelope(t, "")}
			flags = []byte{byte(peer.TxValidationCode_VALID)}
		} else {
			for j := range txsPerBlock {
				data = append(data, envelope(t, txIDOf(n, j)))
				code := peer.TxValidationCode_VALID
				if n%3 == 0 && j == txsPerBlock-1 {
					code = peer.TxValidationCode_MVCC_READ_CONFLICT
				}
				flags = append(flags, byte(code))
			}
		}
		b := &common.Block{
			Header: &common.BlockHeader{Number: uint64(n), PreviousHash: prev},
			Data:   &common.BlockData{Data: data},
			Metadata: &common.BlockMetadata{Metadata: [][]byte{
				[]byte("orderer signatures"), nil, flags, nil, nil,
			}},
		}
		b.Header.DataHash = chain.DataHash(b.Data)
		prev = chain.HeaderHash(b.Header)
		out = append(out, b)
	}
	return out
}

// reseal recomputes block n's data hash and the hash links from block n on, as a peer
// that rewrites its whole chain from n would.
func reseal(blocks []*common.Block, from int) {
	for n := from; n < len(blocks); n++ {
		blocks[n].Header.DataHash = chain.DataHash(blocks[n].Data)
		if n > 0 {
			blocks[n].Header.PreviousHash = chain.HeaderHash(blocks[n-1].Header)
		}
	}
}

// clone deep-copies blocks, so that a test can alter one peer's copy.
func clone(blocks []*common.Block) []*common.Block {
	out := make([]*common.Block, len(blocks))
	for i, b := range blocks {
		out[i] = proto.Clone(b).(*common.Block)
	}
	return out
}

// fakePeer serves a slice of blocks, or lets a test interfere.
type fakePeer struct {
	blocks []*common.Block
	// info, when set, replaces the chain info derived from the blocks.
	info func(call int) (*common.BlockchainInfo, error)
	// failAt, when set, makes Blocks fail with err at that block number.
	failAt *uint64
	err    error
	// stopAt, when set, ends Blocks without error at that block number.
	stopAt *uint64
	// onYield is called with every block number yielded.
	onYield func(n uint64)

	mu    sync.Mutex
	calls int
}

func (p *fakePeer) ChainInfo(context.Context) (*common.BlockchainInfo, error) {
	p.mu.Lock()
	p.calls++
	call := p.calls
	p.mu.Unlock()
	if p.info != nil {
		return p.info(call)
	}
	info := &common.BlockchainInfo{Height: uint64(len(p.blocks))}
	if len(p.blocks) > 0 {
		info.CurrentBlockHash = chain.HeaderHash(p.blocks[len(p.blocks)-1].Header)
	}
	return info, nil
}

func (p *fakePeer) Blocks(ctx context.Context, from, to uint64) iter.Seq2[*common.Block, error] {
	return func(yield func(*common.Block, error) bool) {
		for n := from; n < to; n++ {
			if p.failAt != nil && *p.failAt == n {
				yield(nil, p.err)
				return
			}
			if p.stopAt != nil && *p.stopAt == n {
				return
			}
			if n >= uint64(len(p.blocks)) {
				yield(nil, errors.New("NOT_FOUND"))
				return
			}
			if p.onYield != nil {
				p.onYield(n)
			}
			if !yield(p.blocks[n], nil) {
				return
			}
		}
	}
}

// sources makes one source per org, each serving its own copy of the blocks given.
func sources(orgs []string, chains ...[]*common.Block) []chain.Source {
	var out []chain.Source
	for i, org := range orgs {
		out = append(out, chain.Source{Org: org, Endpoint: fmt.Sprintf("127.0.0.1:%d", 7051+10*i), Peer: &fakePeer{blocks: chains[i]}})
	}
	return out
}

var orgs3 = []string{"StatOffice", "HospitalA", "Regulator"}
