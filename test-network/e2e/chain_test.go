package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/profile"
	testnetwork "github.com/statledger/statledger/test-network"
)

// regulatorProfile writes the network's profiles (as `fabnet profiles` does) and returns
// the Regulator's, checked, keeping only the peers of the organisations named.
func regulatorProfile(t testing.TB, orgs ...string) profile.Profile {
	t.Helper()
	dir := t.TempDir()
	_, err := env.Net.WriteProfiles(filepath.Join(dir, "profiles"), filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	p, err := profile.Load(filepath.Join(dir, "profiles", "regulator.yaml"))
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	require.NoError(t, p.CheckFiles())
	p.Peers = slices.DeleteFunc(p.Peers, func(peer profile.Peer) bool { return !slices.Contains(orgs, peer.Org) })
	require.Len(t, p.Peers, len(orgs))
	return p
}

// openChain connects to the profile's peers, as the Regulator, until the test ends.
func openChain(t testing.TB, p profile.Profile, opts ...fabric.Option) []chain.Source {
	t.Helper()
	sources, closeAll, err := chain.Open(p, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeAll() })
	return sources
}

func TestChainPeersOfThreeOrganisationsServeTheSameBlocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	var subs []ledger.Submission
	for _, org := range []string{hospitalA, hospitalB} {
		sub, err := connect(t, org).SubmitData(ctx, submission(ds.ID, "2026-01"))
		require.NoError(t, err)
		subs = append(subs, sub)
	}
	settle(t, ctx)

	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA))
	r, err := chain.Compare(ctx, sources)
	require.NoError(t, err)
	rep := r.Report()
	require.True(t, r.Passed(), rep.Check.Detail)
	require.Equal(t, audit.StatusPass, rep.Check.Status)
	require.Equal(t, audit.CheckChain, rep.Check.Name)
	t.Logf("chain check: %s", rep.Check.Detail)

	var orgs []string
	for _, p := range r.Peers {
		orgs = append(orgs, p.Org)
		require.GreaterOrEqual(t, p.Height, r.Blocks)
		require.Len(t, p.TipHash, 64)
	}
	require.Equal(t, []string{regulator, statOffice, hospitalA}, orgs)
	require.Greater(t, r.Blocks, uint64(3), "the genesis block and at least the dataset and the submissions")

	// Every transaction of the dataset and its submissions is on the chain, valid.
	txIDs := []string{ds.TxID}
	for _, s := range subs {
		txIDs = append(txIDs, s.TxID)
	}
	for _, id := range txIDs {
		require.NotEmpty(t, id)
		block, valid, found := r.Tx(id)
		require.True(t, found, "transaction %s is not in the %d blocks compared", id, r.Blocks)
		require.True(t, valid, "transaction %s in block %d is not valid", id, block)
	}

	// The header hash is Fabric's: each peer's chain info names the hash of its last
	// block's header, and that block's previous hash is the one before.
	for _, s := range sources {
		info, err := s.Peer.ChainInfo(ctx)
		require.NoError(t, err)
		n := 0
		for b, err := range s.Peer.Blocks(ctx, info.GetHeight()-1, info.GetHeight()) {
			require.NoError(t, err)
			require.Equal(t, info.GetHeight()-1, b.GetHeader().GetNumber())
			require.Equal(t, hex.EncodeToString(info.GetCurrentBlockHash()), hex.EncodeToString(chain.HeaderHash(b.GetHeader())), s.Org)
			require.Equal(t, info.GetPreviousBlockHash(), b.GetHeader().GetPreviousHash(), s.Org)
			require.Equal(t, b.GetHeader().GetDataHash(), chain.DataHash(b.GetData()), s.Org)
			n++
		}
		require.Equal(t, 1, n)
	}
}

// lyingPeer serves what its peer serves, except that it alters one block as a peer
// whose operator rewrote its ledger would.
type lyingPeer struct {
	chain.Peer
	block uint64
	lie   func(*common.Block)
}

func (l lyingPeer) Blocks(ctx context.Context, from, to uint64) iter.Seq2[*common.Block, error] {
	return func(yield func(*common.Block, error) bool) {
		for b, err := range l.Peer.Blocks(ctx, from, to) {
			if err == nil && b.GetHeader().GetNumber() == l.block {
				b = proto.Clone(b).(*common.Block)
				l.lie(b)
			}
			if !yield(b, err) {
				return
			}
		}
	}
}

func TestChainLyingPeerIsCaughtAndNamed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	sub, err := connect(t, hospitalA).SubmitData(ctx, submission(ds.ID, "2026-02"))
	require.NoError(t, err)
	// A later block, so that a rewritten block's successor is compared too.
	_, err = connect(t, hospitalB).SubmitData(ctx, submission(ds.ID, "2026-02"))
	require.NoError(t, err)
	settle(t, ctx)

	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA))
	honest, err := chain.Compare(ctx, sources)
	require.NoError(t, err)
	require.True(t, honest.Passed(), honest.Report().Check.Detail)
	ref, found := honest.Lookup(sub.TxID)
	require.True(t, found)
	require.True(t, ref.Valid())
	require.Less(t, ref.Block+1, honest.Blocks)

	liarIndex := slices.IndexFunc(sources, func(s chain.Source) bool { return s.Org == hospitalA })
	require.GreaterOrEqual(t, liarIndex, 0)
	tests := []struct {
		name  string
		lie   func(b *common.Block)
		kinds []chain.Kind // the kinds of mismatch at the altered block
		check func(t *testing.T, r *chain.Result)
	}{
		{
			name: "one byte of HospitalA's submission changed",
			lie: func(b *common.Block) {
				// The last byte of the payload is the transaction's own (its endorsements),
				// so the envelope still decodes.
				var e common.Envelope
				require.NoError(t, proto.Unmarshal(b.Data.Data[ref.Index], &e))
				e.Payload[len(e.Payload)-1] ^= 0x01
				raw, err := proto.Marshal(&e)
				require.NoError(t, err)
				b.Data.Data[ref.Index] = raw
			},
			kinds: []chain.Kind{chain.KindData},
			check: func(t *testing.T, r *chain.Result) {
				require.Equal(t, []chain.Break{{Org: hospitalA, Block: ref.Block, Kind: chain.KindDataHash, Detail: r.Breaks[0].Detail}}, r.Breaks)
			},
		},
		{
			name: "the submission's validation flag turned to an MVCC conflict",
			lie: func(b *common.Block) {
				b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][ref.Index] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
			},
			kinds: []chain.Kind{chain.KindFlags},
			check: func(t *testing.T, r *chain.Result) {
				require.Empty(t, r.Breaks, "validation flags are outside the hash chain: only the comparison catches them")
				_, valid, found := r.Tx(sub.TxID)
				require.True(t, found && valid, "the index follows the honest majority")
			},
		},
		{
			name: "the submission removed and the block's hashes recomputed",
			lie: func(b *common.Block) {
				b.Data.Data = slices.Delete(b.Data.Data, ref.Index, ref.Index+1)
				flags := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
				b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = slices.Delete(slices.Clone(flags), ref.Index, ref.Index+1)
				b.Header.DataHash = chain.DataHash(b.Data)
			},
			kinds: []chain.Kind{chain.KindHeader, chain.KindData, chain.KindFlags},
			check: func(t *testing.T, r *chain.Result) {
				require.Len(t, r.Breaks, 1)
				require.Equal(t, chain.Break{Org: hospitalA, Block: ref.Block + 1, Kind: chain.KindPrevious, Detail: r.Breaks[0].Detail}, r.Breaks[0])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lying := slices.Clone(sources)
			lying[liarIndex].Peer = lyingPeer{Peer: sources[liarIndex].Peer, block: ref.Block, lie: tt.lie}
			r, err := chain.Compare(ctx, lying)
			require.NoError(t, err)
			require.False(t, r.Passed())
			var kinds []chain.Kind
			for _, m := range r.Mismatches {
				require.Equal(t, ref.Block, m.Block)
				require.Equal(t, []string{hospitalA}, m.Orgs)
				require.ElementsMatch(t, []string{regulator, statOffice}, m.Others)
				kinds = append(kinds, m.Kind)
			}
			require.Equal(t, tt.kinds, kinds)
			tt.check(t, r)

			rep := r.Report()
			require.Equal(t, audit.StatusFail, rep.Check.Status)
			block := strconv.FormatUint(ref.Block, 10)
			require.Contains(t, rep.Check.Detail, "block "+block+": HospitalA's peer disagrees with the peers of Regulator and StatOffice")
			for _, e := range rep.Check.Evidence {
				require.Equal(t, hospitalA, e.Org)
			}
			require.Equal(t, block, rep.Check.Evidence[0].ID)
			t.Logf("chain check: %s", rep.Check.Detail)
			report(t, "attacks", "lying peer: "+tt.name, "the chain check fails naming HospitalA's peer and the block",
				fmt.Sprintf("%s at block %s: %v", rep.Check.Status, block, kinds), 0)
		})
	}
}

func TestChainUnreachableOrMisconfiguredPeerIsNamed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	once := fabric.WithRetry(fabric.Retry{Attempts: 1})

	// StatOffice's peer checked against HospitalA's TLS CA: the TLS handshake fails.
	p := regulatorProfile(t, statOffice, hospitalA)
	p.Peers[0].TLSCAFile = p.Peers[1].TLSCAFile
	_, err := chain.Compare(ctx, openChain(t, p, once))
	require.ErrorContains(t, err, "compare chains: StatOffice's peer "+p.Peers[0].Endpoint)
	require.ErrorContains(t, err, "certificate")

	// A port where no peer listens.
	p = regulatorProfile(t, statOffice)
	p.Peers[0].Endpoint = "127.0.0.1:1"
	_, err = chain.Compare(ctx, openChain(t, p, once))
	require.ErrorContains(t, err, "compare chains: StatOffice's peer 127.0.0.1:1")
}

// BenchmarkChainCompareThreePeers grows the chain to at least chainBenchBlocks blocks
// (bare key-value writes, one writer per organisation), then compares it across the
// Regulator's, StatOffice's and HospitalA's peers.
func BenchmarkChainCompareThreePeers(b *testing.B) {
	const chainBenchBlocks = 300
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	require.NoError(b, env.Net.DeployBenchChaincode(ctx))
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for _, org := range []string{statOffice, hospitalA, hospitalB} {
		c, err := env.ConnectTo(org, testnetwork.BenchChaincode)
		require.NoError(b, err)
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if i%20 == 0 {
					h, err := env.Net.BlockHeight(ctx, regulator)
					if err != nil || h >= chainBenchBlocks {
						if err != nil {
							failed.CompareAndSwap(nil, &err)
						}
						return
					}
				}
				if _, err := c.Submit(ctx, "Put", unique("k"), "v"); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	settle(b, ctx)
	sources := openChain(b, regulatorProfile(b, statOffice, hospitalA))
	var r *chain.Result
	for b.Loop() {
		var err error
		r, err = chain.Compare(ctx, sources)
		require.NoError(b, err)
	}
	b.StopTimer()
	require.True(b, r.Passed(), r.Report().Check.Detail)
	require.GreaterOrEqual(b, r.Blocks, uint64(chainBenchBlocks))
	b.ReportMetric(float64(r.Blocks), "blocks")
	b.ReportMetric(float64(r.Blocks)*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}
