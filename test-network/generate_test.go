package testnetwork

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// dig follows a dotted path through a YAML tree.
func dig(t *testing.T, tree map[string]any, path ...string) any {
	t.Helper()
	var cur any = tree
	for _, k := range path {
		m, ok := cur.(map[string]any)
		require.True(t, ok, "%v is not a map at %q", path, k)
		cur, ok = m[k]
		require.True(t, ok, "no %q in %v", k, path)
	}
	return cur
}

func TestWriteOrdererConfig(t *testing.T) {
	d := demoDefinition(t)
	d.Orderer.Nodes = 3
	n := newTestNetwork(t, d)
	for _, o := range n.layout.Orderers {
		t.Run(o.Name+" gets its own ports, TLS and data directories and keeps the sample's other keys", func(t *testing.T) {
			require.NoError(t, n.writeOrdererConfig(o))
			tree := readTree(t, filepath.Join(n.ordererConfigDir(o), "orderer.yaml"))
			tls := filepath.Join(n.ordererNodeDir(o), "tls")

			require.Equal(t, "127.0.0.1", dig(t, tree, "General", "ListenAddress"))
			require.Equal(t, o.ListenPort, dig(t, tree, "General", "ListenPort"))
			require.Equal(t, "none", dig(t, tree, "General", "BootstrapMethod"), "no system channel (FABRIC-NOTES.md)")
			require.Equal(t, true, dig(t, tree, "General", "TLS", "Enabled"))
			require.Equal(t, filepath.Join(tls, "server.key"), dig(t, tree, "General", "TLS", "PrivateKey"))
			require.Equal(t, []any{filepath.Join(tls, "ca.crt")}, dig(t, tree, "General", "Cluster", "RootCAs"))
			require.Equal(t, "OrdererMSP", dig(t, tree, "General", "LocalMSPID"))
			require.Equal(t, fmt.Sprintf("127.0.0.1:%d", o.AdminPort), dig(t, tree, "Admin", "ListenAddress"))
			require.Equal(t, true, dig(t, tree, "Admin", "TLS", "ClientAuthRequired"))
			require.Equal(t, []any{n.ordererTLSCA()}, dig(t, tree, "Admin", "TLS", "ClientRootCAs"))
			require.Equal(t, fmt.Sprintf("127.0.0.1:%d", o.OpsPort), dig(t, tree, "Operations", "ListenAddress"))
			require.Equal(t, true, dig(t, tree, "ChannelParticipation", "Enabled"))
			require.Equal(t, filepath.Join(n.ordererConfigDir(o), "data"), dig(t, tree, "FileLedger", "Location"))
			require.Equal(t, filepath.Join(n.ordererConfigDir(o), "data", "etcdraft", "wal"), dig(t, tree, "Consensus", "WALDir"))

			require.Equal(t, "60s", dig(t, tree, "General", "Keepalive", "ServerMinInterval"), "sample keys survive")
			require.Equal(t, false, dig(t, tree, "General", "TLS", "ClientAuthRequired"), "sample keys survive next to set ones")
		})
	}
}

func TestWritePeerConfig(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	seen := map[string]string{}
	for _, p := range n.layout.Peers {
		t.Run(p.Org.Name+"'s peer gets its own ports, MSP and no Docker", func(t *testing.T) {
			require.NoError(t, n.writePeerConfig(p))
			tree := readTree(t, filepath.Join(n.peerConfigDir(p), "core.yaml"))
			addr := fmt.Sprintf("127.0.0.1:%d", p.ListenPort)

			require.Equal(t, p.Host, dig(t, tree, "peer", "id"))
			require.Equal(t, "statledger-demo", dig(t, tree, "peer", "networkId"))
			for _, k := range []string{"listenAddress", "address"} {
				require.Equal(t, addr, dig(t, tree, "peer", k))
			}
			for _, k := range []string{"bootstrap", "endpoint", "externalEndpoint"} {
				require.Equal(t, addr, dig(t, tree, "peer", "gossip", k), "gossip.%s", k)
			}
			require.Equal(t, "2s", dig(t, tree, "peer", "gossip", "reconnectInterval"), "a refused anchor peer is tried again soon")
			cc := fmt.Sprintf("127.0.0.1:%d", p.ChaincodePort)
			require.Equal(t, cc, dig(t, tree, "peer", "chaincodeListenAddress"))
			require.Equal(t, cc, dig(t, tree, "peer", "chaincodeAddress"))
			require.Equal(t, fmt.Sprintf("127.0.0.1:%d", p.OpsPort), dig(t, tree, "operations", "listenAddress"))
			require.Equal(t, p.Org.MSPID, dig(t, tree, "peer", "localMspId"))
			require.Equal(t, filepath.Join(n.peerNodeDir(p), "msp"), dig(t, tree, "peer", "mspConfigPath"))
			require.Equal(t, true, dig(t, tree, "peer", "tls", "enabled"))
			require.Equal(t, "", dig(t, tree, "vm", "endpoint"), "the Docker endpoint is cleared in the file itself")
			require.Equal(t, []any{map[string]any{"name": "statledger-ccaas", "path": n.builderDir()}},
				dig(t, tree, "chaincode", "externalBuilders"))

			require.Equal(t, "7200s", dig(t, tree, "peer", "keepalive", "interval"), "sample keys survive")
			require.Equal(t, true, dig(t, tree, "peer", "gossip", "useLeaderElection"), "sample keys survive next to set ones")
			require.Equal(t, "30s", dig(t, tree, "chaincode", "executetimeout"))

			dataDir := dig(t, tree, "peer", "fileSystemPath").(string)
			for org, other := range seen {
				require.NotEqual(t, other, dataDir, "%s and %s share a ledger directory", p.Org.Name, org)
			}
			seen[p.Org.Name] = dataDir
		})
	}
}

func TestWriteConfigFromABrokenSample(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	require.NoError(t, os.WriteFile(filepath.Join(n.opts.FabricDir, "config", "core.yaml"), []byte("peer: [\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(n.opts.FabricDir, "config", "orderer.yaml")))

	err := n.writePeerConfig(n.layout.Peers[0])
	require.ErrorContains(t, err, "parse sample config")
	require.ErrorContains(t, err, "core.yaml")
	err = n.writeOrdererConfig(n.layout.Orderers[0])
	require.ErrorContains(t, err, "read sample config")
	_, statErr := os.Stat(n.peerConfigDir(n.layout.Peers[0]))
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing is written from a broken sample")
}

func TestGeneratedBeforeTheGenesisBlock(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	require.False(t, n.generated())
	require.NoError(t, os.MkdirAll(filepath.Dir(n.genesisBlock()), 0o755))
	require.NoError(t, os.WriteFile(n.genesisBlock(), []byte("block"), 0o644))
	require.True(t, n.generated(), "the genesis block marks a generated network")
}
