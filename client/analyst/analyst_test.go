package analyst

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

func TestLoadOrCreateKeyMakesTheKeyOnceAndSealsIt(t *testing.T) {
	dir := t.TempDir()
	prot, err := keyceremony.NewIdentityFile(filepath.Join(dir, "id.txt"))
	require.NoError(t, err)
	set := params.MustNamed(params.InsecureN11T58)
	path := filepath.Join(dir, "analyst.key")

	first, created, err := LoadOrCreateKey(path, set, prot)
	require.NoError(t, err)
	require.True(t, created)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	secret, err := first.MarshalBinary()
	require.NoError(t, err)
	require.NotContains(t, string(raw), string(secret[len(secret)-64:]), "the key is sealed, not stored in the clear")

	again, created, err := LoadOrCreateKey(path, set, prot)
	require.NoError(t, err)
	require.False(t, created)
	a, err := first.PublicBytes()
	require.NoError(t, err)
	b, err := again.PublicBytes()
	require.NoError(t, err)
	require.Equal(t, a, b, "the same key pair comes back")

	other, err := keyceremony.NewIdentityFile(filepath.Join(dir, "other.txt"))
	require.NoError(t, err)
	_, _, err = LoadOrCreateKey(path, set, other)
	require.Error(t, err, "another protection does not open it, and it is not replaced")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "garbage.key"), []byte("junk"), 0o600))
	_, _, err = LoadOrCreateKey(filepath.Join(dir, "garbage.key"), set, prot)
	require.Error(t, err)
}

func TestPublishKeyStoresThePublicHalfUnderItsDigest(t *testing.T) {
	ctx := context.Background()
	store, err := blobstore.Open(ctx, "mem://")
	require.NoError(t, err)
	defer store.Close()
	set := params.MustNamed(params.InsecureN11T58)
	key := decrypt.NewAnalystKey(set)
	digest, uri, err := PublishKey(ctx, store, key)
	require.NoError(t, err)
	require.Equal(t, store.URI(digest), uri)
	want, err := decrypt.AnalystDigest(set, key.PublicKey())
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(want[:]), digest, "the digest a query names is the key's")
	blob, err := store.Get(ctx, digest)
	require.NoError(t, err)
	d, err := blobstore.ParseDigest(digest)
	require.NoError(t, err)
	_, err = decrypt.ParseAnalystPublic(set, blob, &d)
	require.NoError(t, err)
}

type queryLedger struct {
	Ledger
	q ledger.Query
}

func (l queryLedger) GetQuery(context.Context, string) (ledger.Query, error) { return l.q, nil }

func TestOpenRefusesAQueryThatIsNotReady(t *testing.T) {
	for _, st := range []ledger.Status{ledger.StatusPending, ledger.StatusApproved, ledger.StatusDecrypting, ledger.StatusDisputed} {
		r := &Releaser{Ledger: queryLedger{q: ledger.Query{ID: "q-1", Status: st}}}
		_, _, err := r.Open(context.Background(), "q-1")
		require.ErrorIs(t, err, ErrNotReady, "status %s", st)
	}
}

// releaseLedger records the release it is asked to record.
type releaseLedger struct {
	Ledger
	got *ledger.ReleaseInput
}

func (l releaseLedger) RecordRelease(_ context.Context, in ledger.ReleaseInput) (ledger.Release, error) {
	*l.got = in
	return ledger.Release{QueryID: in.QueryID, TableDigest: in.TableDigest, TableURI: in.TableURI}, nil
}

func smallTable(t *testing.T) *release.Table {
	t.Helper()
	tab, err := release.New(release.Input{
		DatasetID: "d-1", QueryID: "q-1",
		Schema: policies.Schema{Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"R1", "R2"}}}, Measures: []policies.Measure{{Name: "stay", Min: 0, Max: 9}}},
		Policy: policies.Policy{AllowedDimensions: []string{"region"}, AllowedStatistics: []policies.Statistic{policies.StatCount},
			MaxOutputCells: 10, EpsilonPerQuery: 500_000, EpsilonTotal: 1_000_000, Delta: "1e-9", MinSubmissions: 1,
			MaxRecordsPerSubmission: 100, MaxSubmissions: 2, MinCellCount: 5, RequiredResults: 1, Approval: policies.ApprovalRule{MinApprovals: 1}},
		Query: policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: 500_000},
		Cells: []release.Cell{{Codes: []string{"R1"}, Count: 40}, {Codes: []string{"R2"}, Count: 2}},
	})
	require.NoError(t, err)
	return tab
}

func TestReleasePublishesTheTableInTheStoreAndRecordsItsURI(t *testing.T) {
	ctx := context.Background()
	for _, public := range []bool{false, true} {
		store, err := blobstore.Open(ctx, "mem://")
		require.NoError(t, err)
		defer store.Close()
		var got ledger.ReleaseInput
		r := &Releaser{Ledger: releaseLedger{got: &got}, Store: store}
		tab := smallTable(t)
		rel, err := r.record(ctx, ledger.Query{ID: "q-1"}, public, tab)
		require.NoError(t, err)
		require.Equal(t, tab.Digest(), got.TableDigest)
		require.Equal(t, store.URI(tab.Digest()), got.TableURI)
		require.Equal(t, got.TableURI, rel.TableURI)
		require.Equal(t, []int{1}, got.Suppressed)
		blob, err := store.Get(ctx, got.TableDigest)
		require.NoError(t, err)
		require.Equal(t, tab.Canonical(), blob, "the stored table is the canonical JSON")
		if public {
			require.Equal(t, string(tab.Canonical()), got.Table)
		} else {
			require.Empty(t, got.Table, "a table of a private release stays off the ledger")
		}
	}
}

// lyingStore stores under another digest than the content's.
type lyingStore struct{ Store }

func (lyingStore) Put(context.Context, []byte) (string, error) {
	return blobstore.Digest([]byte("something else")), nil
}

func TestReleaseRecordsNothingWhenTheStoreMisplacesTheTable(t *testing.T) {
	ctx := context.Background()
	store, err := blobstore.Open(ctx, "mem://")
	require.NoError(t, err)
	defer store.Close()
	var got ledger.ReleaseInput
	r := &Releaser{Ledger: releaseLedger{got: &got}, Store: lyingStore{store}}
	_, err = r.record(ctx, ledger.Query{ID: "q-1"}, false, smallTable(t))
	require.ErrorContains(t, err, "stored the table of query q-1 under digest")
	require.Empty(t, got.QueryID, "nothing recorded")
}
