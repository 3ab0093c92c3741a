package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
)

// An attacker talks to a peer's gateway with fabric-gateway directly, under an identity
// and a signer the test chooses, so that it can send what statledger's own client never
// does: proposals without a creator or a signature, transactions signed by the wrong key,
// the same signed bytes twice.
type attacker struct {
	gw       *client.Gateway
	network  *client.Network
	contract *client.Contract
}

// anonymous is an identity with no MSP ID and no certificate: its proposals carry an
// empty creator.
type anonymous struct{}

func (anonymous) MspID() string       { return "" }
func (anonymous) Credentials() []byte { return nil }

// noSignature is a signer that signs nothing: the gateway client sends the message with
// an empty signature.
func noSignature([]byte) ([]byte, error) { return nil, nil }

// dialPeer opens a connection to the peer an organisation's user talks to: over TLS with
// the peer's TLS CA, or in plaintext when tls is false.
func dialPeer(t testing.TB, org string, tls bool) *grpc.ClientConn {
	t.Helper()
	user, err := env.Net.User(org)
	require.NoError(t, err)
	creds := insecure.NewCredentials()
	if tls {
		caPEM, err := os.ReadFile(user.TLSCAFile)
		require.NoError(t, err)
		pool := x509.NewCertPool()
		require.True(t, pool.AppendCertsFromPEM(caPEM))
		creds = credentials.NewClientTLSFromCert(pool, "")
	}
	conn, err := grpc.NewClient(user.PeerAddress, grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// newAttacker connects to the peer an organisation's user talks to, as id signing with
// sign.
func newAttacker(t testing.TB, conn *grpc.ClientConn, id identity.Identity, sign identity.Sign) *attacker {
	t.Helper()
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	network := gw.GetNetwork(env.Net.Layout().ChannelID)
	return &attacker{gw: gw, network: network, contract: network.GetContract(env.Net.Layout().ChaincodeName)}
}

// userSigner returns the certificate and the signer of an organisation's ordinary user.
func userSigner(t testing.TB, org string) (identity.Identity, identity.Sign) {
	t.Helper()
	user, err := env.Net.User(org)
	require.NoError(t, err)
	certPEM, err := os.ReadFile(user.CertFile)
	require.NoError(t, err)
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	id, err := identity.NewX509Identity(user.MSPID, cert)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(user.KeyFile)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	return id, sign
}

// foreignSigner signs with a fresh key that no certificate on the network holds.
func foreignSigner(t testing.TB) identity.Sign {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	return sign
}

// forgedIdentity returns a statledger client identity for org's peer whose certificate
// claims org's MSP ID but is issued by a freshly generated, self-signed CA that no channel
// member knows. Its subject and organisational unit copy what cryptogen issues.
func forgedIdentity(t testing.TB, org string) fabric.Identity {
	t.Helper()
	user, err := env.Net.User(org)
	require.NoError(t, err)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	domain := strings.ToLower(org) + ".statledger.local"
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca." + domain, Organization: []string{domain}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "User1@" + domain, OrganizationalUnit: []string{"client"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	forged := fabric.Identity{
		MSPID: user.MSPID, PeerAddress: user.PeerAddress, TLSCAFile: user.TLSCAFile,
		CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
	}
	require.NoError(t, os.WriteFile(forged.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(forged.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return forged
}

// requireRefusedByFabric asserts that Fabric itself refused a call before any chaincode
// ran: err carries the gRPC status code want, its message or one of the peers' or
// orderers' details contains detail, and it holds no chaincode error code. It returns a
// short description for the report.
func requireRefusedByFabric(t testing.TB, err error, want codes.Code, detail, what string) string {
	t.Helper()
	require.Error(t, err, what)
	require.Equal(t, ledger.Code(""), ledger.CodeOf(err), "%s: the chaincode answered: %v", what, err)
	var st interface{ GRPCStatus() *status.Status }
	require.True(t, errors.As(err, &st), "%s: not a gRPC status: %v", what, err)
	s := st.GRPCStatus()
	require.Equal(t, want, s.Code(), "%s: %v", what, err)
	texts := []string{s.Message()}
	for _, d := range s.Details() {
		if gd, ok := d.(*gateway.ErrorDetail); ok {
			texts = append(texts, gd.GetMessage())
		}
	}
	require.True(t, strings.Contains(strings.Join(texts, "\n"), detail), "%s: no %q in %q", what, detail, texts)
	return want.String() + " (" + detail + ")"
}

// blockHeights returns every organisation's peer's block height.
func blockHeights(t testing.TB, ctx context.Context) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, org := range allOrgs {
		h, err := env.Net.BlockHeight(ctx, org)
		require.NoError(t, err)
		out[org] = h
	}
	return out
}
