package testnetwork

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/network"
)

// These tests need no Fabric build and no running network: Fabric's binaries are empty
// files (or small shell scripts where a test runs one), and every state directory is a
// temporary one. None of them touches test-network/state or the demo's ports.

var fabricBinaries = []string{"peer", "orderer", "configtxgen", "cryptogen", "osnadmin"}

// sampleOrdererYAML and sampleCoreYAML stand in for Fabric's sample configuration: a few
// of its keys, including ones the network overrides and ones it must keep.
const sampleOrdererYAML = `General:
  ListenAddress: 0.0.0.0
  ListenPort: 7050
  TLS:
    Enabled: false
    ClientAuthRequired: false
  Keepalive:
    ServerMinInterval: 60s
  BootstrapMethod: file
Consensus:
  WALDir: /var/hyperledger/production/orderer/etcdraft/wal
Operations:
  ListenAddress: 127.0.0.1:8443
`

const sampleCoreYAML = `peer:
  id: jdoe
  listenAddress: 0.0.0.0:7051
  keepalive:
    interval: 7200s
  gossip:
    bootstrap: 127.0.0.1:7051
    useLeaderElection: true
  tls:
    enabled: false
vm:
  endpoint: unix:///var/run/docker.sock
chaincode:
  externalBuilders: []
  executetimeout: 30s
operations:
  listenAddress: 127.0.0.1:9443
`

// install is a fake Fabric build and statledger binary directory.
type install struct {
	fabricDir, binDir string
}

// fakeInstall creates every file New checks for.
func fakeInstall(t *testing.T) install {
	t.Helper()
	root := t.TempDir()
	in := install{fabricDir: filepath.Join(root, "fabric"), binDir: filepath.Join(root, "bin")}
	for _, dir := range []string{filepath.Join(in.fabricDir, "bin"), filepath.Join(in.fabricDir, "config"), in.binDir} {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, b := range fabricBinaries {
		writeExecutable(t, filepath.Join(in.fabricDir, "bin", b), "#!/bin/sh\nexit 0\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(in.fabricDir, "config", "orderer.yaml"), []byte(sampleOrdererYAML), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(in.fabricDir, "config", "core.yaml"), []byte(sampleCoreYAML), 0o644))
	for _, b := range []string{chaincodeServerBinary, builderBinary} {
		writeExecutable(t, filepath.Join(in.binDir, b), "#!/bin/sh\nexit 0\n")
	}
	return in
}

func writeExecutable(t *testing.T, path, script string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
}

func demoDefinition(t *testing.T) network.Definition {
	t.Helper()
	d, err := network.Load(filepath.Join("..", network.DefaultFile))
	require.NoError(t, err)
	return d
}

// newTestNetwork is a Network over a fake install and a fresh state directory.
func newTestNetwork(t *testing.T, d network.Definition) *Network {
	t.Helper()
	in := fakeInstall(t)
	n, err := New(Options{Definition: d, StateDir: filepath.Join(t.TempDir(), "state"), FabricDir: in.fabricDir, BinDir: in.binDir})
	require.NoError(t, err)
	return n
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		// remove lists files, relative to the fake install, to delete before New.
		remove []string
		want   []string
	}{
		{name: "a complete install is accepted"},
		{
			name:   "one missing Fabric binary is named with the command that builds it",
			remove: []string{"fabric/bin/osnadmin"},
			want:   []string{"fabric binary", "osnadmin is missing (run `make fabric`)"},
		},
		{
			name:   "a missing sample config is named",
			remove: []string{"fabric/config/core.yaml"},
			want:   []string{"fabric sample config core.yaml is missing (run `make fabric`)"},
		},
		{
			name:   "a missing statledger binary is named with the command that builds it",
			remove: []string{"bin/" + builderBinary},
			want:   []string{builderBinary + " is missing (run `make build`)"},
		},
		{
			name: "every missing file is reported in one error",
			remove: []string{"fabric/bin/peer", "fabric/bin/orderer", "fabric/bin/configtxgen", "fabric/bin/cryptogen",
				"fabric/bin/osnadmin", "fabric/config/core.yaml", "fabric/config/orderer.yaml",
				"bin/" + chaincodeServerBinary, "bin/" + builderBinary},
			want: []string{"peer is missing", "orderer is missing", "configtxgen is missing", "cryptogen is missing",
				"osnadmin is missing", "core.yaml is missing", "orderer.yaml is missing",
				chaincodeServerBinary + " is missing", builderBinary + " is missing"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fakeInstall(t)
			root := filepath.Dir(in.fabricDir)
			for _, r := range tc.remove {
				require.NoError(t, os.Remove(filepath.Join(root, r)))
			}
			n, err := New(Options{Definition: demoDefinition(t), StateDir: t.TempDir(), FabricDir: in.fabricDir, BinDir: in.binDir})
			if len(tc.want) == 0 {
				require.NoError(t, err)
				require.NotNil(t, n)
				return
			}
			require.Error(t, err)
			require.Nil(t, n)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.Len(t, strings.Split(err.Error(), "\n"), len(tc.remove), "one line per missing file")
		})
	}
}

func TestNewWithNothingInstalled(t *testing.T) {
	empty := t.TempDir()
	_, err := New(Options{Definition: demoDefinition(t), StateDir: t.TempDir(), FabricDir: empty, BinDir: empty})
	require.Error(t, err)
	require.Len(t, strings.Split(err.Error(), "\n"), 9, "five Fabric binaries, two sample configs, two statledger binaries:\n%v", err)
}

func TestNewDefaultsAndPaths(t *testing.T) {
	in := fakeInstall(t)
	d := demoDefinition(t)
	t.Chdir(filepath.Dir(in.fabricDir))
	n, err := New(Options{Definition: d, StateDir: "state", FabricDir: "fabric", BinDir: "bin"})
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(n.StateDir()), "relative paths are resolved once, at New")
	require.True(t, filepath.IsAbs(n.opts.FabricDir))
	require.True(t, filepath.IsAbs(n.opts.BinDir))
	require.Equal(t, DefaultBatchTimeout, n.opts.BatchTimeout)
	require.Equal(t, io.Discard, n.opts.Progress)
	require.Equal(t, d.Layout(), n.Layout())
	require.Equal(t, d, n.Definition())
	_, err = os.Stat(n.StateDir())
	require.ErrorIs(t, err, os.ErrNotExist, "New starts and creates nothing")

	n, err = New(Options{Definition: d, StateDir: "state", FabricDir: "fabric", BinDir: "bin", BatchTimeout: time.Second})
	require.NoError(t, err)
	require.Equal(t, time.Second, n.opts.BatchTimeout, "an explicit timeout is kept")
}
