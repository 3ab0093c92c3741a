package testnetwork

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/statledger/statledger/network"
)

// adminEnv is the peer CLI environment of an organisation's administrator talking to the
// organisation's own peer.
func (n *Network) adminEnv(p network.Peer) []string {
	return []string{
		"FABRIC_CFG_PATH=" + n.peerConfigDir(p),
		"CORE_PEER_LOCALMSPID=" + p.Org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + n.userMSPDir(p.Org, "Admin"),
		fmt.Sprintf("CORE_PEER_ADDRESS=127.0.0.1:%d", p.ListenPort),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + n.orgTLSCA(p.Org),
	}
}

// ordererArgs are the peer CLI flags that reach the first orderer over TLS.
func (n *Network) ordererArgs() []string {
	return []string{"-o", fmt.Sprintf("127.0.0.1:%d", n.layout.Orderers[0].ListenPort), "--tls", "--cafile", n.ordererTLSCA()}
}

// joinOrderers joins every orderer to the application channel through the channel
// participation API, unless it is already a member.
func (n *Network) joinOrderers(ctx context.Context) error {
	tls := n.ordererAdminTLSDir()
	for _, o := range n.layout.Orderers {
		args := []string{"-o", fmt.Sprintf("127.0.0.1:%d", o.AdminPort), "--ca-file", n.ordererTLSCA(),
			"--client-cert", filepath.Join(tls, "client.crt"), "--client-key", filepath.Join(tls, "client.key")}
		out, err := n.run(ctx, nil, n.fabricBin("osnadmin"), append([]string{"channel", "list"}, args...)...)
		if err != nil {
			return fmt.Errorf("list channels of %s: %w", o.Name, err)
		}
		if strings.Contains(string(out), `"name": "`+n.layout.ChannelID+`"`) {
			continue
		}
		if _, err := n.run(ctx, nil, n.fabricBin("osnadmin"), append([]string{"channel", "join",
			"--channelID", n.layout.ChannelID, "--config-block", n.genesisBlock()}, args...)...); err != nil {
			return fmt.Errorf("join %s to channel %s: %w", o.Name, n.layout.ChannelID, err)
		}
	}
	return nil
}

// waitRaftLeader waits until one orderer reports itself Raft leader of the channel.
func (n *Network) waitRaftLeader(ctx context.Context) error {
	for {
		if leader, err := n.RaftLeader(ctx); err == nil && leader != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no Raft leader for channel %s: %w; see %s", n.layout.ChannelID, ctx.Err(), n.LogFile("orderer0"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RaftLeader returns the name of the orderer (orderer0, ...) that reports itself Raft
// leader of the channel on its operations endpoint's /metrics, or "" when none does (an
// election is under way, or the orderers are down). Orderers that do not answer are
// skipped; the error is only the context's.
func (n *Network) RaftLeader(ctx context.Context) (string, error) {
	client := &http.Client{Timeout: time.Second}
	want := fmt.Sprintf(`consensus_etcdraft_is_leader{channel="%s"} 1`, n.layout.ChannelID)
	for _, o := range n.layout.Orderers {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", o.OpsPort), nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), want) {
			return o.Name, nil
		}
	}
	return "", nil
}

// joinPeers joins every organisation's peer to the channel, unless it already is.
func (n *Network) joinPeers(ctx context.Context) error {
	for _, p := range n.layout.Peers {
		env := n.adminEnv(p)
		out, err := n.run(ctx, env, n.fabricBin("peer"), "channel", "list")
		if err != nil {
			return fmt.Errorf("list channels of %s: %w", p.Host, err)
		}
		if containsLine(out, n.layout.ChannelID) {
			continue
		}
		if err := retry(ctx, 10, 300*time.Millisecond, func() error {
			_, err := n.run(ctx, env, n.fabricBin("peer"), "channel", "join", "-b", n.genesisBlock())
			return err
		}); err != nil {
			return fmt.Errorf("join %s to channel %s: %w", p.Host, n.layout.ChannelID, err)
		}
	}
	return nil
}

func containsLine(out []byte, line string) bool {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// retry calls fn up to attempts times, waiting pause (doubling) in between.
func retry(ctx context.Context, attempts int, pause time.Duration, fn func() error) error {
	var err error
	for i := range attempts {
		if err = fn(); err == nil {
			return nil
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(pause):
		}
		pause = min(2*pause, 3*time.Second)
	}
	return err
}

// BlockHeight asks an organisation's peer for the channel's block height.
func (n *Network) BlockHeight(ctx context.Context, org string) (uint64, error) {
	p, ok := n.layout.Peer(org)
	if !ok {
		return 0, fmt.Errorf("organisation %q has no peer", org)
	}
	out, err := n.run(ctx, n.adminEnv(p), n.fabricBin("peer"), "channel", "getinfo", "-c", n.layout.ChannelID)
	if err != nil {
		return 0, fmt.Errorf("channel info from %s: %w", p.Host, err)
	}
	_, info, found := strings.Cut(string(out), "Blockchain info:")
	if !found {
		return 0, fmt.Errorf("channel info from %s: unexpected output %q", p.Host, tail(out, 2))
	}
	var parsed struct {
		Height uint64 `json:"height"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(info)), &parsed); err != nil {
		return 0, fmt.Errorf("decode channel info from %s: %w", p.Host, err)
	}
	return parsed.Height, nil
}
