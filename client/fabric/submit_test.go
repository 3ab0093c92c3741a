package fabric

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// fakeGateway is a peer's gateway service whose ordering service loses the first lost
// transactions it accepts: their commit status never comes. Later copies commit with
// code. Its first unavailable commit status requests fail as if the peer had died.
type fakeGateway struct {
	gateway.UnimplementedGatewayServer
	result      []byte
	lost        int
	unavailable int
	code        peer.TxValidationCode

	mu        sync.Mutex
	endorsed  int
	submitted [][]byte // the envelopes sent to the ordering service, in order
}

func (g *fakeGateway) Endorse(context.Context, *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	g.mu.Lock()
	g.endorsed++
	g.mu.Unlock()
	mustMarshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			panic(err)
		}
		return b
	}
	action := mustMarshal(&peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: g.result}})
	payload := mustMarshal(&peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: mustMarshal(&peer.ProposalResponsePayload{Extension: action})}})
	tx := mustMarshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Payload: payload}}})
	env := &common.Envelope{Payload: mustMarshal(&common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(&common.ChannelHeader{ChannelId: "statistics", TxId: "tx-1"})},
		Data:   tx,
	})}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

func (g *fakeGateway) Submit(_ context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	b, err := proto.Marshal(req.GetPreparedTransaction())
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.submitted = append(g.submitted, b)
	g.mu.Unlock()
	return &gateway.SubmitResponse{}, nil
}

func (g *fakeGateway) CommitStatus(ctx context.Context, _ *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	g.mu.Lock()
	lost := len(g.submitted) <= g.lost
	down := g.unavailable > 0
	g.unavailable--
	g.mu.Unlock()
	if down {
		return nil, status.Error(codes.Unavailable, "connection refused")
	}
	if lost {
		<-ctx.Done() // never committed: the peer waits until the client gives up
		return nil, ctx.Err()
	}
	return &gateway.CommitStatusResponse{Result: g.code, BlockNumber: 7}, nil
}

// fakeClient is a Client connected to g in memory, that waits commitWait for commits
// and tries a transaction three times.
func fakeClient(t *testing.T, g *fakeGateway, commitWait time.Duration) *Client {
	t.Helper()
	l := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	gateway.RegisterGatewayServer(srv, g)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///fake-peer", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }))
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "user"}, NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	id, err := identity.NewX509Identity("HospitalAMSP", cert)
	require.NoError(t, err)
	gw, err := client.Connect(id, client.WithSign(func([]byte) ([]byte, error) { return []byte("signature"), nil }), client.WithClientConnection(conn))
	require.NoError(t, err)
	network := gw.GetNetwork("statistics")
	c := &Client{conn: conn, gateway: gw, network: network, contract: network.GetContract("statledger"),
		target: Target{Channel: "statistics", Chaincode: "statledger"}, mspID: "HospitalAMSP",
		retry: Retry{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: time.Millisecond}, commitWait: commitWait}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSubmitSendsALostTransactionAgainUntilItCommits(t *testing.T) {
	g := &fakeGateway{result: []byte(`{"id":"s-1"}`), lost: 2, code: peer.TxValidationCode_VALID}
	c := fakeClient(t, g, 100*time.Millisecond)
	got, err := c.Submit(context.Background(), "SubmitData", "{}")
	require.NoError(t, err)
	require.Equal(t, g.result, got)
	require.Equal(t, 1, g.endorsed, "one proposal, endorsed once")
	require.Len(t, g.submitted, 3, "sent again after each commit wait")
	for _, b := range g.submitted[1:] {
		require.True(t, bytes.Equal(g.submitted[0], b), "the same signed transaction each time")
	}
}

func TestSubmitSendsTheSameTransactionAgainWhenItsPeerFailsAfterEndorsing(t *testing.T) {
	// The peer died after it endorsed and forwarded the transaction: a fresh proposal
	// could take effect twice; the same transaction cannot.
	g := &fakeGateway{result: []byte(`{"id":"s-2"}`), unavailable: 2, code: peer.TxValidationCode_VALID}
	got, err := fakeClient(t, g, time.Second).Submit(context.Background(), "SubmitData", "{}")
	require.NoError(t, err)
	require.Equal(t, g.result, got)
	require.Equal(t, 1, g.endorsed, "not proposed again")
	require.Len(t, g.submitted, 3)
	for _, b := range g.submitted[1:] {
		require.True(t, bytes.Equal(g.submitted[0], b), "the same signed transaction each time")
	}
}

func TestSubmitReportsAnInvalidatedTransaction(t *testing.T) {
	tests := []struct {
		name      string
		code      peer.TxValidationCode
		transient bool
		endorsed  int
	}{
		{"a read conflict is proposed afresh, up to the attempts", peer.TxValidationCode_MVCC_READ_CONFLICT, true, 3},
		{"a copy of a committed transaction is not retried", peer.TxValidationCode_DUPLICATE_TXID, false, 1},
		{"an endorsement policy failure is not retried", peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &fakeGateway{code: tc.code}
			_, err := fakeClient(t, g, time.Second).Submit(context.Background(), "ClaimJob", "q-1", "60")
			require.ErrorContains(t, err, tc.code.String())
			require.Equal(t, tc.transient, IsTransient(err))
			var e *Error
			require.ErrorAs(t, err, &e)
			require.NotEmpty(t, e.TxID)
			require.ErrorContains(t, err, "transaction "+e.TxID)
			require.Equal(t, tc.endorsed, g.endorsed)
			require.Len(t, g.submitted, tc.endorsed, "each proposal sent once")
		})
	}
}

func TestSubmitStopsSendingWhenTheContextEnds(t *testing.T) {
	g := &fakeGateway{lost: 1 << 30, code: peer.TxValidationCode_VALID}
	c := fakeClient(t, g, 50*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.Submit(ctx, "SubmitData", "{}")
	took := time.Since(t0)
	require.ErrorContains(t, err, "DeadlineExceeded")
	require.Greater(t, took, 250*time.Millisecond, "sent again until the context ended")
	require.Less(t, took, 2*time.Second, "and no longer")
	require.GreaterOrEqual(t, len(g.submitted), 2)
	require.LessOrEqual(t, len(g.submitted), 7, "about one copy per commit wait")
}
