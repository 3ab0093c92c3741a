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
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/params"
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
