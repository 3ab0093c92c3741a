package testnetwork

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/network"
)

func TestIdentity(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	// cryptogen's layout for the users the tests ask for; only the certificate is checked.
	for _, id := range []struct{ org, user string }{{"HospitalA", "User1"}, {"StatOffice", "Admin"}, {"Outsider", "User1"}} {
		domain := network.Domain(id.org)
		cert := filepath.Join(n.cryptoDir(), "peerOrganizations", domain, "users", id.user+"@"+domain, "msp", "signcerts", id.user+"@"+domain+"-cert.pem")
		require.NoError(t, os.MkdirAll(filepath.Dir(cert), 0o755))
		require.NoError(t, os.WriteFile(cert, []byte("cert"), 0o644))
	}

	tests := []struct {
		name    string
		call    func() (string, string, string, string, error)
		want    [4]string // MSP ID, cert file suffix, peer address, TLS CA suffix
		wantErr string
	}{
		{
			name: "a user of a member organisation talks to its own peer",
			call: identityOf(n.User, "HospitalA"),
			want: [4]string{"HospitalAMSP", "users/User1@hospitala.statledger.local/msp/signcerts/User1@hospitala.statledger.local-cert.pem", "127.0.0.1:7160", "tlsca/tlsca.hospitala.statledger.local-cert.pem"},
		},
		{
			name: "an organisation may be named by MSP ID",
			call: identityOf(n.User, "HospitalAMSP"),
			want: [4]string{"HospitalAMSP", "users/User1@hospitala.statledger.local/msp/signcerts/User1@hospitala.statledger.local-cert.pem", "127.0.0.1:7160", "tlsca/tlsca.hospitala.statledger.local-cert.pem"},
		},
		{
			name: "an admin identity uses the Admin user",
			call: identityOf(n.Admin, "StatOffice"),
			want: [4]string{"StatOfficeMSP", "users/Admin@statoffice.statledger.local/msp/signcerts/Admin@statoffice.statledger.local-cert.pem", "127.0.0.1:7150", "tlsca/tlsca.statoffice.statledger.local-cert.pem"},
		},
		{
			name: "the outsider has no peer and talks to the first consortium peer",
			call: identityOf(n.User, "OutsiderMSP"),
			want: [4]string{"OutsiderMSP", "users/User1@outsider.statledger.local/msp/signcerts/User1@outsider.statledger.local-cert.pem", "127.0.0.1:7150", "tlsca/tlsca.statoffice.statledger.local-cert.pem"},
		},
		{name: "an organisation outside the definition is refused", call: identityOf(n.User, "Nobody"), wantErr: `organisation "Nobody" is not in the consortium definition`},
		{name: "the orderer organisation has no client identity here", call: identityOf(n.User, "Orderer"), wantErr: `organisation "Orderer" is not in the consortium definition`},
		{name: "an identity not generated yet says so", call: identityOf(n.User, "Regulator"), wantErr: "(is the network generated?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msp, cert, peer, tlsCA, err := tc.call()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want[0], msp)
			require.True(t, filepath.IsAbs(cert))
			require.Contains(t, cert, tc.want[1])
			require.Equal(t, tc.want[2], peer)
			require.Contains(t, tlsCA, tc.want[3])
		})
	}
}

func identityOf(fn func(string) (fabric.Identity, error), org string) func() (string, string, string, string, error) {
	return func() (string, string, string, string, error) {
		id, err := fn(org)
		return id.MSPID, id.CertFile, id.PeerAddress, id.TLSCAFile, err
	}
}

func TestAdminEnv(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	p, ok := n.layout.Peer("HospitalB")
	require.True(t, ok)
	env := n.adminEnv(p)
	for _, want := range []string{
		"CORE_PEER_LOCALMSPID=HospitalBMSP",
		"CORE_PEER_ADDRESS=127.0.0.1:7170",
		"CORE_PEER_TLS_ENABLED=true",
		"FABRIC_CFG_PATH=" + n.path("peers", "HospitalB"),
		"CORE_PEER_MSPCONFIGPATH=" + n.userMSPDir(p.Org, "Admin"),
		"CORE_PEER_TLS_ROOTCERT_FILE=" + n.orgTLSCA(p.Org),
	} {
		require.Contains(t, env, want)
	}
	require.Equal(t, []string{"-o", "127.0.0.1:7050", "--tls", "--cafile", n.ordererTLSCA()}, n.ordererArgs())
}

func TestDefinitionArgs(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	policy := "OutOf(2,'StatOfficeMSP.peer','HospitalAMSP.peer','HospitalBMSP.peer')"
	tests := []struct {
		name string
		c    chaincode
		want []string
	}{
		{
			name: "the statledger contract needs a majority of members and no init transaction",
			c:    n.statledgerChaincode(),
			want: []string{"--channelID", "statistics", "--name", "statledger", "--version", "1", "--sequence", "1", "--signature-policy", policy},
		},
		{
			name: "the bench chaincode pays for the same endorsements",
			c:    n.benchChaincode(),
			want: []string{"--channelID", "statistics", "--name", "benchkv", "--version", "1", "--sequence", "1", "--signature-policy", policy},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, n.definitionArgs(tc.c))
		})
	}
}

func TestPeerTargetsAndMemberPeers(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	members := n.memberPeers()
	var orgs []string
	for _, p := range members {
		orgs = append(orgs, p.Org.Name)
	}
	require.Equal(t, []string{"StatOffice", "HospitalA", "HospitalB"}, orgs, "the regulator does not endorse")
	args := n.peerTargets(members[:2])
	require.Equal(t, []string{
		"--peerAddresses", "127.0.0.1:7150", "--tlsRootCertFiles", n.orgTLSCA(members[0].Org),
		"--peerAddresses", "127.0.0.1:7160", "--tlsRootCertFiles", n.orgTLSCA(members[1].Org),
	}, args)
	require.Empty(t, n.peerTargets(nil))
}

func TestContainsLine(t *testing.T) {
	out := []byte("2026-12-03 INFO Channels peers has joined:\nstatistics\n  other-channel  \n")
	tests := []struct {
		name string
		line string
		want bool
	}{
		{name: "a channel on its own line is found", line: "statistics", want: true},
		{name: "surrounding spaces are ignored", line: "other-channel", want: true},
		{name: "a prefix of a channel is not that channel", line: "stat"},
		{name: "a word inside a log line is not a channel", line: "joined:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, containsLine(out, tc.line))
		})
	}
}

func TestRetry(t *testing.T) {
	errBusy := errors.New("busy")
	tests := []struct {
		name     string
		failures int // calls that fail before one succeeds
		attempts int
		want     error
		calls    int
	}{
		{name: "a first success is not retried", failures: 0, attempts: 3, calls: 1},
		{name: "failures are retried until success", failures: 2, attempts: 3, calls: 3},
		{name: "the last error is returned when every attempt fails", failures: 10, attempts: 3, want: errBusy, calls: 3},
		{name: "one attempt means no retry", failures: 10, attempts: 1, want: errBusy, calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retry(context.Background(), tc.attempts, time.Millisecond, func() error {
				calls++
				if calls <= tc.failures {
					return errBusy
				}
				return nil
			})
			require.Equal(t, tc.calls, calls)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	errBusy := errors.New("busy")
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	err := retry(ctx, 100, time.Hour, func() error {
		calls++
		cancel()
		return errBusy
	})
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 1, calls)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, errBusy, "the last error is kept")
}

func TestBlockHeight(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		org     string
		want    uint64
		wantErr string
	}{
		{
			name:   "the height is read from the peer's channel info",
			script: `echo "2026-12-03 08:00:00.000 UTC [channelCmd] InitCmdFactory -> INFO 001 Endorser and orderer connections initialized"; echo 'Blockchain info: {"height":42,"currentBlockHash":"abc"}'`,
			org:    "HospitalA", want: 42,
		},
		{
			name:   "the organisation may be named by MSP ID",
			script: `echo 'Blockchain info: {"height":7}'`,
			org:    "RegulatorMSP", want: 7,
		},
		{name: "an organisation without a peer is refused", script: "exit 0", org: "Outsider", wantErr: `organisation "Outsider" has no peer`},
		{name: "a failing peer command reports its output", script: "echo 'channel statistics not found' >&2; exit 1", org: "HospitalA", wantErr: "channel statistics not found"},
		{name: "output without channel info is refused", script: "echo hello", org: "HospitalA", wantErr: "unexpected output"},
		{name: "channel info that is not JSON is refused", script: "echo 'Blockchain info: height=3'", org: "HospitalA", wantErr: "decode channel info"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNetwork(t, demoDefinition(t))
			writeExecutable(t, n.fabricBin("peer"), "#!/bin/sh\n"+tc.script+"\n")
			h, err := n.BlockHeight(context.Background(), tc.org)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, h)
		})
	}
}

func TestBlockHeightAsksTheRightPeer(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	// The fake peer prints its arguments and environment, so the call can be checked.
	writeExecutable(t, n.fabricBin("peer"), "#!/bin/sh\necho \"args: $*\" >&2\necho \"addr: $CORE_PEER_ADDRESS\" >&2\necho 'Blockchain info: {\"height\":1}'\n")
	out, err := n.run(context.Background(), n.adminEnv(n.layout.Peers[1]), n.fabricBin("peer"), "channel", "getinfo", "-c", n.layout.ChannelID)
	require.NoError(t, err)
	require.Contains(t, string(out), "args: channel getinfo -c statistics")
	require.Contains(t, string(out), fmt.Sprintf("addr: 127.0.0.1:%d", n.layout.Peers[1].ListenPort))
	h, err := n.BlockHeight(context.Background(), "HospitalA")
	require.NoError(t, err)
	require.Equal(t, uint64(1), h)
}

func TestEveryNodeHasItsOwnFiles(t *testing.T) {
	d := demoDefinition(t)
	d.Orderer.Nodes = 3
	n := newTestNetwork(t, d)
	require.NoError(t, n.writeChaincodePackage(n.statledgerChaincode()))
	nodes, err := n.nodes()
	require.NoError(t, err)
	var logs, pids []string
	for _, nd := range nodes {
		require.False(t, slices.Contains(logs, n.LogFile(nd.name)), nd.name)
		require.False(t, slices.Contains(pids, n.pidFile(nd.name)), nd.name)
		logs = append(logs, n.LogFile(nd.name))
		pids = append(pids, n.pidFile(nd.name))
	}
	require.Len(t, nodes, 3+4+1)
}
