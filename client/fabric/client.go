package fabric

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Identity is what a client needs to act for an organisation: its signing certificate and
// private key (PEM files), and its organisation's peer with that peer's TLS root CA.
type Identity struct {
	MSPID       string `json:"mspID" yaml:"mspID"`
	CertFile    string `json:"certFile" yaml:"certFile"`
	KeyFile     string `json:"keyFile" yaml:"keyFile"`
	PeerAddress string `json:"peerAddress" yaml:"peerAddress"`
	TLSCAFile   string `json:"tlsCAFile" yaml:"tlsCAFile"`
	// TLSServerName, when set, is the name the peer's TLS certificate must carry, for a
	// peer reached at an address its certificate does not name.
	TLSServerName string `json:"tlsServerName,omitempty" yaml:"tlsServerName,omitempty"`
}

// Target names the channel and chaincode a client talks to.
type Target struct {
	Channel   string
	Chaincode string
}

// Retry bounds the retries of transient failures: up to Attempts tries in all, waiting
// Backoff, then twice as long each time, up to MaxBackoff.
type Retry struct {
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// jitter spreads a pause over [d/2, d), so that clients refused together (MVCC conflicts
// on one key) do not retry in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// DefaultCommitWait bounds the wait for a submitted transaction's commit before the
// same signed transaction is sent to the ordering service again (see Client.Submit).
const DefaultCommitWait = 15 * time.Second

// DefaultRetry rides out a peer or orderer restart (Raft elects a leader in about 5–7 s).
var DefaultRetry = Retry{Attempts: 8, Backoff: 200 * time.Millisecond, MaxBackoff: 3 * time.Second}

// Client submits and evaluates statledger transactions as one identity.
type Client struct {
	conn     *grpc.ClientConn
	gateway  *client.Gateway
	network  *client.Network
	contract *client.Contract
	target   Target
	mspID    string
	retry    Retry
	// commitWait is how long a submitted transaction may take to commit before it is
	// sent again; zero means DefaultCommitWait.
	commitWait time.Duration
	// creator and sign make the requests the client sends to its peer's own services
	// (blocks.go), bypassing the gateway's routing.
	creator []byte
	sign    identity.Sign
}

// Option configures a Client.
type Option func(*Client)

// WithRetry replaces DefaultRetry.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r } }

// Connect opens a TLS connection to the identity's peer and a gateway for the identity.
// It returns an error if a file cannot be read or parsed; the connection itself is made
// lazily, so an unreachable peer shows up at the first call.
func Connect(id Identity, target Target, opts ...Option) (*Client, error) {
	caPEM, err := os.ReadFile(id.TLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("read peer TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("peer TLS CA %s holds no PEM certificate", filepath.Base(id.TLSCAFile))
	}
	certPEM, err := os.ReadFile(id.CertFile)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parse certificate %s: %w", filepath.Base(id.CertFile), err)
	}
	signerID, err := identity.NewX509Identity(id.MSPID, cert)
	if err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: signerID.Credentials()})
	if err != nil {
		return nil, fmt.Errorf("encode identity: %w", err)
	}
	keyPEM, err := os.ReadFile(id.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parse private key %s: %w", filepath.Base(id.KeyFile), err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("create signer: %w", err)
	}
	conn, err := grpc.NewClient(id.PeerAddress, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, id.TLSServerName)))
	if err != nil {
		return nil, fmt.Errorf("connect to peer %s: %w", id.PeerAddress, err)
	}
	gw, err := client.Connect(signerID, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(time.Minute))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect gateway: %w", err)
	}
	network := gw.GetNetwork(target.Channel)
	c := &Client{
		conn: conn, gateway: gw, network: network, contract: network.GetContract(target.Chaincode),
		target: target, mspID: id.MSPID, retry: DefaultRetry, creator: creator, sign: sign,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// MSPID is the organisation the client acts for.
func (c *Client) MSPID() string { return c.mspID }

// Close closes the gateway and the connection.
func (c *Client) Close() error {
	return errors.Join(c.gateway.Close(), c.conn.Close())
}

// Submit endorses, orders and commits a transaction and returns its result: the
// chaincode's response or, when that is a ledger.Written reference, the record the
// transaction wrote there, taken from the transaction itself. A chaincode
// error is returned at once as an error that wraps a *ledger.Error. Transient failures
// are retried (see Retry): before the transaction is endorsed, and when the peers
// invalidate it for a read conflict, with a fresh proposal; once it is endorsed, by
// sending the same signed transaction again (see below), so that a transaction that
// reached the ledger while the client lost sight of it (its peer or an orderer died
// meanwhile) is not proposed a second time.
//
// An ordering service that loses a transaction it has accepted (a Raft leader killed
// before the transaction reached a block) would leave the commit unconfirmed for ever:
// when the commit has not come within DefaultCommitWait, Submit sends the same signed
// transaction again. Peers invalidate a copy that arrives after the original committed
// (duplicate transaction ID) and report the original's status for the ID, so the
// transaction takes effect at most once.
func (c *Client) Submit(ctx context.Context, fn string, args ...string) ([]byte, error) {
	var tx *client.Transaction
	var result []byte
	err := c.withRetry(ctx, func() error {
		if tx == nil {
			proposal, err := c.contract.NewProposal(fn, client.WithArguments(args...))
			if err != nil {
				return err
			}
			if tx, err = proposal.EndorseWithContext(ctx); err != nil {
				tx = nil
				return err
			}
		}
		st, err := c.commit(ctx, tx)
		switch {
		case err != nil:
			return err
		case !st.Successful:
			tx = nil
			return commitFailed(st.TransactionID, st.Code)
		}
		prepared, err := tx.Bytes()
		if err != nil {
			return err
		}
		result, err = resolveWritten(tx.Result(), prepared, c.target.Chaincode)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("submit %s: %w", fn, err)
	}
	return result, nil
}

// commit sends an endorsed transaction to the ordering service and waits for its
// commit status, sending it again after each DefaultCommitWait without one (see Submit).
func (c *Client) commit(ctx context.Context, tx *client.Transaction) (*client.Status, error) {
	wait := c.commitWait
	if wait == 0 {
		wait = DefaultCommitWait
	}
	for {
		commit, err := tx.SubmitWithContext(ctx)
		if err != nil {
			return nil, err
		}
		waitCtx, cancel := context.WithTimeout(ctx, wait)
		st, err := commit.StatusWithContext(waitCtx)
		// gRPC may report the deadline a moment before the context records it.
		lost := ctx.Err() == nil && (waitCtx.Err() != nil || status.Code(err) == codes.DeadlineExceeded)
		cancel()
		if err == nil || !lost {
			return st, err
		}
	}
}

// Evaluate runs a read-only transaction on the client's peer and returns its result,
// retrying transient failures like Submit.
func (c *Client) Evaluate(ctx context.Context, fn string, args ...string) ([]byte, error) {
	var result []byte
	err := c.withRetry(ctx, func() error {
		var err error
		result, err = c.contract.EvaluateWithContext(ctx, fn, client.WithArguments(args...))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", fn, err)
	}
	return result, nil
}

func (c *Client) withRetry(ctx context.Context, call func() error) error {
	pause := c.retry.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		err = classify(call())
		if err == nil || !IsTransient(err) || attempt >= c.retry.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(jitter(pause)):
		}
		pause = min(2*pause, c.retry.MaxBackoff)
	}
}
