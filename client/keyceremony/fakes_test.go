package keyceremony_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/crypto/params"
)

// The demo consortium's key holders, in the consortium's (sorted) order, and an auditor.
const (
	hospitalA  = "HospitalAMSP"
	hospitalB  = "HospitalBMSP"
	statOffice = "StatOfficeMSP"
	regulator  = "RegulatorMSP"
)

var keyHolders = []string{hospitalA, hospitalB, statOffice}

var testSet = params.InsecureN11T58

// demoConsortium is network/consortium.yaml's shape: three key holders, t = 2.
func demoConsortium() ledger.Consortium {
	return ledger.Consortium{Name: "demo", Threshold: 2, Version: 1, Orgs: []ledger.Org{
		{Name: "StatOffice", MSPID: statOffice, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
		{Name: "HospitalA", MSPID: hospitalA, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
		{Name: "HospitalB", MSPID: hospitalB, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
		{Name: "Regulator", MSPID: regulator, Roles: []ledger.Role{ledger.RoleAuditor}},
	}}
}

// fakeLedger is the contract's collective-key rules (package ledger) over a map, acting
// as one caller.
type fakeLedger struct {
	mu     sync.Mutex
	cons   ledger.Consortium
	keys   map[string]ledger.CollectiveKey
	caller string
}

var _ keyceremony.Ledger = (*fakeLedger)(nil)

func newFakeLedger(caller string) *fakeLedger {
	return &fakeLedger{cons: demoConsortium(), keys: map[string]ledger.CollectiveKey{}, caller: caller}
}

func (f *fakeLedger) GetConsortium(context.Context) (ledger.Consortium, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cons, nil
}

func (f *fakeLedger) GetCollectiveKey(_ context.Context, id string) (ledger.CollectiveKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[id]
	if !ok {
		return ledger.CollectiveKey{}, ledger.Errorf(ledger.CodeNotFound, "collective key %s does not exist", id)
	}
	return k, nil
}

func (f *fakeLedger) RecordCollectiveKey(_ context.Context, in ledger.CollectiveKeyInput) (ledger.CollectiveKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.cons.HasRole(f.caller, ledger.RoleKeyHolder) {
		return ledger.CollectiveKey{}, ledger.Errorf(ledger.CodeForbidden, "RecordCollectiveKey needs the keyholder role; %s does not have it", f.caller)
	}
	_, exists := f.keys[in.ID]
	k, err := ledger.NewCollectiveKey(f.cons, in, exists, f.caller, "tx-"+in.ID, time.Unix(1_800_000_000, 0).UTC())
	if err != nil {
		return ledger.CollectiveKey{}, err
	}
	f.keys[in.ID] = k
	return k, nil
}

// as returns a ledger over the same state acting as another caller.
func (f *fakeLedger) as(caller string) *fakeLedger {
	f.mu.Lock()
	defer f.mu.Unlock()
	cons := f.cons
	cons.Orgs = append([]ledger.Org(nil), f.cons.Orgs...)
	return &fakeLedger{cons: cons, keys: f.keys, caller: caller}
}

// edit changes the recorded key id, as a tampering peer would.
func (f *fakeLedger) edit(id string, change func(*ledger.CollectiveKey)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[id]
	k.TranscriptDigests = append([]string(nil), k.TranscriptDigests...)
	k.Participants = append([]string(nil), k.Participants...)
	change(&k)
	f.keys[id] = k
}

// openStore opens a blob store in a temporary directory.
func openStore(t testing.TB) (*blobstore.Bucket, string) {
	t.Helper()
	dir := t.TempDir()
	u, err := blobstore.FileURL(dir)
	require.NoError(t, err)
	b, err := blobstore.Open(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b, dir
}

// localHolders gives every key holder its own directory, key share path and identity
// file.
func localHolders(t testing.TB) []keyceremony.LocalHolder {
	t.Helper()
	var hs []keyceremony.LocalHolder
	// Deliberately not in Shamir order.
	for _, msp := range []string{statOffice, hospitalB, hospitalA} {
		dir := t.TempDir()
		prot, err := keyceremony.NewIdentityFile(filepath.Join(dir, "protection", "identity.txt"))
		require.NoError(t, err)
		hs = append(hs, keyceremony.LocalHolder{MSPID: msp, KeySharePath: filepath.Join(dir, "keys", "share"), Protection: prot})
	}
	return hs
}

// holderOf returns the local holder mspID.
func holderOf(hs []keyceremony.LocalHolder, msp string) keyceremony.LocalHolder {
	for _, h := range hs {
		if h.MSPID == msp {
			return h
		}
	}
	panic("no holder " + msp)
}

// ceremonyFixture is a completed local ceremony.
type ceremonyFixture struct {
	ledger  *fakeLedger
	store   *blobstore.Bucket
	dir     string
	holders []keyceremony.LocalHolder
	result  keyceremony.LocalResult
}

func runLocal(t testing.TB, keyID string) *ceremonyFixture {
	t.Helper()
	f := &ceremonyFixture{ledger: newFakeLedger(statOffice), holders: localHolders(t)}
	f.store, f.dir = openStore(t)
	var err error
	f.result, err = keyceremony.RunLocal(context.Background(), f.ledger, f.store,
		keyceremony.LocalInput{KeyID: keyID, ParamSet: testSet, Holders: f.holders})
	require.NoError(t, err)
	return f
}
