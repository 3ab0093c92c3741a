package testnetwork

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/statledger/statledger/network"
)

const chaincodeVersion = "1"

// deployChaincode installs the chaincode-as-a-service package on every peer, approves the
// definition for every organisation, commits it with the consortium's endorsement policy
// and calls InitConsortium once with the record generated from the definition. Every step
// is skipped when already done, so a restarted network is not deployed twice.
func (n *Network) deployChaincode(ctx context.Context) error {
	id, err := n.packageID()
	if err != nil {
		return err
	}
	if !n.committed(ctx) {
		for _, p := range n.layout.Peers {
			if err := n.installPackage(ctx, p, id); err != nil {
				return err
			}
		}
		approved, err := n.approvals(ctx)
		if err != nil {
			return err
		}
		for _, p := range n.layout.Peers {
			if approved[p.Org.MSPID] {
				continue
			}
			args := append([]string{"lifecycle", "chaincode", "approveformyorg"}, n.ordererArgs()...)
			args = append(args, n.definitionArgs()...)
			args = append(args, "--package-id", id, "--waitForEvent")
			if _, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), args...); err != nil {
				return fmt.Errorf("approve chaincode for %s: %w", p.Org.Name, err)
			}
		}
		args := append([]string{"lifecycle", "chaincode", "commit"}, n.ordererArgs()...)
		args = append(args, n.definitionArgs()...)
		args = append(args, n.peerTargets(n.layout.Peers)...)
		if _, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), args...); err != nil {
			return fmt.Errorf("commit chaincode definition: %w", err)
		}
	}
	return n.initConsortium(ctx)
}

func (n *Network) installPackage(ctx context.Context, p network.Peer, id string) error {
	out, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), "lifecycle", "chaincode", "queryinstalled")
	if err != nil {
		return fmt.Errorf("query installed chaincode on %s: %w", p.Host, err)
	}
	if strings.Contains(string(out), id) {
		return nil
	}
	if _, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), "lifecycle", "chaincode", "install", n.chaincodePackage()); err != nil {
		return fmt.Errorf("install chaincode on %s: %w", p.Host, err)
	}
	return nil
}

// definitionArgs are the chaincode definition flags shared by approve, readiness and commit.
func (n *Network) definitionArgs() []string {
	return []string{"--channelID", n.layout.ChannelID, "--name", n.layout.ChaincodeName,
		"--version", chaincodeVersion, "--sequence", "1", "--init-required",
		"--signature-policy", n.opts.Definition.EndorsementPolicy()}
}

// peerTargets are the --peerAddresses/--tlsRootCertFiles flags for the given peers.
func (n *Network) peerTargets(peers []network.Peer) []string {
	var args []string
	for _, p := range peers {
		args = append(args, "--peerAddresses", fmt.Sprintf("127.0.0.1:%d", p.ListenPort), "--tlsRootCertFiles", n.orgTLSCA(p.Org))
	}
	return args
}

func (n *Network) committed(ctx context.Context) bool {
	_, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), "lifecycle", "chaincode", "querycommitted",
		"--channelID", n.layout.ChannelID, "--name", n.layout.ChaincodeName)
	return err == nil
}

// approvals returns which organisations have approved the chaincode definition.
func (n *Network) approvals(ctx context.Context) (map[string]bool, error) {
	args := append([]string{"lifecycle", "chaincode", "checkcommitreadiness"}, n.definitionArgs()...)
	out, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), append(args, "--output", "json")...)
	if err != nil {
		return nil, fmt.Errorf("check chaincode approvals: %w", err)
	}
	var readiness struct {
		Approvals map[string]bool `json:"approvals"`
	}
	if err := json.Unmarshal(out, &readiness); err != nil {
		return nil, fmt.Errorf("decode chaincode approvals: %w", err)
	}
	return readiness.Approvals, nil
}

// initConsortium calls the chaincode's init transaction with the consortium record, unless
// the consortium can already be read. Endorsed by the member peers.
func (n *Network) initConsortium(ctx context.Context) error {
	if n.chaincodeReady(ctx) {
		return nil
	}
	record, err := json.Marshal(n.opts.Definition.LedgerConsortium())
	if err != nil {
		return fmt.Errorf("encode consortium record: %w", err)
	}
	call, err := json.Marshal(map[string][]string{"Args": {"InitConsortium", string(record)}})
	if err != nil {
		return fmt.Errorf("encode init call: %w", err)
	}
	members := n.memberPeers()
	first := members[0]
	args := append([]string{"chaincode", "invoke"}, n.ordererArgs()...)
	args = append(args, "-C", n.layout.ChannelID, "-n", n.layout.ChaincodeName, "--isInit", "-c", string(call), "--waitForEvent")
	args = append(args, n.peerTargets(members)...)
	// The peers dial the chaincode server lazily; the first call may race its start-up.
	if err := retry(ctx, 8, 500*time.Millisecond, func() error {
		_, err := n.run(ctx, n.adminEnv(first), n.fabricBin("peer"), args...)
		return err
	}); err != nil {
		return fmt.Errorf("initialise consortium record: %w", err)
	}
	return nil
}

// chaincodeReady reports whether the consortium record can be read through the chaincode.
func (n *Network) chaincodeReady(ctx context.Context) bool {
	_, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), "chaincode", "query",
		"-C", n.layout.ChannelID, "-n", n.layout.ChaincodeName, "-c", `{"Args":["GetConsortium"]}`)
	return err == nil
}

func (n *Network) memberPeers() []network.Peer {
	var peers []network.Peer
	for _, m := range n.opts.Definition.Members() {
		if p, ok := n.layout.Peer(m.Name); ok {
			peers = append(peers, p)
		}
	}
	return peers
}
