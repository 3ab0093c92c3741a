package network

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// definitionWith is a valid definition with the given base port, orderer nodes and number
// of member organisations.
func definitionWith(t testing.TB, basePort, nodes, orgs int) Definition {
	t.Helper()
	d := Definition{
		Name: "layout-test", Channel: "ch", Chaincode: "cc", Threshold: 1, BasePort: basePort,
		Orderer: OrdererOrg{Name: "Orderer", MSPID: "OrdererMSP", Nodes: nodes},
	}
	for i := range orgs {
		d.Orgs = append(d.Orgs, Org{
			Name: fmt.Sprintf("Org%d", i), MSPID: fmt.Sprintf("Org%dMSP", i),
			Roles: []ledger.Role{ledger.RoleMember}, KeyHolder: true,
		})
	}
	require.NoError(t, d.Validate())
	return d
}

func TestLayoutOfTheDemo(t *testing.T) {
	l := demoDefinition(t).Layout()
	require.Equal(t, []Orderer{{
		Name: "orderer0", Host: "orderer0.orderer.statledger.local",
		ListenPort: 7050, AdminPort: 7051, OpsPort: 7052,
	}}, l.Orderers)
	require.Len(t, l.Peers, 4)
	wantPeers := []struct {
		host string
		port int
	}{
		{"peer0.statoffice.statledger.local", 7150},
		{"peer0.hospitala.statledger.local", 7160},
		{"peer0.hospitalb.statledger.local", 7170},
		{"peer0.regulator.statledger.local", 7180},
	}
	for i, w := range wantPeers {
		p := l.Peers[i]
		require.Equal(t, w.host, p.Host)
		require.Equal(t, w.port, p.ListenPort, p.Host)
		require.Equal(t, w.port+1, p.ChaincodePort, p.Host)
		require.Equal(t, w.port+2, p.OpsPort, p.Host)
	}
	require.Equal(t, 7340, l.ChaincodePort)
	require.Equal(t, 7341, l.BenchChaincodePort)
	require.Equal(t, "orderer.statledger.local", l.OrdererDomain)
	require.Equal(t, "statistics", l.ChannelID)
	require.Equal(t, "statledger", l.ChaincodeName)
	require.Equal(t, "OrdererMSP", l.OrdererMSPID)
	require.Equal(t, "Orderer", l.OrdererOrgName)
}

func TestLayoutWithThreeOrderers(t *testing.T) {
	l := definitionWith(t, 7050, 3, 4).Layout()
	require.Len(t, l.Orderers, 3)
	for i, o := range l.Orderers {
		base := 7050 + 10*i
		require.Equal(t, fmt.Sprintf("orderer%d", i), o.Name)
		require.Equal(t, fmt.Sprintf("orderer%d.orderer.statledger.local", i), o.Host)
		require.Equal(t, []int{base, base + 1, base + 2}, []int{o.ListenPort, o.AdminPort, o.OpsPort})
	}
	require.Equal(t, 7150, l.Peers[0].ListenPort, "peers do not move when orderers are added")
}

func TestLayoutPorts(t *testing.T) {
	for _, basePort := range []int{1024, 7050, 65535 - portSpan} {
		for _, nodes := range []int{1, 3} {
			for _, orgs := range []int{1, 4, maxOrgs} {
				name := fmt.Sprintf("base port %d with %d orderers and %d organisations has distinct ports inside the span", basePort, nodes, orgs)
				t.Run(name, func(t *testing.T) {
					l := definitionWith(t, basePort, nodes, orgs).Layout()
					ports := l.Ports()
					require.Len(t, ports, 2+3*nodes+3*orgs, "every listener is listed once")
					seen := map[int]bool{}
					for _, p := range ports {
						require.False(t, seen[p], "port %d is used twice", p)
						seen[p] = true
						require.GreaterOrEqual(t, p, basePort)
						require.Less(t, p, basePort+portSpan)
						require.LessOrEqual(t, p, 65535)
					}
					// Every node keeps to its own block of ten ports, so nodes never overlap.
					blocks := map[int]string{}
					claim := func(owner string, ps ...int) {
						block := (ps[0] - basePort) / 10
						for _, p := range ps {
							require.Equal(t, block, (p-basePort)/10, "%s spills out of its block", owner)
						}
						other, taken := blocks[block]
						require.False(t, taken, "%s shares a block with %s", owner, other)
						blocks[block] = owner
					}
					for _, o := range l.Orderers {
						claim(o.Name, o.ListenPort, o.AdminPort, o.OpsPort)
					}
					for _, p := range l.Peers {
						claim(p.Host, p.ListenPort, p.ChaincodePort, p.OpsPort)
					}
					claim("chaincode", l.ChaincodePort, l.BenchChaincodePort)
					require.True(t, slices.Contains(ports, l.ChaincodePort))
					require.True(t, slices.Contains(ports, l.BenchChaincodePort), "the bench chaincode's server is listed")
				})
			}
		}
	}
}

func TestLayoutPeer(t *testing.T) {
	l := demoDefinition(t).Layout()
	tests := []struct {
		name   string
		lookup string
		host   string
		found  bool
	}{
		{name: "a peer is found by organisation name", lookup: "HospitalB", host: "peer0.hospitalb.statledger.local", found: true},
		{name: "a peer is found by MSP ID", lookup: "StatOfficeMSP", host: "peer0.statoffice.statledger.local", found: true},
		{name: "the orderer organisation has no peer", lookup: "Orderer"},
		{name: "the outsider organisation has no peer", lookup: OutsiderOrg.Name},
		{name: "an unknown organisation has no peer", lookup: "Nobody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := l.Peer(tc.lookup)
			require.Equal(t, tc.found, ok)
			require.Equal(t, tc.host, p.Host)
		})
	}
}

func TestDomain(t *testing.T) {
	require.Equal(t, "hospitala.statledger.local", Domain("HospitalA"))
	require.Equal(t, Domain("HospitalA"), Domain("hospitala"), "domains ignore case, so org names must differ by more than case")
}
