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

// deployChaincode installs a chaincode-as-a-service package on every peer, approves the
// definition for every organisation and commits it with the consortium's endorsement
// policy; for the statledger contract it then calls InitConsortium once with the record
// generated from the definition. Every step is skipped when already done, so a restarted
// network is not deployed twice.
func (n *Network) deployChaincode(ctx context.Context, c chaincode) error {
	id, err := n.packageID(c)
	if err != nil {
		return err
	}
	if !n.committed(ctx, c) {
		for _, p := range n.layout.Peers {
			if err := n.installPackage(ctx, p, c, id); err != nil {
				return err
			}
		}
		approved, err := n.approvals(ctx, c)
		if err != nil {
			return err
		}
		for _, p := range n.layout.Peers {
			if approved[p.Org.MSPID] {
				continue
			}
			args := append([]string{"lifecycle", "chaincode", "approveformyorg"}, n.ordererArgs()...)
			args = append(args, n.definitionArgs(c)...)
			args = append(args, "--package-id", id, "--waitForEvent")
			if _, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), args...); err != nil {
				return fmt.Errorf("approve chaincode %s for %s: %w", c.name, p.Org.Name, err)
			}
		}
		args := append([]string{"lifecycle", "chaincode", "commit"}, n.ordererArgs()...)
		args = append(args, n.definitionArgs(c)...)
		args = append(args, n.peerTargets(n.layout.Peers)...)
		if _, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), args...); err != nil {
			return fmt.Errorf("commit chaincode definition %s: %w", c.name, err)
		}
	}
	if !c.statledger {
		return nil
	}
	return n.initConsortium(ctx)
}

// DeployBenchChaincode deploys the bare key-value chaincode (BenchChaincode) on the
// running network and starts its server, unless that is already done. Benchmarks use it
// as the baseline for the statledger contract's throughput.
func (n *Network) DeployBenchChaincode(ctx context.Context) error {
	c := n.benchChaincode()
	if !fileExists(n.chaincodePackage(c)) {
		if err := n.writeChaincodePackage(c); err != nil {
			return err
		}
	}
	nd, err := n.chaincodeNode(c)
	if err != nil {
		return err
	}
	if _, ok := n.running(nd); !ok {
		if err := n.start(nd); err != nil {
			return err
		}
		if err := n.waitReady(ctx, nd); err != nil {
			return err
		}
	}
	return n.deployChaincode(ctx, c)
}

func (n *Network) installPackage(ctx context.Context, p network.Peer, c chaincode, id string) error {
	out, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), "lifecycle", "chaincode", "queryinstalled")
	if err != nil {
		return fmt.Errorf("query installed chaincode on %s: %w", p.Host, err)
	}
	if strings.Contains(string(out), id) {
		return nil
	}
	if _, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), "lifecycle", "chaincode", "install", n.chaincodePackage(c)); err != nil {
		return fmt.Errorf("install chaincode %s on %s: %w", c.name, p.Host, err)
	}
	return nil
}

// definitionArgs are the chaincode definition flags shared by approve, readiness and
// commit. Every chaincode gets the consortium's endorsement policy, so that a benchmark
// baseline pays for the same endorsements as the statledger contract. No definition
// sets --init-required: the peer would then read its "initialized" key in every
// transaction, one more read to simulate and to validate on every peer, for a guard the
// contract has itself (InitConsortium refuses once a consortium exists, and every other
// transaction refuses until one does).
func (n *Network) definitionArgs(c chaincode) []string {
	return []string{"--channelID", n.layout.ChannelID, "--name", c.name,
		"--version", chaincodeVersion, "--sequence", "1",
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

func (n *Network) committed(ctx context.Context, c chaincode) bool {
	_, err := n.run(ctx, n.adminEnv(n.layout.Peers[0]), n.fabricBin("peer"), "lifecycle", "chaincode", "querycommitted",
		"--channelID", n.layout.ChannelID, "--name", c.name)
	return err == nil
}

// approvals returns which organisations have approved the chaincode definition.
func (n *Network) approvals(ctx context.Context, c chaincode) (map[string]bool, error) {
	args := append([]string{"lifecycle", "chaincode", "checkcommitreadiness"}, n.definitionArgs(c)...)
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

// initConsortium submits InitConsortium with the consortium record, unless the consortium
// can already be read. Endorsed by the member peers.
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
	args = append(args, "-C", n.layout.ChannelID, "-n", n.layout.ChaincodeName, "-c", string(call), "--waitForEvent")
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
