package network

import (
	"fmt"
	"strings"
)

const (
	// maxOrgs bounds the organisations so that ports stay inside portSpan.
	maxOrgs = 16
	// ordererPortOffset and peerPortOffset place nodes above BasePort, ten ports per node.
	ordererPortOffset = 0
	peerPortOffset    = 100
	// chaincodePortOffset is the chaincode-as-a-service listener, shared by all peers;
	// benchChaincodePortOffset is the listener of test-network's bench chaincode.
	chaincodePortOffset      = 290
	benchChaincodePortOffset = chaincodePortOffset + 1
	portSpan                 = 300
	// domainSuffix is appended to organisation names to form their domains.
	domainSuffix = "statledger.local"
)

// Orderer is one Raft ordering node and its ports.
type Orderer struct {
	Name       string // e.g. orderer0
	Host       string // e.g. orderer0.orderer.statledger.local
	ListenPort int    // client and cluster traffic
	AdminPort  int    // channel participation API
	OpsPort    int    // /healthz and /metrics
}

// Peer is an organisation's peer and its ports.
type Peer struct {
	Org           Org
	Host          string // e.g. peer0.hospitala.statledger.local
	ListenPort    int    // gRPC, gossip and gateway
	ChaincodePort int    // chaincode listener
	OpsPort       int    // /healthz and /metrics
}

// Layout is the concrete set of nodes and ports of a definition.
type Layout struct {
	Orderers      []Orderer
	Peers         []Peer
	ChaincodePort int // the chaincode-as-a-service server
	// BenchChaincodePort is the server of the bare key-value chaincode that test-network
	// deploys next to statledger's for benchmarks, one port above ChaincodePort.
	BenchChaincodePort int
	OrdererDomain      string
	ChannelID          string
	ChaincodeName      string
	OrdererMSPID       string
	OrdererOrgName     string
}

// Domain is an organisation's DNS-style domain used in its certificates.
func Domain(orgName string) string {
	return strings.ToLower(orgName) + "." + domainSuffix
}

// Layout assigns nodes and ports. Orderers sit at BasePort, BasePort+10, ...; peers at
// BasePort+100, BasePort+110, ... in definition order; the chaincode server at BasePort+290
// and the bench chaincode's at BasePort+291.
func (d Definition) Layout() Layout {
	l := Layout{
		ChaincodePort:      d.BasePort + chaincodePortOffset,
		BenchChaincodePort: d.BasePort + benchChaincodePortOffset,
		OrdererDomain:      Domain(d.Orderer.Name),
		ChannelID:          d.Channel,
		ChaincodeName:      d.Chaincode,
		OrdererMSPID:       d.Orderer.MSPID,
		OrdererOrgName:     d.Orderer.Name,
	}
	for i := range d.Orderer.Nodes {
		base := d.BasePort + ordererPortOffset + 10*i
		name := fmt.Sprintf("orderer%d", i)
		l.Orderers = append(l.Orderers, Orderer{
			Name: name, Host: name + "." + l.OrdererDomain,
			ListenPort: base, AdminPort: base + 1, OpsPort: base + 2,
		})
	}
	for i, o := range d.Orgs {
		base := d.BasePort + peerPortOffset + 10*i
		l.Peers = append(l.Peers, Peer{
			Org: o, Host: "peer0." + Domain(o.Name),
			ListenPort: base, ChaincodePort: base + 1, OpsPort: base + 2,
		})
	}
	return l
}

// Ports lists every port the network listens on, for a clash check before start: the
// chaincode servers' (statledger's and the bench chaincode's, which runs only where it was
// deployed), then every orderer's and every peer's.
func (l Layout) Ports() []int {
	ports := []int{l.ChaincodePort, l.BenchChaincodePort}
	for _, o := range l.Orderers {
		ports = append(ports, o.ListenPort, o.AdminPort, o.OpsPort)
	}
	for _, p := range l.Peers {
		ports = append(ports, p.ListenPort, p.ChaincodePort, p.OpsPort)
	}
	return ports
}

// Peer returns the peer of the organisation with the given name or MSP ID.
func (l Layout) Peer(nameOrMSPID string) (Peer, bool) {
	for _, p := range l.Peers {
		if p.Org.Name == nameOrMSPID || p.Org.MSPID == nameOrMSPID {
			return p, true
		}
	}
	return Peer{}, false
}
