// Package chain compares one channel's chain of blocks as several organisations' peers
// serve it, so that a peer that lies about the ledger is caught and named.
//
// Compare reads every peer's height (qscc GetChainInfo), gives a peer that is behind a
// moment to catch up, then streams blocks 0 to the lowest height minus one from every
// peer in lockstep, holding one block per peer at a time. It checks each peer's chain on
// its own, as Fabric builds it: block numbers in sequence, each header's PreviousHash the
// hash of the previous header (HeaderHash), each header's DataHash the hash of the
// block's transactions (DataHash), transactions that decode, and a chain info whose
// current block hash is the hash of the peer's last block. It compares the peers' header
// hashes, data hashes and transaction validation flags block by block; when peers
// disagree, those outside the largest agreeing group are named (all of them when no group
// is largest, as with two peers). It indexes every transaction ID of the blocks (block,
// position, validation code) so that an audit can check that the transactions it cites
// are on the chain and valid. Memory grows with the number of transactions (the index),
// not with the size of the chain or the number of peers.
//
// Compare returns an error only when it cannot read a peer (unreachable, refusing, a
// stream that ends early); what the peers served, however wrong, becomes a Result whose
// Report is the audit's chain check.
package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/fabric"
)

// Peer serves a channel's chain of blocks. *fabric.Client implements it for the peer it
// is connected to.
type Peer interface {
	// ChainInfo returns the peer's height and the hash of its last block's header.
	ChainInfo(ctx context.Context) (*common.BlockchainInfo, error)
	// Blocks yields the blocks numbered from to to-1, in order; an error ends it.
	Blocks(ctx context.Context, from, to uint64) iter.Seq2[*common.Block, error]
}

var _ Peer = (*fabric.Client)(nil)

// Source is one organisation's peer to compare.
type Source struct {
	// Org names the organisation that runs the peer; reports name peers by it.
	Org string
	// Endpoint is the peer's address, for reports.
	Endpoint string
	Peer     Peer
}

// Kind says what is wrong with a block.
type Kind string

// Kinds of Mismatch (peers disagree) and of Break (one peer's chain is not a chain).
const (
	// KindHeader: peers serve blocks with different header hashes.
	KindHeader Kind = "header"
	// KindData: peers serve different transactions (their data hashes differ).
	KindData Kind = "data"
	// KindFlags: peers serve different transaction validation flags.
	KindFlags Kind = "flags"
	// KindHeight: a peer serves fewer blocks than another and did not catch up.
	KindHeight Kind = "height"
	// KindPrevious: a header's PreviousHash is not the hash of the peer's previous header.
	KindPrevious Kind = "previous hash"
	// KindDataHash: a header's DataHash is not the hash of the block's transactions.
	KindDataHash Kind = "data hash"
	// KindNumber: the peer served a block with another number in its place.
	KindNumber Kind = "number"
	// KindMalformed: the block or one of its transactions does not decode.
	KindMalformed Kind = "malformed"
	// KindInfo: the peer's chain info names a current block hash that is not the hash of
	// its last block.
	KindInfo Kind = "chain info"
)

// Mismatch is a block on which peers disagree.
type Mismatch struct {
	Block uint64
	Kind  Kind
	// Orgs are the peers named as disagreeing: those outside the largest group that
	// agrees, or every peer when no group is largest.
	Orgs []string
	// Others are the remaining peers, which agree with each other.
	Others []string
}

// String says what the mismatch is, naming the organisations' peers.
func (m Mismatch) String() string {
	if m.Kind == KindHeight {
		return fmt.Sprintf("block %d and later: missing from %s, served by %s", m.Block, peers(m.Orgs), peers(m.Others))
	}
	what := map[Kind]string{KindHeader: "block header", KindData: "transactions", KindFlags: "transaction validation flags"}[m.Kind]
	verb := "disagrees"
	if len(m.Orgs) > 1 {
		verb = "disagree"
	}
	if len(m.Others) == 0 {
		return fmt.Sprintf("block %d: %s %s on the %s, and no majority says which is right", m.Block, peers(m.Orgs), verb, what)
	}
	return fmt.Sprintf("block %d: %s %s with %s on the %s", m.Block, peers(m.Orgs), verb, peers(m.Others), what)
}

// Break is a fault in one peer's own chain.
type Break struct {
	Org    string
	Block  uint64
	Kind   Kind
	Detail string
}

// String says what is broken, naming the organisation's peer.
func (b Break) String() string {
	return fmt.Sprintf("block %d: the chain of %s is broken (%s): %s", b.Block, peers([]string{b.Org}), b.Kind, b.Detail)
}

// peers names organisations' peers in a sentence: "HospitalA's peer", "the peers of A and B".
func peers(orgs []string) string {
	switch len(orgs) {
	case 0:
		return "no peer"
	case 1:
		return orgs[0] + "'s peer"
	}
	return "the peers of " + joinAnd(orgs)
}

// joinAnd joins one or more names as "A, B and C".
func joinAnd(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " and " + s[len(s)-1]
}

// MaxFaults bounds the mismatches and breaks a Result keeps; further ones are counted
// in Omitted. A peer that rewrote its chain from some block on disagrees on every block
// after it, and the first faults say where.
const MaxFaults = 100

// DefaultCatchUp is how long Compare waits for a peer that is behind the highest one.
const DefaultCatchUp = 10 * time.Second

// Option configures Compare.
type Option func(*config)

type config struct{ catchUp time.Duration }

// WithCatchUp replaces DefaultCatchUp. Peers commit the same block a few milliseconds
// apart, so a peer a block behind right after a transaction is not at fault.
func WithCatchUp(d time.Duration) Option { return func(c *config) { c.catchUp = d } }

// TxRef is where a transaction is on the chain.
type TxRef struct {
	Block uint64
	// Index is the transaction's position in its block.
	Index int
	// Code is the validation code the committing peers gave it.
	Code peer.TxValidationCode
}

// Valid says whether the transaction was committed as valid.
func (r TxRef) Valid() bool { return r.Code == peer.TxValidationCode_VALID }

// Result is the outcome of Compare. It is safe for concurrent reads.
type Result struct {
	// Peers is what each peer served: its height and the hash of the last block compared.
	Peers []audit.PeerChain
	// Blocks is how many blocks, from block 0, were compared across every peer.
	Blocks     uint64
	Mismatches []Mismatch
	Breaks     []Break
	// Omitted counts the faults beyond MaxFaults that were not kept.
	Omitted int
	txs     map[string]TxRef
}

// Passed says whether every peer served the same intact chain.
func (r *Result) Passed() bool {
	return len(r.Mismatches) == 0 && len(r.Breaks) == 0 && r.Omitted == 0
}

// Lookup returns where the transaction with ID txID is on the compared blocks. A
// transaction ID found both invalid and valid (a replay marked DUPLICATE_TXID) gives
// the valid one, otherwise the first.
func (r *Result) Lookup(txID string) (TxRef, bool) {
	ref, ok := r.txs[txID]
	return ref, ok
}

// Tx says in which block the transaction with ID txID is and whether it was committed
// as valid; found is false when no compared block holds it.
func (r *Result) Tx(txID string) (block uint64, valid bool, found bool) {
	ref, ok := r.Lookup(txID)
	return ref.Block, ref.Valid(), ok
}

func (r *Result) fault(add func()) {
	if len(r.Mismatches)+len(r.Breaks) >= MaxFaults {
		r.Omitted++
		return
	}
	add()
}

func (r *Result) broken(org string, block uint64, kind Kind, format string, args ...any) {
	r.fault(func() {
		r.Breaks = append(r.Breaks, Break{Org: org, Block: block, Kind: kind, Detail: fmt.Sprintf(format, args...)})
	})
}

// Compare reads the chain of every source's peer and compares them (see the package
// comment). It needs at least two sources with distinct, non-empty organisation names.
// It returns an error when a peer cannot be read: the error names the organisation and
// the endpoint.
func Compare(ctx context.Context, sources []Source, opts ...Option) (*Result, error) {
	cfg := config{catchUp: DefaultCatchUp}
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkSources(sources); err != nil {
		return nil, err
	}
	infos, err := chainInfos(ctx, sources, cfg.catchUp)
	if err != nil {
		return nil, err
	}
	r := &Result{txs: map[string]TxRef{}}
	var top uint64
	r.Blocks = infos[0].GetHeight()
	for _, in := range infos {
		r.Blocks = min(r.Blocks, in.GetHeight())
		top = max(top, in.GetHeight())
	}
	if top == 0 {
		return nil, errors.New("compare chains: no peer serves any block")
	}
	for i, s := range sources {
		r.Peers = append(r.Peers, audit.PeerChain{Org: s.Org, Endpoint: s.Endpoint, Height: infos[i].GetHeight()})
	}
	r.shortPeers(sources, infos)
	tips, err := r.walk(ctx, sources)
	if err != nil {
		return nil, err
	}
	for i, s := range sources {
		if tips[i] == nil {
			continue
		}
		r.Peers[i].TipHash = hex.EncodeToString(tips[i])
		if infos[i].GetHeight() == r.Blocks && !bytes.Equal(infos[i].GetCurrentBlockHash(), tips[i]) {
			r.broken(s.Org, r.Blocks-1, KindInfo, "its chain info names %s as the hash of block %d, whose header hashes to %s",
				short(infos[i].GetCurrentBlockHash()), r.Blocks-1, short(tips[i]))
		}
	}
	return r, nil
}

func checkSources(sources []Source) error {
	if len(sources) < 2 {
		return fmt.Errorf("compare chains: %d peer given, at least 2 needed to catch one that lies", len(sources))
	}
	seen := map[string]bool{}
	for i, s := range sources {
		switch {
		case s.Org == "":
			return fmt.Errorf("compare chains: peer %d (%s) has no organisation name", i+1, s.Endpoint)
		case seen[s.Org]:
			return fmt.Errorf("compare chains: organisation %s is given twice; compare different organisations' peers", s.Org)
		case s.Peer == nil:
			return fmt.Errorf("compare chains: %s's peer is not connected", s.Org)
		}
		seen[s.Org] = true
	}
	return nil
}

// chainInfos reads every peer's chain info, then re-reads those behind the highest
// until they reach it or catchUp has passed.
func chainInfos(ctx context.Context, sources []Source, catchUp time.Duration) ([]*common.BlockchainInfo, error) {
	infos := make([]*common.BlockchainInfo, len(sources))
	read := func(i int) error {
		in, err := sources[i].Peer.ChainInfo(ctx)
		if err != nil {
			return fmt.Errorf("compare chains: %s: %w", describe(sources[i]), err)
		}
		if in == nil {
			return fmt.Errorf("compare chains: %s answered no chain info", describe(sources[i]))
		}
		infos[i] = in
		return nil
	}
	var top uint64
	for i := range sources {
		if err := read(i); err != nil {
			return nil, err
		}
		top = max(top, infos[i].GetHeight())
	}
	deadline := time.Now().Add(catchUp)
	pause := min(catchUp/20+time.Millisecond, 500*time.Millisecond)
	for {
		behind := false
		for i := range sources {
			if infos[i].GetHeight() >= top {
				continue
			}
			if err := read(i); err != nil {
				return nil, err
			}
			behind = behind || infos[i].GetHeight() < top
		}
		if !behind || time.Now().After(deadline) {
			return infos, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("compare chains: wait for peers to catch up: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
}

func describe(s Source) string {
	if s.Endpoint == "" {
		return s.Org + "'s peer"
	}
	return fmt.Sprintf("%s's peer %s", s.Org, s.Endpoint)
}

// shortPeers records a height mismatch for every peer below the highest.
func (r *Result) shortPeers(sources []Source, infos []*common.BlockchainInfo) {
	for i, s := range sources {
		var above []string
		for j, o := range sources {
			if infos[j].GetHeight() > infos[i].GetHeight() {
				above = append(above, o.Org)
			}
		}
		if len(above) > 0 {
			r.fault(func() {
				r.Mismatches = append(r.Mismatches, Mismatch{Block: infos[i].GetHeight(), Kind: KindHeight, Orgs: []string{s.Org}, Others: above})
			})
		}
	}
}

// view is what Compare keeps of one peer's block while comparing it with the others'.
type view struct {
	ok     bool // the block has a header, so the hashes below are set
	intact bool // no break found in this block
	header []byte
	data   []byte
	flags  []byte
	txs    []Tx
}

// walk streams blocks 0..r.Blocks-1 from every peer in lockstep, checks and compares
// them, indexes their transactions, and returns each peer's last header hash.
func (r *Result) walk(ctx context.Context, sources []Source) ([][]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make([]func() (*common.Block, error, bool), len(sources))
	for i, s := range sources {
		pull, stop := iter.Pull2(s.Peer.Blocks(ctx, 0, r.Blocks))
		defer stop()
		next[i] = pull
	}
	prev := make([][]byte, len(sources)) // each peer's previous header hash; nil when unknown
	views := make([]view, len(sources))
	for n := uint64(0); n < r.Blocks; n++ {
		for i, s := range sources {
			b, err, ok := next[i]()
			switch {
			case !ok:
				return nil, fmt.Errorf("compare chains: %s: the blocks ended before block %d", describe(s), n)
			case err != nil:
				return nil, fmt.Errorf("compare chains: %s: %w", describe(s), err)
			}
			views[i] = r.inspect(s.Org, n, b, prev[i])
			prev[i] = views[i].header
		}
		r.compare(n, sources, views)
	}
	return prev, nil
}

// inspect checks one peer's block n on its own, given the hash of the peer's previous
// header (nil when unknown).
func (r *Result) inspect(org string, n uint64, b *common.Block, prev []byte) view {
	h := b.GetHeader()
	if h == nil {
		r.broken(org, n, KindMalformed, "the block has no header")
		return view{}
	}
	v := view{ok: true, intact: true, header: HeaderHash(h), data: DataHash(b.GetData()), flags: Flags(b)}
	bad := func(kind Kind, format string, args ...any) {
		v.intact = false
		r.broken(org, n, kind, format, args...)
	}
	if h.GetNumber() != n {
		bad(KindNumber, "the peer served block %d in its place", h.GetNumber())
	}
	if n > 0 && prev != nil && !bytes.Equal(h.GetPreviousHash(), prev) {
		bad(KindPrevious, "its previous hash %s is not the hash %s of block %d's header", short(h.GetPreviousHash()), short(prev), n-1)
	}
	if !bytes.Equal(h.GetDataHash(), v.data) {
		bad(KindDataHash, "its header's data hash %s is not the hash %s of its transactions", short(h.GetDataHash()), short(v.data))
	}
	txs, err := Transactions(b)
	if err != nil {
		bad(KindMalformed, "%v", err)
	}
	v.txs = txs
	return v
}

// compare compares the peers' views of block n and indexes the transactions of the
// block the agreeing peers served.
func (r *Result) compare(n uint64, sources []Source, views []view) {
	ref := make([]bool, len(views)) // in the reference group of every comparison
	for i := range views {
		ref[i] = views[i].ok
	}
	for _, c := range []struct {
		kind Kind
		key  func(view) []byte
	}{
		{KindHeader, func(v view) []byte { return v.header }},
		{KindData, func(v view) []byte { return v.data }},
		{KindFlags, func(v view) []byte { return v.flags }},
	} {
		groups := group(views, c.key)
		if len(groups) < 2 {
			continue
		}
		m := Mismatch{Block: n, Kind: c.kind}
		majority := len(groups[0]) > len(groups[1])
		for gi, g := range groups {
			for _, i := range g {
				if gi == 0 && majority {
					m.Others = append(m.Others, sources[i].Org)
				} else {
					m.Orgs = append(m.Orgs, sources[i].Org)
				}
				ref[i] = ref[i] && gi == 0
			}
		}
		r.fault(func() { r.Mismatches = append(r.Mismatches, m) })
	}
	for i, v := range views {
		if ref[i] && v.intact {
			r.index(n, v.txs)
			return
		}
	}
}

// group groups the indexes of the views that have a header by key, largest group first,
// ties in source order.
func group(views []view, key func(view) []byte) [][]int {
	var groups [][]int
	for i, v := range views {
		if !v.ok {
			continue
		}
		j := slices.IndexFunc(groups, func(g []int) bool { return bytes.Equal(key(views[g[0]]), key(v)) })
		if j < 0 {
			groups = append(groups, []int{i})
		} else {
			groups[j] = append(groups[j], i)
		}
	}
	slices.SortStableFunc(groups, func(a, b []int) int { return len(b) - len(a) })
	return groups
}

func (r *Result) index(n uint64, txs []Tx) {
	for i, tx := range txs {
		if tx.ID == "" {
			continue
		}
		if old, ok := r.txs[tx.ID]; ok && (old.Valid() || !tx.Valid()) {
			continue
		}
		r.txs[tx.ID] = TxRef{Block: n, Index: i, Code: tx.Code}
	}
}

// short abbreviates a hash for messages.
func short(h []byte) string {
	s := hex.EncodeToString(h)
	if len(s) > 16 {
		return s[:16] + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
