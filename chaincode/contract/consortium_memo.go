package contract

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/statledger/statledger/chaincode/ledger"
)

// consortiumMemo remembers the consortium record the chaincode decoded last, by its
// bytes. Every transaction reads the consortium for its access check, the record changes
// only when the members agree, and decoding it is one of the largest items of a short
// transaction's work (see docs/ledger-performance.md). Decoding depends on the bytes
// alone, so a remembered value is the one a fresh decode would give on every peer; each
// transaction gets a copy of its own (ledger.Consortium.Clone), so that nothing one
// transaction does to it reaches another.
type consortiumMemo struct {
	mu    sync.Mutex
	data  []byte
	value ledger.Consortium
}

// consortiums is the chaincode's one memo: a chaincode server serves one channel's
// consortium at a time, and another's bytes just replace it.
var consortiums consortiumMemo

// decode returns the consortium data encodes.
func (m *consortiumMemo) decode(data []byte) (ledger.Consortium, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil || !bytes.Equal(m.data, data) {
		var c ledger.Consortium
		if err := json.Unmarshal(data, &c); err != nil {
			return ledger.Consortium{}, ledger.Errorf(ledger.CodeInternal, "decode %s: %w", keyName(ledger.ConsortiumKey()), err)
		}
		m.data, m.value = bytes.Clone(data), c
	}
	return m.value.Clone(), nil
}
