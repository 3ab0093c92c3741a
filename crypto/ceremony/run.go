package ceremony

import (
	"fmt"
	"sync"

	"filippo.io/age"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// Ceremony is the complete outcome of an in-process ceremony (Run): everything every
// holder would have on its own machine, gathered in one place for tests, benchmarks and
// local demos.
type Ceremony struct {
	// Setup is the ceremony's public description.
	Setup Setup
	// Transport are the holders' transport identities (secret), holder i at i-1.
	Transport []*age.X25519Identity
	// Messages are the holders' round messages (public), holder i at i-1.
	Messages [][]byte
	// ThresholdKeys are the holders' threshold keys (secret), holder i at i-1.
	ThresholdKeys []*ThresholdKey
	// Keys are the public outputs.
	*Keys
}

// Run performs a complete t-of-n ceremony in-process with the given public seed, every
// holder running the same functions the CLI calls one organisation at a time:
// transport key generation, Contribute, ParseMessage of every message, Aggregate and
// Finalize. Holders run concurrently. Errors are those of the steps. Safe for
// concurrent use.
func Run(set *params.Set, n, t int, seed [32]byte) (*Ceremony, error) {
	if n < 1 || n > params.MaxHolders {
		return nil, fmt.Errorf("%w: %d holders, want 1 to %d", ErrSetup, n, params.MaxHolders)
	}
	c := &Ceremony{Transport: make([]*age.X25519Identity, n), Messages: make([][]byte, n),
		ThresholdKeys: make([]*ThresholdKey, n)}
	recipients := make([]*age.X25519Recipient, n)
	for i := range n {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("transport key: %w", err)
		}
		c.Transport[i], recipients[i] = id, id.Recipient()
	}
	var err error
	if c.Setup, err = NewSetup(set, t, seed, recipients); err != nil {
		return nil, err
	}
	if err := parallel(n, func(i int) (err error) {
		c.Messages[i], err = Contribute(c.Setup, i+1)
		return err
	}); err != nil {
		return nil, err
	}
	msgs := make([]*Message, n)
	for i, b := range c.Messages {
		d := codec.Digest(b)
		if msgs[i], err = ParseMessage(c.Setup, b, &d); err != nil {
			return nil, err
		}
	}
	if c.Keys, err = Aggregate(c.Setup, msgs); err != nil {
		return nil, err
	}
	if err := parallel(n, func(i int) (err error) {
		c.ThresholdKeys[i], err = Finalize(c.Setup, i+1, msgs, c.Transport[i])
		return err
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// parallel runs f(0..n-1) concurrently and returns the first error.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
