package testnetwork

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPeersKnown(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		known   int
		present bool
	}{
		{"the channel's count is read", "# TYPE gossip_membership_total_peers_known gauge\ngossip_membership_total_peers_known{channel=\"statistics\"} 3\n", 3, true},
		{"another channel's count is not", "gossip_membership_total_peers_known{channel=\"other\"} 3\ngossip_membership_total_peers_known{channel=\"statistics\"} 1\n", 1, true},
		{"a peer outside the channel has no count", "gossip_membership_total_peers_known{channel=\"other\"} 3\n", 0, false},
		{"a peer without gossip metrics has no count", "go_goroutines 12\n", 0, false},
		{"a count that does not fit an int is no count", "gossip_membership_total_peers_known{channel=\"statistics\"} 99999999999999999999999\n", 0, false},
		{"an empty body has no count", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known, ok := peersKnown([]byte(tt.body), "statistics")
			require.Equal(t, tt.present, ok)
			require.Equal(t, tt.known, known)
		})
	}
}

// gossipMetrics points every peer of n at a test server that reports the number of
// other peers known that known returns for it (negative: no gossip metric).
func gossipMetrics(t *testing.T, n *Network, known func(peer int) int) {
	t.Helper()
	for i := range n.layout.Peers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "/metrics", r.URL.Path)
			if k := known(i); k >= 0 {
				fmt.Fprintf(w, "gossip_membership_total_peers_known{channel=%q} %d\n", n.layout.ChannelID, k)
			}
		}))
		t.Cleanup(srv.Close)
		_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
		require.NoError(t, err)
		n.layout.Peers[i].OpsPort, err = strconv.Atoi(port)
		require.NoError(t, err)
	}
}

func TestWaitGossipReturnsOnceEveryPeerKnowsTheOthers(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	require.Greater(t, len(n.layout.Peers), 2)
	var polls atomic.Int32
	gossipMetrics(t, n, func(peer int) int {
		if peer == 1 && polls.Add(1) < 3 {
			return 1 // the second peer learns the others on its third poll
		}
		return len(n.layout.Peers) - 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, n.waitGossip(ctx))
	require.Equal(t, int32(3), polls.Load())
}

func TestWaitGossipNamesThePeersThatDoNotKnowTheOthers(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	gossipMetrics(t, n, func(peer int) int {
		switch peer {
		case 0:
			return -1 // not in the channel's gossip
		case 2:
			return 1
		}
		return len(n.layout.Peers) - 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := n.waitGossip(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, fmt.Sprintf("%s's peer knows 0, %s's peer knows 1", n.layout.Peers[0].Org.Name, n.layout.Peers[2].Org.Name))
	require.NotContains(t, err.Error(), n.layout.Peers[1].Org.Name+"'s peer")
	require.ErrorContains(t, err, n.LogFile(peerNodeName(n.layout.Peers[0].Org.Name)))
}

func TestWaitGossipWaitsForPeersThatDoNotAnswer(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	gossipMetrics(t, n, func(int) int { return len(n.layout.Peers) - 1 })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n.layout.Peers[1].OpsPort = l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close()) // nothing listens there any more
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = n.waitGossip(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, n.layout.Peers[1].Org.Name+"'s peer knows 0")
}
