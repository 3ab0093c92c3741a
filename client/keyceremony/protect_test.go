package keyceremony_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/keyceremony"
)

func TestSealOpensOnlyWithTheSameProtection(t *testing.T) {
	dir := t.TempDir()
	p, err := keyceremony.NewIdentityFile(filepath.Join(dir, "id.txt"))
	require.NoError(t, err)
	path := filepath.Join(dir, "secret")
	require.NoError(t, p.Seal(path, []byte("analyst key")))
	got, err := p.Open(path)
	require.NoError(t, err)
	require.Equal(t, []byte("analyst key"), got)
	require.Error(t, p.Seal(path, []byte("again")), "Seal never overwrites")

	other, err := keyceremony.NewIdentityFile(filepath.Join(dir, "other.txt"))
	require.NoError(t, err)
	_, err = other.Open(path)
	require.Error(t, err)
	require.ErrorIs(t, keyceremony.Protection{}.Seal(filepath.Join(dir, "x"), nil), keyceremony.ErrProtection)
}
