package fabric

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The chain reads below go to the connected peer's own Endorser and Deliver services, not
// through its gateway service. fabric-gateway v1.10.0 sends BlockEvents to the connected
// peer's Deliver service too, but drops the stream's error status (a refused or missing
// block looks like the end of the stream), and the peer's gateway evaluates a proposal on
// any peer of its own organisation first and falls back to other organisations' peers
// (Fabric's internal/pkg/gateway registry.evaluator): neither would let an auditor be sure
// which peer answered.

// qscc is the peer's query system chaincode; GetChainInfo is its height-and-tip query.
const qscc = "qscc"

// ChainInfo returns the height and the current block hash of the client's channel as the
// connected peer holds them (qscc GetChainInfo, evaluated by that peer alone). Transient
// failures are retried like Evaluate. It returns an error when the peer refuses the
// query or answers something that is not chain info.
func (c *Client) ChainInfo(ctx context.Context) (*common.BlockchainInfo, error) {
	var info *common.BlockchainInfo
	err := c.withRetry(ctx, func() error {
		var err error
		info, err = c.chainInfo(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read chain info of channel %s: %w", c.target.Channel, err)
	}
	return info, nil
}

func (c *Client) chainInfo(ctx context.Context) (*common.BlockchainInfo, error) {
	proposal, err := c.network.GetContract(qscc).NewProposal("GetChainInfo", client.WithArguments(c.target.Channel))
	if err != nil {
		return nil, err
	}
	raw, err := proposal.Bytes()
	if err != nil {
		return nil, err
	}
	var tx gateway.ProposedTransaction
	if err := proto.Unmarshal(raw, &tx); err != nil {
		return nil, fmt.Errorf("decode proposal: %w", err)
	}
	signed := tx.GetProposal()
	if signed.Signature, err = c.sign(proposal.Digest()); err != nil {
		return nil, fmt.Errorf("sign proposal: %w", err)
	}
	resp, err := peer.NewEndorserClient(c.conn).ProcessProposal(ctx, signed)
	if err != nil {
		return nil, err
	}
	if st := resp.GetResponse().GetStatus(); st < 200 || st >= 400 {
		return nil, fmt.Errorf("peer answered status %d: %s", st, resp.GetResponse().GetMessage())
	}
	info := &common.BlockchainInfo{}
	if err := proto.Unmarshal(resp.GetResponse().GetPayload(), info); err != nil {
		return nil, fmt.Errorf("decode chain info: %w", err)
	}
	return info, nil
}

// Blocks streams the blocks numbered from to to-1 of the client's channel from the
// connected peer's Deliver service, in order, one at a time (the caller holds at most the
// block it is looking at). The sequence ends after block to-1, at the first error
// (yielded with a nil block), or when the caller stops. A peer that does not have a
// block yet answers at once with an error rather than waiting for it. Blocks is not
// retried: call it again from the next block after a transient error.
func (c *Client) Blocks(ctx context.Context, from, to uint64) iter.Seq2[*common.Block, error] {
	return func(yield func(*common.Block, error) bool) {
		if from >= to {
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		fail := func(err error) {
			yield(nil, fmt.Errorf("read blocks %d-%d of channel %s: %w", from, to-1, c.target.Channel, err))
		}
		env, err := c.seekEnvelope(from, to-1)
		if err != nil {
			fail(err)
			return
		}
		stream, err := peer.NewDeliverClient(c.conn).Deliver(ctx)
		if err != nil {
			fail(classify(err))
			return
		}
		if err := stream.Send(env); err != nil {
			fail(classify(err))
			return
		}
		next := from
		for {
			resp, err := stream.Recv()
			switch {
			case errors.Is(err, io.EOF):
				fail(fmt.Errorf("the peer closed the stream before block %d", next))
				return
			case err != nil:
				fail(classify(err))
				return
			}
			switch r := resp.GetType().(type) {
			case *peer.DeliverResponse_Block:
				if !yield(r.Block, nil) {
					return
				}
				next++
			case *peer.DeliverResponse_Status:
				if r.Status == common.Status_SUCCESS && next > to-1 {
					return
				}
				fail(fmt.Errorf("the peer answered %s before block %d%s", r.Status, next, statusHints[r.Status]))
				return
			default:
				fail(fmt.Errorf("the peer sent an unexpected %T before block %d", r, next))
				return
			}
		}
	}
}

// statusHints explain the deliver statuses a user may meet.
var statusHints = map[common.Status]string{
	common.Status_NOT_FOUND: " (it does not have that block, or not that channel)",
	common.Status_FORBIDDEN: " (this identity may not read the channel's blocks from it)",
}

// seekEnvelope builds the signed deliver request for blocks first..last, failing at once
// if the peer does not have them yet.
func (c *Client) seekEnvelope(first, last uint64) (*common.Envelope, error) {
	at := func(n uint64) *orderer.SeekPosition {
		return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: n}}}
	}
	seek, err := proto.Marshal(&orderer.SeekInfo{Start: at(first), Stop: at(last), Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY})
	if err != nil {
		return nil, err
	}
	channelHeader, err := proto.Marshal(&common.ChannelHeader{
		Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: c.target.Channel, Timestamp: timestamppb.Now(),
	})
	if err != nil {
		return nil, err
	}
	signatureHeader, err := proto.Marshal(&common.SignatureHeader{Creator: c.creator})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: channelHeader, SignatureHeader: signatureHeader}, Data: seek,
	})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(payload)
	signature, err := c.sign(digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign deliver request: %w", err)
	}
	return &common.Envelope{Payload: payload, Signature: signature}, nil
}
