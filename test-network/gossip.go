package testnetwork

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/statledger/statledger/network"
)

// peersKnownMetric matches the gossip metric of how many other peers of a channel a peer
// knows, in Prometheus's text format.
var peersKnownMetric = regexp.MustCompile(`(?m)^gossip_membership_total_peers_known\{channel="([^"]*)"\} ([0-9]+)$`)

// peersKnown returns how many other peers of channel the Prometheus metrics body says the
// peer knows; ok is false when the body has no such metric (the peer has not joined the
// channel's gossip yet).
func peersKnown(body []byte, channel string) (known int, ok bool) {
	for _, m := range peersKnownMetric.FindAllSubmatch(body, -1) {
		if string(m[1]) != channel {
			continue
		}
		n, err := strconv.Atoi(string(m[2]))
		if err != nil {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// peerMetrics returns peer p's Prometheus metrics, read from its operations endpoint.
func peerMetrics(ctx context.Context, client *http.Client, p network.Peer) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", p.OpsPort), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s's peer metrics: %s", p.Org.Name, resp.Status)
	}
	return body, err
}

// gossipPeersKnown asks peer p's operations endpoint how many other peers of the channel
// it knows through gossip.
func (n *Network) gossipPeersKnown(ctx context.Context, client *http.Client, p network.Peer) (int, bool) {
	body, err := peerMetrics(ctx, client, p)
	if err != nil {
		return 0, false
	}
	return peersKnown(body, n.layout.ChannelID)
}

// waitGossip waits until every peer knows every other peer of the channel through
// gossip. Until then the gateways' discovery cannot plan endorsements that need another
// organisation's peer ("no combination of peers can be derived which satisfy the
// endorsement policy"), so the network is not ready for transactions.
func (n *Network) waitGossip(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	want := len(n.layout.Peers) - 1
	for {
		var short []string
		for _, p := range n.layout.Peers {
			if known, ok := n.gossipPeersKnown(ctx, client, p); !ok || known < want {
				short = append(short, fmt.Sprintf("%s's peer knows %d", p.Org.Name, known))
			}
		}
		if len(short) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the peers do not know the channel's %d other peers through gossip (%s): %w; see %s",
				want, strings.Join(short, ", "), ctx.Err(), n.LogFile(peerNodeName(n.layout.Peers[0].Org.Name)))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
