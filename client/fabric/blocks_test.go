package fabric

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// fakePeer serves a peer's Endorser and Deliver services over TLS, checking that every
// request is signed by the identity the test connects with, as a real peer would.
type fakePeer struct {
	peer.UnimplementedEndorserServer
	peer.UnimplementedDeliverServer
	key    *ecdsa.PublicKey
	blocks uint64 // the peer's height
	// deliver, when set, replaces the normal answer to a valid deliver request.
	deliver func(stream peer.Deliver_DeliverServer, seek *orderer.SeekInfo) error
	// chainInfo, when set, replaces the normal answer to GetChainInfo.
	chainInfo *peer.Response
}

// verify checks an ECDSA signature over SHA-256 of msg by the test identity.
func (f *fakePeer) verify(msg, sig []byte) error {
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(f.key, digest[:], sig) {
		return errors.New("bad signature")
	}
	return nil
}

func (f *fakePeer) ProcessProposal(_ context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	if err := f.verify(sp.GetProposalBytes(), sp.GetSignature()); err != nil {
		return nil, err
	}
	var prop peer.Proposal
	var payload peer.ChaincodeProposalPayload
	var spec peer.ChaincodeInvocationSpec
	if err := decode(
		func() ([]byte, proto.Message) { return sp.GetProposalBytes(), &prop },
		func() ([]byte, proto.Message) { return prop.GetPayload(), &payload },
		func() ([]byte, proto.Message) { return payload.GetInput(), &spec },
	); err != nil {
		return nil, err
	}
	args := spec.GetChaincodeSpec().GetInput().GetArgs()
	if name := spec.GetChaincodeSpec().GetChaincodeId().GetName(); name != "qscc" || len(args) != 2 || string(args[0]) != "GetChainInfo" || string(args[1]) != "statistics" {
		return nil, fmt.Errorf("unexpected call %s %q", name, args)
	}
	if f.chainInfo != nil {
		return &peer.ProposalResponse{Response: f.chainInfo}, nil
	}
	info, err := proto.Marshal(&common.BlockchainInfo{Height: f.blocks, CurrentBlockHash: []byte("tip")})
	if err != nil {
		return nil, err
	}
	return &peer.ProposalResponse{Response: &peer.Response{Status: 200, Payload: info}}, nil
}

// decode runs nested protobuf decodings in order, each step reading what the one before
// decoded.
func decode(steps ...func() ([]byte, proto.Message)) error {
	for _, step := range steps {
		raw, msg := step()
		if err := proto.Unmarshal(raw, msg); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakePeer) Deliver(stream peer.Deliver_DeliverServer) error {
	env, err := stream.Recv()
	if err != nil {
		return err
	}
	if err := f.verify(env.GetPayload(), env.GetSignature()); err != nil {
		return err
	}
	var payload common.Payload
	var ch common.ChannelHeader
	var sh common.SignatureHeader
	var creator msp.SerializedIdentity
	var seek orderer.SeekInfo
	if err := decode(
		func() ([]byte, proto.Message) { return env.GetPayload(), &payload },
		func() ([]byte, proto.Message) { return payload.GetHeader().GetChannelHeader(), &ch },
		func() ([]byte, proto.Message) { return payload.GetHeader().GetSignatureHeader(), &sh },
		func() ([]byte, proto.Message) { return sh.GetCreator(), &creator },
		func() ([]byte, proto.Message) { return payload.GetData(), &seek },
	); err != nil {
		return err
	}
	if ch.GetType() != int32(common.HeaderType_DELIVER_SEEK_INFO) || ch.GetChannelId() != "statistics" || creator.GetMspid() != "RegulatorMSP" {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_BAD_REQUEST}})
	}
	if f.deliver != nil {
		return f.deliver(stream, &seek)
	}
	start, stop := seek.GetStart().GetSpecified().GetNumber(), seek.GetStop().GetSpecified().GetNumber()
	if seek.GetBehavior() != orderer.SeekInfo_FAIL_IF_NOT_READY {
		return errors.New("the client would wait for blocks that do not exist")
	}
	for n := start; n <= stop; n++ {
		if n >= f.blocks {
			return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_NOT_FOUND}})
		}
		b := &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: &common.Block{Header: &common.BlockHeader{Number: n}}}}
		if err := stream.Send(b); err != nil {
			return err
		}
	}
	return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_SUCCESS}})
}

// startFakePeer serves f and returns a client connected to it as the Regulator.
func startFakePeer(t *testing.T, f *fakePeer) *Client {
	t.Helper()
	c, err := Connect(serveFakePeer(t, f), Target{Channel: "statistics", Chaincode: "statledger"}, WithRetry(Retry{Attempts: 1}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// serveFakePeer serves f on a loopback port with a fresh self-signed certificate for
// 127.0.0.1 and peer0.fake.example, which is also the client's identity, and returns
// that identity, addressed to the peer.
func serveFakePeer(t *testing.T, f *fakePeer) Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	f.key = &key.PublicKey
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "peer0.fake.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"peer0.fake.example"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))

	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&pair)))
	peer.RegisterEndorserServer(srv, f)
	peer.RegisterDeliverServer(srv, f)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	return Identity{MSPID: "RegulatorMSP", CertFile: certFile, KeyFile: keyFile, PeerAddress: lis.Addr().String(), TLSCAFile: certFile}
}

func TestTLSServerNameReachesAPeerAtAnAddressItsCertificateDoesNotName(t *testing.T) {
	id := serveFakePeer(t, &fakePeer{blocks: 3})
	_, port, err := net.SplitHostPort(id.PeerAddress)
	require.NoError(t, err)
	id.PeerAddress = "localhost:" + port // the certificate names 127.0.0.1 and peer0.fake.example
	target := Target{Channel: "statistics", Chaincode: "statledger"}

	c, err := Connect(id, target, WithRetry(Retry{Attempts: 1}))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ChainInfo(context.Background())
	require.ErrorContains(t, err, "certificate is valid for peer0.fake.example, not localhost")

	id.TLSServerName = "peer0.fake.example"
	c, err = Connect(id, target, WithRetry(Retry{Attempts: 1}))
	require.NoError(t, err)
	defer c.Close()
	info, err := c.ChainInfo(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(3), info.GetHeight())
}

func TestChainInfoAsksTheConnectedPeersQSCC(t *testing.T) {
	c := startFakePeer(t, &fakePeer{blocks: 7})
	info, err := c.ChainInfo(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(7), info.GetHeight())
	require.Equal(t, []byte("tip"), info.GetCurrentBlockHash())
}

func TestChainInfoReportsARefusal(t *testing.T) {
	c := startFakePeer(t, &fakePeer{chainInfo: &peer.Response{Status: 500, Message: "access denied for [GetChainInfo]"}})
	_, err := c.ChainInfo(context.Background())
	require.ErrorContains(t, err, "read chain info of channel statistics: peer answered status 500: access denied for [GetChainInfo]")

	c = startFakePeer(t, &fakePeer{chainInfo: &peer.Response{Status: 200, Payload: []byte{0xff, 0xff}}})
	_, err = c.ChainInfo(context.Background())
	require.ErrorContains(t, err, "decode chain info")
}

// collect reads every block and error the sequence yields.
func collect(c *Client, from, to uint64) (numbers []uint64, errs []error) {
	for b, err := range c.Blocks(context.Background(), from, to) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		numbers = append(numbers, b.GetHeader().GetNumber())
	}
	return numbers, errs
}

func TestBlocksStreamsARangeFromTheConnectedPeer(t *testing.T) {
	c := startFakePeer(t, &fakePeer{blocks: 10})
	numbers, errs := collect(c, 3, 7)
	require.Empty(t, errs)
	require.Equal(t, []uint64{3, 4, 5, 6}, numbers)

	numbers, errs = collect(c, 5, 5)
	require.Empty(t, errs, "an empty range asks nothing")
	require.Empty(t, numbers)

	// A caller that stops early ends the stream.
	n := 0
	for _, err := range c.Blocks(context.Background(), 0, 10) {
		require.NoError(t, err)
		n++
		if n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
}

func TestBlocksNamesWhatWentWrong(t *testing.T) {
	tests := []struct {
		name    string
		peer    *fakePeer
		from    uint64
		to      uint64
		blocks  int
		wantErr string
	}{
		{"blocks the peer does not have", &fakePeer{blocks: 4}, 2, 6, 2, "read blocks 2-5 of channel statistics: the peer answered NOT_FOUND before block 4"},
		{"a refusal", &fakePeer{blocks: 4, deliver: func(s peer.Deliver_DeliverServer, _ *orderer.SeekInfo) error {
			return s.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_FORBIDDEN}})
		}}, 0, 3, 0, "the peer answered FORBIDDEN before block 0 (this identity may not read the channel's blocks from it)"},
		{"a stream closed early", &fakePeer{blocks: 4, deliver: func(s peer.Deliver_DeliverServer, _ *orderer.SeekInfo) error {
			return s.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: &common.Block{}}})
		}}, 0, 3, 1, "the peer closed the stream before block 1"},
		{"success before the last block", &fakePeer{blocks: 4, deliver: func(s peer.Deliver_DeliverServer, _ *orderer.SeekInfo) error {
			return s.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_SUCCESS}})
		}}, 0, 3, 0, "the peer answered SUCCESS before block 0"},
		{"a range up to the largest block number", &fakePeer{blocks: 4}, 0, 1<<64 - 1, 4, "the peer answered NOT_FOUND before block 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			numbers, errs := collect(startFakePeer(t, tt.peer), tt.from, tt.to)
			require.Len(t, numbers, tt.blocks)
			require.Len(t, errs, 1, "the error ends the sequence")
			require.ErrorContains(t, errs[0], tt.wantErr)
		})
	}
}

func TestBlocksOfAnUnreachablePeerIsAnError(t *testing.T) {
	c := startFakePeer(t, &fakePeer{blocks: 4})
	c.conn.Close()
	_, errs := collect(c, 0, 2)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "read blocks 0-1 of channel statistics")
}
