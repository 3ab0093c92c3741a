package contract

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/statledger/statledger/chaincode/ledger"
)

// This file is a small in-memory Fabric for the contract tests: a world state with
// versions and history, a ChaincodeStubInterface fake that simulates one transaction
// against it the way a peer does (reads see committed state only, never the
// transaction's own writes; writes are buffered; one event), and a commit step that
// validates the read set (MVCC and phantom reads) before applying the writes.

// world is the committed ledger.
type world struct {
	state   map[string]versioned
	history map[string][]*queryresult.KeyModification
	height  uint64
	now     time.Time
	txs     int
}

type versioned struct {
	value   []byte
	version uint64
}

func newWorld() *world {
	return &world{
		state:   map[string]versioned{},
		history: map[string][]*queryresult.KeyModification{},
		now:     time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	}
}

// sortedKeys returns the committed keys in [start, end), sorted.
func (w *world) sortedKeys(start, end string) []string {
	var keys []string
	for k := range w.state {
		if k >= start && k < end {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// rangeRead is a range query a transaction ran, for phantom-read validation.
type rangeRead struct {
	start, end string
	keys       []string
	versions   []uint64
}

// errMVCC is returned by commit when a read-set entry changed since simulation.
var errMVCC = errors.New("MVCC_READ_CONFLICT")

// commit validates the simulated transaction s against the current state and applies
// its writes, as the committing peer does.
func (w *world) commit(s *fakeStub) error {
	if s.paginated && len(s.writes) > 0 {
		return errors.New("a transaction that ran a paginated query may not write")
	}
	for k, v := range s.reads {
		if w.state[k].version != v {
			return fmt.Errorf("%w on %q", errMVCC, keyName(k))
		}
	}
	for _, r := range s.ranges {
		keys := w.sortedKeys(r.start, r.end)
		if len(keys) != len(r.keys) {
			return fmt.Errorf("%w: phantom read", errMVCC)
		}
		for i, k := range keys {
			if k != r.keys[i] || w.state[k].version != r.versions[i] {
				return fmt.Errorf("%w: phantom read", errMVCC)
			}
		}
	}
	w.height++
	keys := make([]string, 0, len(s.writes))
	for k := range s.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.writes[k]
		mod := &queryresult.KeyModification{TxId: s.txID, Value: v, Timestamp: s.ts, IsDelete: v == nil}
		w.history[k] = append([]*queryresult.KeyModification{mod}, w.history[k]...) // newest first
		if v == nil {
			delete(w.state, k)
			continue
		}
		w.state[k] = versioned{value: v, version: w.height}
	}
	return nil
}

// fakeStub simulates one transaction. Methods the contract never calls are left to the
// embedded nil interface and panic, so a new dependency shows up in the tests.
type fakeStub struct {
	shim.ChaincodeStubInterface
	w         *world
	args      [][]byte
	txID      string
	creator   []byte
	ts        *timestamppb.Timestamp
	reads     map[string]uint64
	ranges    []rangeRead
	paginated bool
	writes    map[string][]byte
	events    []*peer.ChaincodeEvent
	// roundTrips counts the messages a real shim would exchange with a peer that offers
	// batched state calls (statledger's patched peer): one per read or multiple read, one
	// per range query and one per iterator closed, and the writes and deletes of a write
	// batch in one when the transaction ends (endorse adds it), or one each without a
	// batch.
	roundTrips int
	// batch is set once the chaincode started a write batch; batched counts its writes.
	batch   bool
	batched int
}

var _ shim.ChaincodeStubInterface = (*fakeStub)(nil)

func (s *fakeStub) GetArgs() [][]byte { return s.args }

func (s *fakeStub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

func (s *fakeStub) GetFunctionAndParameters() (string, []string) {
	all := s.GetStringArgs()
	if len(all) == 0 {
		return "", nil
	}
	return all[0], all[1:]
}

func (s *fakeStub) GetTxID() string                                 { return s.txID }
func (s *fakeStub) GetChannelID() string                            { return "statistics" }
func (s *fakeStub) GetCreator() ([]byte, error)                     { return s.creator, nil }
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.ts, nil }

func (s *fakeStub) GetState(key string) ([]byte, error) {
	s.roundTrips++
	v := s.w.state[key]
	s.reads[key] = v.version
	return append([]byte(nil), v.value...), nil
}

func (s *fakeStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	s.roundTrips++
	out := make([][]byte, len(keys))
	for i, key := range keys {
		v := s.w.state[key]
		s.reads[key] = v.version
		if v.value != nil {
			out[i] = append([]byte(nil), v.value...)
		}
	}
	return out, nil
}

func (s *fakeStub) StartWriteBatch() { s.batch = true }

// write counts one write or delete's round trip.
func (s *fakeStub) write() {
	if s.batch {
		s.batched++
		return
	}
	s.roundTrips++
}

func (s *fakeStub) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be empty")
	}
	if len(value) == 0 {
		return errors.New("value must not be empty")
	}
	s.write()
	s.writes[key] = append([]byte(nil), value...)
	return nil
}

func (s *fakeStub) DelState(key string) error {
	s.write()
	s.writes[key] = nil
	return nil
}

func (s *fakeStub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name must not be empty")
	}
	s.events = append(s.events, &peer.ChaincodeEvent{EventName: name, Payload: payload, TxId: s.txID})
	return nil
}

func (s *fakeStub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

// partialRange returns the key range of a partial composite key, as the shim builds it.
func partialRange(objectType string, attributes []string) (string, string, error) {
	start, err := shim.CreateCompositeKey(objectType, attributes)
	return start, start + string(rune(0x10FFFF)), err
}

func (s *fakeStub) GetStateByPartialCompositeKey(objectType string, attributes []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialRange(objectType, attributes)
	if err != nil {
		return nil, err
	}
	s.roundTrips++
	keys := s.w.sortedKeys(start, end)
	r := rangeRead{start: start, end: end, keys: keys}
	for _, k := range keys {
		r.versions = append(r.versions, s.w.state[k].version)
	}
	s.ranges = append(s.ranges, r)
	return s.iterator(keys), nil
}

func (s *fakeStub) GetStateByPartialCompositeKeyWithPagination(objectType string, attributes []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, end, err := partialRange(objectType, attributes)
	if err != nil {
		return nil, nil, err
	}
	if bookmark != "" {
		start = bookmark // the peer does the same, unchecked
	}
	s.paginated = true
	s.roundTrips++
	keys := s.w.sortedKeys(start, end)
	next := ""
	if len(keys) > int(pageSize) {
		next = keys[pageSize]
		keys = keys[:pageSize]
	}
	return s.iterator(keys), &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(keys)), Bookmark: next}, nil
}

func (s *fakeStub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	return &sliceIterator[*queryresult.KeyModification]{items: s.w.history[key]}, nil
}

// iterator returns an iterator over the committed values of keys.
func (s *fakeStub) iterator(keys []string) *sliceIterator[*queryresult.KV] {
	it := &sliceIterator[*queryresult.KV]{closed: func() { s.roundTrips++ }}
	for _, k := range keys {
		it.items = append(it.items, &queryresult.KV{Key: k, Value: s.w.state[k].value})
	}
	return it
}

// sliceIterator iterates over a slice: the state and history iterators of the fake.
// closed, when set, is called by Close.
type sliceIterator[T any] struct {
	items  []T
	closed func()
}

func (it *sliceIterator[T]) HasNext() bool { return len(it.items) > 0 }

func (it *sliceIterator[T]) Close() error {
	if it.closed != nil {
		it.closed()
	}
	return nil
}
func (it *sliceIterator[T]) Next() (T, error) {
	var v T
	if len(it.items) == 0 {
		return v, errors.New("no more results")
	}
	v, it.items = it.items[0], it.items[1:]
	return v, nil
}

// identity is a client identity: an MSP ID and a serialized X.509 certificate.
type identity struct {
	mspID   string
	name    string
	creator []byte
}

// newIdentity makes a self-signed certificate for name in organisation mspID, with the
// statledger.role attribute set to role when role is not empty (in Fabric CA's
// attribute extension, which cid reads), and serializes it as a peer would see it.
func newIdentity(t testing.TB, mspID, name, role string) identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name, Organization: []string{mspID}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if role != "" {
		attrs, err := json.Marshal(map[string]map[string]string{"attrs": {"statledger.role": role}})
		require.NoError(t, err)
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrmgr.AttrOID, Value: attrs}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: cert})
	require.NoError(t, err)
	return identity{mspID: mspID, name: name, creator: creator}
}

// fabric runs the chaincode against a world.
type fabric struct {
	t      testing.TB
	cc     *contractapi.ContractChaincode
	w      *world
	events []ledger.Event // the events of the committed transactions, in order
}

func newFabric(t testing.TB) *fabric {
	t.Helper()
	cc, err := NewChaincode()
	require.NoError(t, err)
	return &fabric{t: t, cc: cc, w: newWorld()}
}

// simulate runs fn as one transaction of id against the current state, without
// committing it.
func (f *fabric) simulate(id identity, fn string, args ...string) (*fakeStub, *peer.Response) {
	f.w.txs++
	return f.endorse(fmt.Sprintf("tx%04d", f.w.txs), id, fn, args)
}

// endorse runs one endorsement of the transaction txID, as one peer does.
func (f *fabric) endorse(txID string, id identity, fn string, args []string) (*fakeStub, *peer.Response) {
	s := &fakeStub{
		w:       f.w,
		txID:    txID,
		creator: id.creator,
		ts:      timestamppb.New(f.w.now),
		reads:   map[string]uint64{},
		writes:  map[string][]byte{},
	}
	s.args = append(s.args, []byte(fn))
	for _, a := range args {
		s.args = append(s.args, []byte(a))
	}
	resp := f.cc.Invoke(s)
	if s.batched > 0 { // the shim sends the write batch when the transaction ends
		s.roundTrips++
	}
	return s, resp
}

// result turns a response into the transaction's payload or its error. A payload that
// refers to a written record (ledger.Written) gives that record as s wrote it, as
// client/fabric's Submit does.
func result(s *fakeStub, resp *peer.Response) (string, error) {
	if resp.GetStatus() != shim.OK {
		return "", errors.New(resp.GetMessage())
	}
	if key, ok := ledger.WrittenKey(resp.GetPayload()); ok {
		v, written := s.writes[key]
		if !written || v == nil {
			return "", fmt.Errorf("the response refers to %q, which the transaction did not write", key)
		}
		return string(v), nil
	}
	return string(resp.GetPayload()), nil
}

// submit runs fn as a transaction of id and commits it when it succeeds. Two peers
// endorse it, and as the endorsement policy demands, they must agree byte for byte on
// the response, the writes and the event: the chaincode is deterministic.
func (f *fabric) submit(id identity, fn string, args ...string) (string, error) {
	f.t.Helper()
	s, resp := f.simulate(id, fn, args...)
	other, otherResp := f.endorse(s.txID, id, fn, args)
	require.True(f.t, proto.Equal(resp, otherResp), "%s: the endorsers' responses differ", fn)
	require.Equal(f.t, s.writes, other.writes, "%s: the endorsers' writes differ", fn)
	require.Len(f.t, other.events, len(s.events))
	for i, e := range s.events {
		require.True(f.t, proto.Equal(e, other.events[i]), "%s: the endorsers' events differ", fn)
	}
	out, err := result(s, resp)
	if err != nil {
		return "", err
	}
	return out, f.commit(s, fn)
}

// commit commits a successful simulation; a state change must emit exactly one event.
func (f *fabric) commit(s *fakeStub, fn string) error {
	f.t.Helper()
	if len(s.writes) > 0 {
		require.Len(f.t, s.events, 1, "%s must emit exactly one event", fn)
	}
	if err := f.w.commit(s); err != nil {
		return err
	}
	for _, e := range s.events {
		var ev ledger.Event
		require.NoError(f.t, json.Unmarshal(e.GetPayload(), &ev))
		require.Equal(f.t, e.GetEventName(), ev.Name)
		f.events = append(f.events, ev)
	}
	return nil
}

// evaluate runs fn as a query of id: nothing is committed, and nothing may be written.
func (f *fabric) evaluate(id identity, fn string, args ...string) (string, error) {
	f.t.Helper()
	s, resp := f.simulate(id, fn, args...)
	require.Empty(f.t, s.writes, "%s must not write", fn)
	require.Empty(f.t, s.events, "%s must not emit events", fn)
	return result(s, resp)
}

// must submits fn and decodes its JSON response into a T.
func must[T any](f *fabric, id identity, fn string, args ...string) T {
	f.t.Helper()
	out, err := f.submit(id, fn, args...)
	require.NoError(f.t, err, "%s by %s", fn, id.name)
	var v T
	require.NoError(f.t, json.Unmarshal([]byte(out), &v), "%s response %s", fn, out)
	return v
}

// read evaluates fn and decodes its JSON response into a T.
func read[T any](f *fabric, id identity, fn string, args ...string) T {
	f.t.Helper()
	out, err := f.evaluate(id, fn, args...)
	require.NoError(f.t, err, "%s by %s", fn, id.name)
	var v T
	require.NoError(f.t, json.Unmarshal([]byte(out), &v), "%s response %s", fn, out)
	return v
}

// readPages reads a paged list to its end, passing each page's bookmark to the next call
// after args, and returns the pages' items and the bookmark that fetched the last page.
// It stops with a failure after 100 pages.
func readPages[T any](f *fabric, id identity, fn string, args ...string) ([][]T, string) {
	f.t.Helper()
	var pages [][]T
	bookmark := ""
	for {
		require.Less(f.t, len(pages), 100, "%s does not end", fn)
		page := read[ledger.Page[T]](f, id, fn, append(slices.Clone(args), bookmark)...)
		pages = append(pages, page.Items)
		if page.Bookmark == "" {
			return pages, bookmark
		}
		bookmark = page.Bookmark
	}
}

// jsonString encodes v for a transaction argument.
func jsonString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
