package testnetwork

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/profile"
	"github.com/statledger/statledger/network"
)

func TestWriteProfilesGivesTheAuditorEveryOtherPeer(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	for _, org := range n.opts.Definition.Orgs {
		domain := network.Domain(org.Name)
		cert := filepath.Join(n.userMSPDir(org, "User1"), "signcerts", "User1@"+domain+"-cert.pem")
		require.NoError(t, os.MkdirAll(filepath.Dir(cert), 0o755))
		require.NoError(t, os.WriteFile(cert, []byte("cert"), 0o644))
	}
	dir := t.TempDir()
	files, err := n.WriteProfiles(filepath.Join(dir, "profiles"), filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	require.Len(t, files, 4)

	tlsCA := func(org string) string {
		return filepath.Join(n.cryptoDir(), "peerOrganizations", network.Domain(org), "tlsca", "tlsca."+network.Domain(org)+"-cert.pem")
	}
	for _, file := range files {
		p, err := profile.Load(file)
		require.NoError(t, err)
		require.NoError(t, p.Validate(), file)
		if p.Org != "Regulator" {
			require.Empty(t, p.Peers, "%s is no auditor", p.Org)
			continue
		}
		require.Equal(t, "127.0.0.1:7180", p.PeerEndpoint)
		require.Equal(t, []profile.Peer{
			{Org: "StatOffice", Endpoint: "127.0.0.1:7150", TLSCAFile: tlsCA("StatOffice")},
			{Org: "HospitalA", Endpoint: "127.0.0.1:7160", TLSCAFile: tlsCA("HospitalA")},
			{Org: "HospitalB", Endpoint: "127.0.0.1:7170", TLSCAFile: tlsCA("HospitalB")},
		}, p.Peers)
	}
}
