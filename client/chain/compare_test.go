package chain_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/chain"
)

func compare(t *testing.T, srcs []chain.Source) *chain.Result {
	t.Helper()
	r, err := chain.Compare(context.Background(), srcs, chain.WithCatchUp(50*time.Millisecond))
	require.NoError(t, err)
	return r
}

func TestIntactChainsPassAndIndexEveryTransaction(t *testing.T) {
	blocks := buildChain(t, 12, 4)
	r := compare(t, sources(orgs3, clone(blocks), clone(blocks), clone(blocks)))
	require.True(t, r.Passed())
	require.Empty(t, r.Mismatches)
	require.Empty(t, r.Breaks)
	require.Equal(t, uint64(12), r.Blocks)

	tip := chain.HeaderHash(blocks[11].Header)
	for i, p := range r.Peers {
		require.Equal(t, orgs3[i], p.Org)
		require.Equal(t, uint64(12), p.Height)
		require.Equal(t, hexOf(tip), p.TipHash)
	}

	for n := 1; n < 12; n++ {
		for j := range 4 {
			block, valid, found := r.Tx(txIDOf(n, j))
			require.True(t, found, "block %d tx %d", n, j)
			require.Equal(t, uint64(n), block)
			require.Equal(t, !(n%3 == 0 && j == 3), valid, "block %d tx %d", n, j)
		}
	}
	ref, ok := r.Lookup(txIDOf(6, 3))
	require.True(t, ok)
	require.Equal(t, chain.TxRef{Block: 6, Index: 3, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}, ref)
	_, _, found := r.Tx("tx-never-submitted")
	require.False(t, found)
	_, _, found = r.Tx("")
	require.False(t, found, "transactions without an ID are not indexed")

	rep := r.Report()
	require.Equal(t, audit.CheckChain, rep.Check.Name)
	require.Equal(t, audit.StatusPass, rep.Check.Status)
	require.Equal(t, uint64(12), rep.Blocks)
	require.Equal(t, "the peers of StatOffice, HospitalA and Regulator serve the same 12 blocks, each chain intact", rep.Check.Detail)
	require.Len(t, rep.Check.Evidence, 3)
	require.Equal(t, audit.Evidence{Kind: "block", ID: "11", Digest: hexOf(tip), Org: "HospitalA", Note: "header hash of the last block compared"}, rep.Check.Evidence[1])
}

func TestALyingPeerIsCaughtAndNamed(t *testing.T) {
	const lied = 5
	tests := []struct {
		name string
		// lie alters the lying peer's copy of the chain.
		lie        func(b []*common.Block)
		mismatches []chain.Mismatch
		breaks     []chain.Kind // kinds of the liar's breaks, at block lied unless said
		breakAt    []uint64
	}{
		{
			name: "one altered transaction, header left alone",
			lie:  func(b []*common.Block) { b[lied].Data.Data[1] = envelope(t, "tx-forged") },
			mismatches: []chain.Mismatch{
				{Block: lied, Kind: chain.KindData, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
			},
			breaks: []chain.Kind{chain.KindDataHash}, breakAt: []uint64{lied},
		},
		{
			name: "one altered transaction with the data hash recomputed",
			lie: func(b []*common.Block) {
				b[lied].Data.Data[1] = envelope(t, "tx-forged")
				b[lied].Header.DataHash = chain.DataHash(b[lied].Data)
			},
			mismatches: []chain.Mismatch{
				{Block: lied, Kind: chain.KindHeader, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
				{Block: lied, Kind: chain.KindData, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
			},
			breaks: []chain.Kind{chain.KindPrevious}, breakAt: []uint64{lied + 1},
		},
		{
			name: "a whole chain rewritten from one altered transaction on",
			lie: func(b []*common.Block) {
				b[lied].Data.Data[1] = envelope(t, "tx-forged")
				reseal(b, lied)
			},
			mismatches: func() []chain.Mismatch {
				var m []chain.Mismatch
				m = append(m, chain.Mismatch{Block: lied, Kind: chain.KindHeader, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}})
				m = append(m, chain.Mismatch{Block: lied, Kind: chain.KindData, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}})
				for n := uint64(lied + 1); n < 10; n++ {
					m = append(m, chain.Mismatch{Block: n, Kind: chain.KindHeader, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}})
				}
				return m
			}(),
		},
		{
			name: "a broken previous hash",
			lie:  func(b []*common.Block) { b[lied].Header.PreviousHash = make([]byte, 32) },
			mismatches: []chain.Mismatch{
				{Block: lied, Kind: chain.KindHeader, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
			},
			breaks: []chain.Kind{chain.KindPrevious, chain.KindPrevious}, breakAt: []uint64{lied, lied + 1},
		},
		{
			name: "a transaction's validation flag turned from invalid to valid",
			lie: func(b []*common.Block) {
				b[6].Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][2] = byte(peer.TxValidationCode_VALID)
			},
			mismatches: []chain.Mismatch{
				{Block: 6, Kind: chain.KindFlags, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
			},
		},
		{
			name: "a block served in the place of another",
			lie:  func(b []*common.Block) { b[lied] = b[lied-1] },
			mismatches: []chain.Mismatch{
				{Block: lied, Kind: chain.KindHeader, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
				{Block: lied, Kind: chain.KindData, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}},
			},
			breaks: []chain.Kind{chain.KindNumber, chain.KindPrevious, chain.KindPrevious}, breakAt: []uint64{lied, lied, lied + 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			honest := buildChain(t, 10, 3)
			liar := clone(honest)
			tt.lie(liar)
			r := compare(t, sources(orgs3, clone(honest), liar, clone(honest)))
			require.False(t, r.Passed())
			require.Equal(t, tt.mismatches, r.Mismatches)
			require.Len(t, r.Breaks, len(tt.breaks))
			for i, b := range r.Breaks {
				require.Equal(t, "HospitalA", b.Org)
				require.Equal(t, tt.breaks[i], b.Kind)
				require.Equal(t, tt.breakAt[i], b.Block)
			}

			rep := r.Report()
			require.Equal(t, audit.StatusFail, rep.Check.Status)
			require.Contains(t, rep.Check.Detail, "HospitalA's peer")
			require.NotEmpty(t, rep.Check.Evidence)
			for _, e := range rep.Check.Evidence {
				require.Equal(t, "HospitalA", e.Org, "only the liar is named")
				require.Equal(t, "block", e.Kind)
				require.Contains(t, e.Note, "block "+e.ID)
			}

			// The index follows the honest majority.
			_, valid, found := r.Tx(txIDOf(6, 2))
			require.True(t, found)
			require.False(t, valid)
			_, _, found = r.Tx("tx-forged")
			require.False(t, found, "a forged transaction is not indexed")
		})
	}
}

func TestTwoPeersThatDisagreeAreBothNamed(t *testing.T) {
	honest := buildChain(t, 6, 2)
	liar := clone(honest)
	liar[3].Data.Data[0] = envelope(t, "tx-forged")
	r := compare(t, sources([]string{"Regulator", "HospitalA"}, clone(honest), liar))
	require.Equal(t, []chain.Mismatch{{Block: 3, Kind: chain.KindData, Orgs: []string{"Regulator", "HospitalA"}}}, r.Mismatches)
	require.Equal(t, "block 3: the peers of Regulator and HospitalA disagree on the transactions, and no majority says which is right", r.Mismatches[0].String())
	require.Len(t, r.Breaks, 1, "the liar's own chain is broken too: its data hash no longer matches")
	require.Equal(t, "HospitalA", r.Breaks[0].Org)
}

func TestAShorterChainIsNamedUnlessItCatchesUp(t *testing.T) {
	blocks := buildChain(t, 8, 2)

	srcs := sources(orgs3, clone(blocks), clone(blocks[:6]), clone(blocks))
	r := compare(t, srcs)
	require.Equal(t, uint64(6), r.Blocks)
	require.Equal(t, []chain.Mismatch{{Block: 6, Kind: chain.KindHeight, Orgs: []string{"HospitalA"}, Others: []string{"StatOffice", "Regulator"}}}, r.Mismatches)
	require.Empty(t, r.Breaks)
	rep := r.Report()
	require.Equal(t, audit.StatusFail, rep.Check.Status)
	require.Contains(t, rep.Check.Detail, "block 6 and later: missing from HospitalA's peer, served by the peers of StatOffice and Regulator")
	require.Equal(t, []audit.Evidence{{Kind: "block", ID: "6", Org: "HospitalA", Note: r.Mismatches[0].String()}}, rep.Check.Evidence)
	_, _, found := r.Tx(txIDOf(7, 0))
	require.False(t, found, "blocks beyond the shortest chain are not compared")

	// A peer one block behind that catches up while Compare waits is not at fault.
	lagging := &fakePeer{blocks: blocks}
	lagging.info = func(call int) (*common.BlockchainInfo, error) {
		h := uint64(7)
		if call > 2 {
			h = 8
		}
		return &common.BlockchainInfo{Height: h, CurrentBlockHash: chain.HeaderHash(blocks[h-1].Header)}, nil
	}
	srcs = sources(orgs3, clone(blocks), nil, clone(blocks))
	srcs[1].Peer = lagging
	r, err := chain.Compare(context.Background(), srcs, chain.WithCatchUp(5*time.Second))
	require.NoError(t, err)
	require.True(t, r.Passed(), "%v %v", r.Mismatches, r.Breaks)
	require.Equal(t, uint64(8), r.Blocks)
}

func TestAChainInfoThatDisagreesWithTheBlocksIsNamed(t *testing.T) {
	blocks := buildChain(t, 5, 2)
	srcs := sources(orgs3, clone(blocks), clone(blocks), clone(blocks))
	srcs[2].Peer.(*fakePeer).info = func(int) (*common.BlockchainInfo, error) {
		return &common.BlockchainInfo{Height: 5, CurrentBlockHash: []byte("not the tip")}, nil
	}
	r := compare(t, srcs)
	require.Empty(t, r.Mismatches)
	require.Len(t, r.Breaks, 1)
	require.Equal(t, chain.Break{Org: "Regulator", Block: 4, Kind: chain.KindInfo, Detail: r.Breaks[0].Detail}, r.Breaks[0])
	require.Contains(t, r.Breaks[0].Detail, "its chain info names 6e6f742074686520… as the hash of block 4")
}

func TestMalformedBlocksAreNamedWithoutPanicking(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(b []*common.Block)
		want    string
	}{
		{"a block without a header", func(b []*common.Block) { b[2].Header = nil }, "the block has no header"},
		{"a block without data", func(b []*common.Block) { b[2].Data = nil; b[2].Header.DataHash = chain.DataHash(nil) }, "malformed block: no data"},
		{"a transaction that is not an envelope", func(b []*common.Block) {
			b[2].Data.Data[0] = []byte{0xff, 0xff, 0xff}
			b[2].Header.DataHash = chain.DataHash(b[2].Data)
		}, "transaction 0: not an envelope"},
		{"an envelope without a channel header", func(b []*common.Block) {
			b[2].Data.Data[1] = []byte{}
			b[2].Header.DataHash = chain.DataHash(b[2].Data)
		}, "transaction 1: envelope without a channel header"},
		{"validation flags of the wrong length", func(b []*common.Block) {
			b[2].Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{0}
		}, "1 validation flags for 2 transactions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			honest := buildChain(t, 5, 2)
			bad := clone(honest)
			tt.corrupt(bad)
			r := compare(t, sources(orgs3, clone(honest), clone(honest), bad))
			require.False(t, r.Passed())
			var details []string
			for _, b := range r.Breaks {
				require.Equal(t, "Regulator", b.Org)
				details = append(details, b.Detail)
			}
			require.Contains(t, joined(details), tt.want)
			for _, m := range r.Mismatches {
				require.Equal(t, []string{"Regulator"}, m.Orgs)
			}
			_, _, found := r.Tx(txIDOf(2, 0))
			require.True(t, found, "the honest peers' block is indexed")
		})
	}
}

func TestFaultsBeyondTheLimitAreCounted(t *testing.T) {
	honest := buildChain(t, chain.MaxFaults+20, 1)
	liar := clone(honest)
	liar[1].Data.Data[0] = envelope(t, "tx-forged")
	reseal(liar, 1)
	r := compare(t, sources(orgs3, clone(honest), liar, clone(honest)))
	require.Len(t, r.Mismatches, chain.MaxFaults)
	require.Equal(t, 20, r.Omitted, "one data and one header mismatch at block 1, then a header mismatch per block")
	require.Contains(t, r.Report().Check.Detail, "120 fault(s)")
	require.Contains(t, r.Report().Check.Detail, "and 117 more")
}

func TestCompareReadsThePeersInLockstep(t *testing.T) {
	blocks := buildChain(t, 200, 1)
	var mu sync.Mutex
	yielded := make([]int, 3)
	srcs := sources(orgs3, blocks, blocks, blocks)
	for i := range srcs {
		srcs[i].Peer.(*fakePeer).onYield = func(n uint64) {
			mu.Lock()
			defer mu.Unlock()
			yielded[i] = int(n) + 1
			for j := range yielded {
				require.LessOrEqual(t, yielded[i]-yielded[j], 1, "peer %d runs ahead of peer %d", i, j)
			}
		}
	}
	r := compare(t, srcs)
	require.True(t, r.Passed())
	require.Equal(t, []int{200, 200, 200}, yielded)
}

func TestCompareRefusesBadSourcesAndNamesUnreadablePeers(t *testing.T) {
	blocks := buildChain(t, 4, 1)
	at := func(n uint64) *uint64 { return &n }
	tests := []struct {
		name   string
		srcs   func() []chain.Source
		want   string
		wantIs error
	}{
		{"one peer", func() []chain.Source { return sources(orgs3[:1], blocks) }, "1 peer given, at least 2 needed", nil},
		{"no peers", func() []chain.Source { return nil }, "0 peer given", nil},
		{"a peer without an organisation", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[1].Org = ""
			return s
		}, "peer 2 (127.0.0.1:7061) has no organisation name", nil},
		{"an organisation twice", func() []chain.Source {
			return sources([]string{"HospitalA", "HospitalA"}, blocks, blocks)
		}, "organisation HospitalA is given twice", nil},
		{"a source without a peer", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[0].Peer = nil
			return s
		}, "StatOffice's peer is not connected", nil},
		{"a peer that refuses chain info", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[1].Peer.(*fakePeer).info = func(int) (*common.BlockchainInfo, error) { return nil, errAccessDenied }
			return s
		}, "HospitalA's peer 127.0.0.1:7061: access denied", errAccessDenied},
		{"a peer with no chain info", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[1].Peer.(*fakePeer).info = func(int) (*common.BlockchainInfo, error) { return nil, nil }
			return s
		}, "HospitalA's peer 127.0.0.1:7061 answered no chain info", nil},
		{"peers without blocks", func() []chain.Source { return sources(orgs3[:2], nil, nil) }, "no peer serves any block", nil},
		{"a stream that fails", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[0].Peer.(*fakePeer).failAt, s[0].Peer.(*fakePeer).err = at(2), errAccessDenied
			return s
		}, "StatOffice's peer 127.0.0.1:7051: access denied", errAccessDenied},
		{"a stream that ends early", func() []chain.Source {
			s := sources(orgs3[:2], blocks, blocks)
			s[1].Peer.(*fakePeer).stopAt = at(3)
			return s
		}, "HospitalA's peer 127.0.0.1:7061: the blocks ended before block 3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chain.Compare(context.Background(), tt.srcs(), chain.WithCatchUp(time.Millisecond))
			require.ErrorContains(t, err, tt.want)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}

func TestCompareStopsWaitingWhenTheContextEnds(t *testing.T) {
	blocks := buildChain(t, 4, 1)
	srcs := sources(orgs3[:2], blocks, blocks[:3])
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := chain.Compare(ctx, srcs, chain.WithCatchUp(time.Hour))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "wait for peers to catch up")
}

var errAccessDenied = errors.New("access denied")

func joined(s []string) string {
	out := ""
	for i, x := range s {
		out += strconv.Itoa(i) + ": " + x + "\n"
	}
	return out
}
