package chain

import (
	"errors"
	"fmt"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/profile"
)

// Open connects to the profile's own peer and to every peer in its Peers list, each with
// the profile's identity (an auditor's, whose organisation may read every peer's
// channel), and returns one Source per peer, the profile's own first, with a function
// that closes every connection. Connections are made lazily, so an unreachable peer
// shows up in Compare. It returns an error when the profile lists no other peer or a
// connection cannot be set up (an unreadable certificate, key or TLS CA), naming the
// organisation; nothing stays open then.
func Open(p profile.Profile, opts ...fabric.Option) (sources []Source, closeAll func() error, err error) {
	if len(p.Peers) == 0 {
		return nil, nil, fmt.Errorf("profile %s lists no other organisation's peer to compare the ledger with (add peers to it)", p.Name)
	}
	target := fabric.Target{Channel: p.Channel, Chaincode: p.Chaincode}
	type peerAt struct {
		org string
		id  fabric.Identity
	}
	own := fabric.Identity{MSPID: p.MSPID, CertFile: p.CertFile, KeyFile: p.KeyFile, PeerAddress: p.PeerEndpoint, TLSCAFile: p.TLSCAFile}
	all := []peerAt{{p.Org, own}}
	for _, peer := range p.Peers {
		id := own
		id.PeerAddress, id.TLSCAFile, id.TLSServerName = peer.Endpoint, peer.TLSCAFile, peer.ServerName
		all = append(all, peerAt{peer.Org, id})
	}
	var clients []*fabric.Client
	closeAll = func() error {
		var errs []error
		for _, c := range clients {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	for _, a := range all {
		c, err := fabric.Connect(a.id, target, opts...)
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("connect to %s's peer %s: %w", a.org, a.id.PeerAddress, err), closeAll())
		}
		clients = append(clients, c)
		sources = append(sources, Source{Org: a.org, Endpoint: a.id.PeerAddress, Peer: c})
	}
	return sources, closeAll, nil
}
