package contract

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/statledger/statledger/chaincode/ledger"
)

// recordMemo remembers decoded records of one kind by key and bytes. The consortium is
// read by every transaction and a dataset by most of the query path's, both change
// rarely, and decoding them is one of the largest items of a short transaction's work
// (docs/ledger-performance.md). Decoding depends on the bytes alone, so a remembered
// value is the one a fresh decode would give on every peer; each transaction gets a
// clone of its own, so that nothing one transaction does to it reaches another.
type recordMemo[T any] struct {
	kind  string
	clone func(T) T
	// limit bounds the number of records remembered; when it is reached the memo starts
	// afresh, which costs decodes and nothing else.
	limit int

	mu      sync.Mutex
	entries map[string]memoEntry[T]
}

type memoEntry[T any] struct {
	data  []byte
	value T
}

// The chaincode's memos, by channel and key: a consortium per channel, and the datasets
// a busy consortium queries at a time.
var (
	consortiums = recordMemo[ledger.Consortium]{kind: "consortium", clone: ledger.Consortium.Clone, limit: 4}
	datasets    = recordMemo[ledger.Dataset]{kind: "dataset", clone: ledger.Dataset.Clone, limit: 256}
)

// decode returns the record data encodes, stored under key on channel. Bytes that do not
// decode are an INTERNAL error.
func (m *recordMemo[T]) decode(channel, key string, data []byte) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at := channel + "\x00" + key
	if e, ok := m.entries[at]; ok && bytes.Equal(e.data, data) {
		return m.clone(e.value), nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, ledger.Errorf(ledger.CodeInternal, "decode %s: %w", keyName(key), err)
	}
	if _, known := m.entries[at]; !known && len(m.entries) >= m.limit {
		m.entries = nil
	}
	if m.entries == nil {
		m.entries = make(map[string]memoEntry[T], m.limit)
	}
	m.entries[at] = memoEntry[T]{data: bytes.Clone(data), value: v}
	return m.clone(v), nil
}

// get reads the record under key: NOT_FOUND, such as "dataset d-1 does not exist", when
// it holds nothing.
func (m *recordMemo[T]) get(ctx *txContext, key, id string) (T, error) {
	var zero T
	data, err := getState(ctx, key)
	if err != nil {
		return zero, err
	}
	if len(data) == 0 {
		return zero, ledger.Errorf(ledger.CodeNotFound, "%s %s does not exist", m.kind, id)
	}
	return m.decode(ctx.GetStub().GetChannelID(), key, data)
}
