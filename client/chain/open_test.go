package chain_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/profile"
)

// regulatorProfile writes a self-signed certificate and its key, and returns a profile
// that uses them as identity and as every peer's TLS CA.
func regulatorProfile(t *testing.T) profile.Profile {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "User1@regulator.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return profile.Profile{
		Name: "regulator", Org: "Regulator", MSPID: "RegulatorMSP", PeerEndpoint: "127.0.0.1:7081",
		Channel: "statistics", Chaincode: "statledger", TLSCAFile: cert, CertFile: cert, KeyFile: keyFile,
		Peers: []profile.Peer{
			{Org: "StatOffice", Endpoint: "127.0.0.1:7051", TLSCAFile: cert},
			{Org: "HospitalA", Endpoint: "127.0.0.1:7061", TLSCAFile: cert, ServerName: "peer0.hospitala.example"},
		},
	}
}

func TestOpenMakesOneSourcePerPeerOwnFirst(t *testing.T) {
	sources, closeAll, err := chain.Open(regulatorProfile(t))
	require.NoError(t, err)
	var got []string
	for _, s := range sources {
		require.NotNil(t, s.Peer)
		got = append(got, s.Org+"@"+s.Endpoint)
	}
	require.Equal(t, []string{"Regulator@127.0.0.1:7081", "StatOffice@127.0.0.1:7051", "HospitalA@127.0.0.1:7061"}, got)
	require.NoError(t, closeAll())
}

func TestOpenRefusesProfilesItCannotUse(t *testing.T) {
	p := regulatorProfile(t)
	p.Peers = nil
	_, _, err := chain.Open(p)
	require.ErrorContains(t, err, "profile regulator lists no other organisation's peer to compare the ledger with")

	p = regulatorProfile(t)
	p.Peers[1].TLSCAFile = filepath.Join(t.TempDir(), "missing.pem")
	_, _, err = chain.Open(p)
	require.ErrorContains(t, err, "connect to HospitalA's peer 127.0.0.1:7061: read peer TLS CA")
	require.ErrorIs(t, err, os.ErrNotExist)
}
