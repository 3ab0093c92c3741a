package contract

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/statledger/statledger/chaincode/ledger"
)

// World-state access. Every record is stored as JSON under a ledger key; index entries
// store the ID they point to as a JSON string. Faults of the peer and undecodable records
// are INTERNAL errors; they name records by kind and ID, never by value.

// keyName writes a composite key as a readable path, such as "query/q-1", for messages.
func keyName(key string) string {
	return strings.ReplaceAll(strings.Trim(key, "\x00"), "\x00", "/")
}

// getState reads key; nil means the key holds nothing. A key read ahead (readAhead) is
// served from the context.
func getState(ctx *txContext, key string) ([]byte, error) {
	if data, ok := ctx.ahead[key]; ok {
		return data, nil
	}
	data, err := ctx.GetStub().GetState(key)
	if err != nil {
		return nil, ledger.Errorf(ledger.CodeInternal, "read %s: %w", keyName(key), err)
	}
	return data, nil
}

// readAhead reads keys in one call to the peer (one round trip on the chaincode stream
// where a peer offers batched reads, one per key otherwise) and keeps the values in the
// context for getState. The keys enter the transaction's read set as if read one by one.
func readAhead(ctx *txContext, keys ...string) error {
	values, err := ctx.GetStub().GetMultipleStates(keys...)
	if err != nil {
		return ledger.Errorf(ledger.CodeInternal, "read %d records: %w", len(keys), err)
	}
	if len(values) != len(keys) {
		return ledger.Errorf(ledger.CodeInternal, "read %d records: the peer returned %d values", len(keys), len(values))
	}
	if ctx.ahead == nil {
		ctx.ahead = make(map[string][]byte, len(keys))
	}
	for i, k := range keys {
		ctx.ahead[k] = values[i]
	}
	return nil
}

// exists reports whether key holds a value.
func exists(ctx *txContext, key string) (bool, error) {
	data, err := getState(ctx, key)
	return len(data) > 0, err
}

// getJSON reads key into out. It reports false, leaving out alone, when the key holds
// nothing.
func getJSON(ctx *txContext, key string, out any) (bool, error) {
	data, err := getState(ctx, key)
	if err != nil {
		return false, err
	}
	if len(data) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, ledger.Errorf(ledger.CodeInternal, "decode %s: %w", keyName(key), err)
	}
	return true, nil
}

// mustRecord reads the record key that list names: its absence is INTERNAL, a broken
// reference in the ledger's own records.
func mustRecord(ctx *txContext, key, list, id string, out any) error {
	ok, err := getJSON(ctx, key, out)
	if err == nil && !ok {
		err = ledger.Errorf(ledger.CodeInternal, "%s names %s, which does not exist", list, id)
	}
	return err
}

// mustGetJSON reads key into out and returns NOT_FOUND, such as "query q-1 does not
// exist", when it holds nothing.
func mustGetJSON(ctx *txContext, key, kind, id string, out any) error {
	ok, err := getJSON(ctx, key, out)
	if err != nil {
		return err
	}
	if !ok {
		return ledger.Errorf(ledger.CodeNotFound, "%s %s does not exist", kind, id)
	}
	return nil
}

// putJSON writes v as JSON under key.
func putJSON(ctx *txContext, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return ledger.Errorf(ledger.CodeInternal, "encode %s: %w", keyName(key), err)
	}
	if err := ctx.GetStub().PutState(key, data); err != nil {
		return ledger.Errorf(ledger.CodeInternal, "write %s: %w", keyName(key), err)
	}
	return nil
}

// write is one record to store.
type write struct {
	key   string
	value any
}

// commit writes the records, emits ev and answers with a ledger.Written reference to the
// first record, the one the transaction is about: the last step of every state-changing
// transaction.
func commit(ctx *txContext, ev ledger.Event, ws ...write) (string, error) {
	for _, w := range ws {
		if err := putJSON(ctx, w.key, w.value); err != nil {
			return "", err
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return "", ledger.Errorf(ledger.CodeInternal, "encode event %s: %w", ev.Name, err)
	}
	if err := ctx.GetStub().SetEvent(ev.Name, payload); err != nil {
		return "", ledger.Errorf(ledger.CodeInternal, "emit event %s: %w", ev.Name, err)
	}
	return respond(ledger.Written{Key: ws[0].key})
}

// respond encodes a transaction's JSON response.
func respond(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", ledger.Errorf(ledger.CodeInternal, "encode the response: %w", err)
	}
	return string(data), nil
}

// scan calls fn for every key under the partial composite key (objectType, attrs...),
// in key order.
func scan(ctx *txContext, objectType string, attrs []string, fn func(key string, value []byte) error) error {
	it, err := ctx.GetStub().GetStateByPartialCompositeKey(objectType, attrs)
	if err != nil {
		return ledger.Errorf(ledger.CodeInternal, "list %s: %w", objectType, err)
	}
	return drain(it, objectType, fn)
}

// scanPage is scan for one page of at most ledger.ListPageSize keys, starting at
// bookmark (hex, as a previous page returned it). It returns the bookmark of the next
// page, or "" after the last page. A bookmark that does not belong to the list is
// INVALID.
func scanPage(ctx *txContext, objectType string, attrs []string, bookmark string, fn func(key string, value []byte) error) (string, error) {
	start, err := listStart(ledger.CompositeKey(objectType, attrs...), bookmark)
	if err != nil {
		return "", err
	}
	it, meta, err := ctx.GetStub().GetStateByPartialCompositeKeyWithPagination(objectType, attrs, ledger.ListPageSize, start)
	if err != nil {
		return "", ledger.Errorf(ledger.CodeInternal, "list %s: %w", objectType, err)
	}
	if err := drain(it, objectType, fn); err != nil {
		return "", err
	}
	if meta == nil {
		return "", nil
	}
	return hex.EncodeToString([]byte(meta.GetBookmark())), nil
}

// drain calls fn for every entry of it. An iterator read to its end is not closed: the
// peer releases a range query itself once it has sent the last results (the shim's
// HasNext reports false only then) and releases every other one when the transaction
// ends, so Close would cost one more round trip on the chaincode stream for nothing. An
// iterator left before its end is closed.
func drain(it shim.StateQueryIteratorInterface, objectType string, fn func(key string, value []byte) error) error {
	stop := func(err error) error {
		if cerr := it.Close(); cerr != nil {
			return errors.Join(err, ledger.Errorf(ledger.CodeInternal, "list %s: %w", objectType, cerr))
		}
		return err
	}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return stop(ledger.Errorf(ledger.CodeInternal, "list %s: %w", objectType, err))
		}
		if err := fn(kv.GetKey(), kv.GetValue()); err != nil {
			return stop(err)
		}
	}
	return nil
}

// decodeInto returns a scan callback that decodes each value as a T and appends it to
// out.
func decodeInto[T any](out *[]T) func(key string, value []byte) error {
	return func(key string, value []byte) error {
		var v T
		if err := json.Unmarshal(value, &v); err != nil {
			return ledger.Errorf(ledger.CodeInternal, "decode %s: %w", keyName(key), err)
		}
		*out = append(*out, v)
		return nil
	}
}

// followInto returns a scan callback for an index whose values name records: idOf reads
// the record ID from an index value, and the callback reads the record at recordKey(id)
// and appends it to out.
func followInto[T any](ctx *txContext, idOf func(value []byte) (string, error), recordKey func(id string) string, out *[]T) func(key string, value []byte) error {
	return func(key string, value []byte) error {
		id, err := idOf(value)
		if err != nil {
			return ledger.Errorf(ledger.CodeInternal, "decode %s: %w", keyName(key), err)
		}
		var v T
		if err := mustRecord(ctx, recordKey(id), "index "+keyName(key), id, &v); err != nil {
			return err
		}
		*out = append(*out, v)
		return nil
	}
}

// indexedID reads the value of an index whose values are record IDs as JSON strings.
func indexedID(value []byte) (string, error) {
	var id string
	err := json.Unmarshal(value, &id)
	return id, err
}

// follow says how a list reaches its records through an index: idOf reads a record ID
// from an index value, and recordKey gives the record's key.
type follow struct {
	idOf      func(value []byte) (string, error)
	recordKey func(id string) string
}

// listPage returns one page of a list as JSON: the records under (objectType, attrs...)
// from bookmark on, or, when via is not nil, the records an index there names.
func listPage[T any](ctx *txContext, objectType string, attrs []string, bookmark string, via *follow) (string, error) {
	items := []T{}
	fn := decodeInto(&items)
	if via != nil {
		fn = followInto(ctx, via.idOf, via.recordKey, &items)
	}
	next, err := scanPage(ctx, objectType, attrs, bookmark, fn)
	if err != nil {
		return "", err
	}
	return respond(ledger.Page[T]{Items: items, Bookmark: next})
}

// listAll returns every record under (objectType, attrs...) as a JSON array. It serves
// lists bounded by the consortium's size (results and shares of one query).
func listAll[T any](ctx *txContext, objectType string, attrs ...string) (string, error) {
	items := []T{}
	if err := scan(ctx, objectType, attrs, decodeInto(&items)); err != nil {
		return "", err
	}
	return respond(items)
}

// history returns the versions of key, in the order of the peer's history database.
func history(ctx *txContext, key string) ([]ledger.HistoryEntry, error) {
	it, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, ledger.Errorf(ledger.CodeInternal, "read the history of %s: %w", keyName(key), err)
	}
	defer it.Close()
	entries := []ledger.HistoryEntry{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, ledger.Errorf(ledger.CodeInternal, "read the history of %s: %w", keyName(key), err)
		}
		e := ledger.HistoryEntry{TxID: m.GetTxId(), IsDelete: m.GetIsDelete(), Value: json.RawMessage("null")}
		if ts := m.GetTimestamp(); ts != nil {
			e.Timestamp = ts.AsTime().UTC()
		}
		if v := m.GetValue(); len(v) > 0 && json.Valid(v) {
			e.Value = json.RawMessage(v)
		}
		entries = append(entries, e)
	}
	return entries, nil
}
