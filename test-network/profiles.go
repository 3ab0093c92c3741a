package testnetwork

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/profile"
)

// WriteProfiles writes one statledger CLI profile per organisation of the network into
// dir, as <org>.yaml in lower case, and returns their paths in definition order. Each
// profile acts as the organisation's ordinary user (see User), talks to its peer, uses
// the blob store directory blobDir (shared by all of them) and prints tables; a key
// holder's key share goes to dir/keys/<org>. An auditor's profile also lists every other
// organisation's peer with its TLS CA, so that the audit can compare the blocks they
// serve. Paths in the profiles are absolute. It
// creates the directories it needs and overwrites existing profiles; the network must
// have been generated, but need not be running. It returns the errors of User and of
// writing the files.
func (n *Network) WriteProfiles(dir, blobDir string) ([]string, error) {
	keys, err := filepath.Abs(filepath.Join(dir, "keys"))
	if err != nil {
		return nil, fmt.Errorf("resolve profile directory: %w", err)
	}
	blobs, err := filepath.Abs(blobDir)
	if err != nil {
		return nil, fmt.Errorf("resolve blob store directory: %w", err)
	}
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return nil, fmt.Errorf("create profile directory: %w", err)
	}
	var files []string
	for _, org := range n.opts.Definition.Orgs {
		id, err := n.User(org.Name)
		if err != nil {
			return nil, err
		}
		p := profile.Profile{
			Name: strings.ToLower(org.Name), Org: org.Name, MSPID: id.MSPID, PeerEndpoint: id.PeerAddress,
			Channel: n.layout.ChannelID, Chaincode: n.layout.ChaincodeName,
			TLSCAFile: id.TLSCAFile, CertFile: id.CertFile, KeyFile: id.KeyFile,
			BlobStoreURL: "file://" + filepath.ToSlash(blobs), Output: profile.DefaultOutput,
		}
		if org.KeyHolder {
			p.KeySharePath = filepath.Join(keys, strings.ToLower(org.Name))
		}
		if slices.Contains(org.Roles, ledger.RoleAuditor) {
			p.Peers = n.otherPeers(org.Name)
		}
		data, err := yaml.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode profile of %s: %w", org.Name, err)
		}
		file := filepath.Join(dir, strings.ToLower(org.Name)+".yaml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return nil, fmt.Errorf("write profile of %s: %w", org.Name, err)
		}
		files = append(files, file)
	}
	return files, nil
}

// otherPeers lists the peers of every organisation but the one named, in definition
// order, as a profile names them.
func (n *Network) otherPeers(orgName string) []profile.Peer {
	var out []profile.Peer
	for _, peer := range n.layout.Peers {
		if peer.Org.Name == orgName {
			continue
		}
		out = append(out, profile.Peer{
			Org: peer.Org.Name, Endpoint: fmt.Sprintf("127.0.0.1:%d", peer.ListenPort), TLSCAFile: n.orgTLSCA(peer.Org),
		})
	}
	return out
}
