package fabric

import (
	"context"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Event is a chaincode event as statledger uses it.
type Event struct {
	Name        string
	Payload     []byte
	TxID        string
	BlockNumber uint64
}

// Events streams the chaincode's events from the client's peer until ctx ends. With a
// non-empty checkpointFile, the stream resumes after the last event recorded in that file
// and each delivered event must be acknowledged by calling ack, which records it; a
// restarted process then picks up where it stopped. Without a file, the stream starts
// at the next block and ack does nothing.
func (c *Client) Events(ctx context.Context, checkpointFile string) (events <-chan Event, ack func(Event) error, err error) {
	var opts []client.ChaincodeEventsOption
	ack = func(Event) error { return nil }
	if checkpointFile != "" {
		cp, err := client.NewFileCheckpointer(checkpointFile)
		if err != nil {
			return nil, nil, fmt.Errorf("open event checkpoint: %w", err)
		}
		go func() { <-ctx.Done(); cp.Close() }()
		opts = append(opts, client.WithCheckpoint(cp))
		ack = func(e Event) error {
			if err := cp.CheckpointTransaction(e.BlockNumber, e.TxID); err != nil {
				return fmt.Errorf("record event checkpoint: %w", err)
			}
			return nil
		}
	}
	raw, err := c.network.ChaincodeEvents(ctx, c.target.Chaincode, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("listen for chaincode events: %w", classify(err))
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for e := range raw {
			select {
			case out <- Event{Name: e.EventName, Payload: e.Payload, TxID: e.TransactionID, BlockNumber: e.BlockNumber}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, ack, nil
}
