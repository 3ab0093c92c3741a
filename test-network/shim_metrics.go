package testnetwork

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Message types of the batched state calls that statledger's patched peer serves
// (tools/fabric/patch.sh). This Fabric version's protos do not name them, so its
// metrics label them by number.
const (
	ShimWriteBatch       = "24" // WRITE_BATCH_STATE: all writes of a transaction
	ShimGetStateMultiple = "25" // GET_STATE_MULTIPLE: several keys in one read
)

// shimRequestsMetric matches the peer metric counting the requests a chaincode sent to
// the peer on its stream, by chaincode (label:hash) and message type.
var shimRequestsMetric = regexp.MustCompile(`(?m)^chaincode_shim_requests_received\{chaincode="([^"]*)",channel="([^"]*)",type="([^"]*)"\} ([0-9.e+]+)$`)

// shimRequests sums, by message type, the requests the chaincode labelled label sent on
// channel, from a peer's metrics body.
func shimRequests(body []byte, channel, label string) map[string]int64 {
	out := map[string]int64{}
	for _, m := range shimRequestsMetric.FindAllSubmatch(body, -1) {
		if string(m[2]) != channel || !strings.HasPrefix(string(m[1]), label+":") {
			continue
		}
		v, err := strconv.ParseFloat(string(m[4]), 64)
		if err != nil {
			continue
		}
		out[string(m[3])] += int64(v)
	}
	return out
}

// ShimRequests returns how many requests of each message type (GET_STATE,
// WRITE_BATCH_STATE as ShimWriteBatch, ...) the statledger chaincode has sent to org's
// peer since the peer started.
func (n *Network) ShimRequests(ctx context.Context, org string) (map[string]int64, error) {
	for _, p := range n.layout.Peers {
		if p.Org.Name != org {
			continue
		}
		body, err := peerMetrics(ctx, &http.Client{Timeout: 5 * time.Second}, p)
		if err != nil {
			return nil, err
		}
		return shimRequests(body, n.layout.ChannelID, chaincodeLabel), nil
	}
	return nil, fmt.Errorf("no peer of organisation %q", org)
}
