package testnetwork

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/network"
)

func (n *Network) cryptoDir() string { return n.path("crypto") }

func (n *Network) ordererOrgDir() string {
	return filepath.Join(n.cryptoDir(), "ordererOrganizations", n.layout.OrdererDomain)
}

func (n *Network) ordererNodeDir(o network.Orderer) string {
	return filepath.Join(n.ordererOrgDir(), "orderers", o.Host)
}

func (n *Network) ordererTLSCA() string {
	return filepath.Join(n.ordererOrgDir(), "tlsca", "tlsca."+n.layout.OrdererDomain+"-cert.pem")
}

func (n *Network) ordererAdminTLSDir() string {
	return filepath.Join(n.ordererOrgDir(), "users", "Admin@"+n.layout.OrdererDomain, "tls")
}

func (n *Network) peerOrgDir(org network.Org) string {
	return filepath.Join(n.cryptoDir(), "peerOrganizations", network.Domain(org.Name))
}

func (n *Network) peerNodeDir(p network.Peer) string {
	return filepath.Join(n.peerOrgDir(p.Org), "peers", p.Host)
}

func (n *Network) orgTLSCA(org network.Org) string {
	d := network.Domain(org.Name)
	return filepath.Join(n.peerOrgDir(org), "tlsca", "tlsca."+d+"-cert.pem")
}

func (n *Network) userMSPDir(org network.Org, user string) string {
	return filepath.Join(n.peerOrgDir(org), "users", user+"@"+network.Domain(org.Name), "msp")
}

// User returns the identity of the ordinary user cryptogen issued for an organisation
// (by name or MSP ID), connected to that organisation's peer. For network.OutsiderOrg,
// which has no peer on the channel, it connects to the first consortium peer.
func (n *Network) User(org string) (fabric.Identity, error) {
	return n.identity(org, "User1")
}

// Admin returns the administrator identity of an organisation, like User.
func (n *Network) Admin(org string) (fabric.Identity, error) {
	return n.identity(org, "Admin")
}

func (n *Network) identity(orgName, user string) (fabric.Identity, error) {
	org, ok := n.opts.Definition.Org(orgName)
	peer, hasPeer := n.layout.Peer(orgName)
	if !ok {
		if orgName != network.OutsiderOrg.Name && orgName != network.OutsiderOrg.MSPID {
			return fabric.Identity{}, fmt.Errorf("organisation %q is not in the consortium definition", orgName)
		}
		org, peer, hasPeer = network.OutsiderOrg, n.layout.Peers[0], true
	}
	if !hasPeer {
		return fabric.Identity{}, fmt.Errorf("organisation %q has no peer", orgName)
	}
	msp := n.userMSPDir(org, user)
	id := fabric.Identity{
		MSPID:       org.MSPID,
		CertFile:    filepath.Join(msp, "signcerts", user+"@"+network.Domain(org.Name)+"-cert.pem"),
		KeyFile:     filepath.Join(msp, "keystore", "priv_sk"),
		PeerAddress: fmt.Sprintf("127.0.0.1:%d", peer.ListenPort),
		TLSCAFile:   n.orgTLSCA(peer.Org),
	}
	if _, err := os.Stat(id.CertFile); err != nil {
		return fabric.Identity{}, fmt.Errorf("identity %s of %s: %w (is the network generated?)", user, org.Name, err)
	}
	return id, nil
}
