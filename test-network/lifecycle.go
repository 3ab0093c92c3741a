package testnetwork

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrPartlyRunning means some but not all of the network's processes run; bring it down
// first.
var ErrPartlyRunning = errors.New("the network is partly running")

// Status says which of the network's processes are running.
type Status struct {
	Running []string // node names with a live process
	Stopped []string // node names without one
}

// Up reports whether every node runs.
func (s Status) Up() bool { return len(s.Stopped) == 0 && len(s.Running) > 0 }

// Status inspects the PID files of the network's processes.
func (n *Network) Status() (Status, error) {
	if !n.generated() {
		return Status{}, nil
	}
	nodes, err := n.nodes()
	if err != nil {
		return Status{}, err
	}
	var s Status
	for _, nd := range nodes {
		if _, ok := n.running(nd); ok {
			s.Running = append(s.Running, nd.name)
		} else {
			s.Stopped = append(s.Stopped, nd.name)
		}
	}
	return s, nil
}

// Up brings the network to readiness: it generates state if there is none, checks that
// no port is taken, starts every node, waits for health endpoints and gRPC ports, joins
// the channel, waits for a Raft leader, and deploys and initialises the chaincode. If the
// network already runs it returns (false, nil) having changed nothing.
func (n *Network) Up(ctx context.Context) (started bool, err error) {
	t0 := time.Now()
	status, err := n.Status()
	if err != nil {
		return false, err
	}
	if status.Up() {
		return false, nil
	}
	if len(status.Running) > 0 {
		return false, fmt.Errorf("%w (%v run, %v do not): run `make network-down` first", ErrPartlyRunning, status.Running, status.Stopped)
	}
	if taken := n.portsTaken(); len(taken) > 0 {
		return false, fmt.Errorf("ports %v are already in use by another program; free them or change basePort in the consortium definition", taken)
	}
	step := func(name string, fn func() error) error {
		t := time.Now()
		if err := fn(); err != nil {
			return err
		}
		n.progress("%-28s %6.2fs", name, time.Since(t).Seconds())
		return nil
	}
	if !n.generated() {
		if err := step("generate crypto and config", func() error { return n.generate(ctx) }); err != nil {
			return false, err
		}
	}
	nodes, err := n.nodes()
	if err != nil {
		return false, err
	}
	if err := step("start nodes", func() error {
		for _, nd := range nodes {
			if err := n.start(nd); err != nil {
				return err
			}
		}
		for _, nd := range nodes {
			if err := n.waitReady(ctx, nd); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return true, err
	}
	if err := step("join orderers to channel", func() error { return n.joinOrderers(ctx) }); err != nil {
		return true, err
	}
	if err := step("wait for Raft leader", func() error { return n.waitRaftLeader(ctx) }); err != nil {
		return true, err
	}
	if err := step("join peers to channel", func() error { return n.joinPeers(ctx) }); err != nil {
		return true, err
	}
	if err := step("deploy chaincode", func() error { return n.deployChaincode(ctx, n.statledgerChaincode()) }); err != nil {
		return true, err
	}
	if err := step("wait for gossip membership", func() error { return n.waitGossip(ctx) }); err != nil {
		return true, err
	}
	n.progress("%-28s %6.2fs", "network ready in", time.Since(t0).Seconds())
	return true, nil
}

// Down stops every process the network started, by PID, and with purge removes the
// state directory (ledgers, crypto material, logs).
func (n *Network) Down(purge bool) error {
	if n.generated() {
		nodes, err := n.nodes()
		if err != nil {
			return err
		}
		var errs []error
		// Stop clients of the ordering service before it, so they do not log reconnect storms.
		for i := len(nodes) - 1; i >= 0; i-- {
			if err := n.stop(nodes[i], 10*time.Second); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if purge {
		if err := os.RemoveAll(n.opts.StateDir); err != nil {
			return fmt.Errorf("remove network state: %w", err)
		}
	}
	return nil
}

// StopNode stops one node (orderer0, peer-HospitalA, chaincode, ...) and keeps its data.
func (n *Network) StopNode(name string) error {
	nd, err := n.node(name)
	if err != nil {
		return err
	}
	return n.stop(nd, 10*time.Second)
}

// KillNode kills one node with SIGKILL, as a crash would: no graceful shutdown. It keeps
// the node's data; StartNode brings it back.
func (n *Network) KillNode(name string) error {
	nd, err := n.node(name)
	if err != nil {
		return err
	}
	return n.stop(nd, 0)
}

// StartNode starts one stopped node and waits until it is ready.
func (n *Network) StartNode(ctx context.Context, name string) error {
	nd, err := n.node(name)
	if err != nil {
		return err
	}
	if _, ok := n.running(nd); ok {
		return nil
	}
	if err := n.start(nd); err != nil {
		return err
	}
	return n.waitReady(ctx, nd)
}

// PeerNode is the node name of an organisation's peer, for StopNode and StartNode.
func PeerNode(org string) string { return peerNodeName(org) }

func (n *Network) node(name string) (node, error) {
	nodes, err := n.nodes()
	if err != nil {
		return node{}, err
	}
	for _, nd := range nodes {
		if nd.name == name {
			return nd, nil
		}
	}
	return node{}, fmt.Errorf("no node %q in this network", name)
}
