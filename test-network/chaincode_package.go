package testnetwork

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	chaincodeServerBinary = "statledger-cc"
	builderBinary         = "ccaas-builder"
	// chaincodeLabel names the chaincode package; the package ID is label:sha256(package).
	chaincodeLabel = "statledger_1"
)

func (n *Network) builderDir() string { return n.path("builders", "ccaas") }

// installBuilder places the project's external builder where every peer's core.yaml
// points: one binary under the three names detect, build and release.
func (n *Network) installBuilder() error {
	src, err := os.ReadFile(filepath.Join(n.opts.BinDir, builderBinary))
	if err != nil {
		return fmt.Errorf("read external builder: %w", err)
	}
	bin := filepath.Join(n.builderDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create builder directory: %w", err)
	}
	for _, name := range []string{"detect", "build", "release"} {
		if err := os.WriteFile(filepath.Join(bin, name), src, 0o755); err != nil {
			return fmt.Errorf("install builder %s: %w", name, err)
		}
	}
	return nil
}

// writeChaincodePackage creates TLS material for the chaincode server (its own CA, a
// server certificate and a client certificate the peers present) and the chaincode-as-a-
// service package: metadata.json of type ccaas and code.tar.gz with connection.json.
// The package is byte-for-byte deterministic given the certificates, so every peer
// installs the same package ID.
func (n *Network) writeChaincodePackage(c chaincode) error {
	tlsDir := filepath.Join(n.chaincodeDir(c), "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return fmt.Errorf("create chaincode directory: %w", err)
	}
	ca, err := newTLSAuthority()
	if err != nil {
		return err
	}
	server, err := ca.issue("statledger-chaincode", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return err
	}
	client, err := ca.issue("statledger-peer", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	files := map[string][]byte{"ca.crt": ca.certPEM, "server.crt": server.certPEM, "server.key": server.keyPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tlsDir, name), data, 0o600); err != nil {
			return fmt.Errorf("write chaincode TLS %s: %w", name, err)
		}
	}
	conn, err := json.MarshalIndent(map[string]any{
		"address":              "127.0.0.1:" + strconv.Itoa(c.port),
		"dial_timeout":         "10s",
		"tls_required":         true,
		"client_auth_required": true,
		"client_key":           string(client.keyPEM),
		"client_cert":          string(client.certPEM),
		"root_cert":            string(ca.certPEM),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode connection.json: %w", err)
	}
	code, err := tarGz(map[string][]byte{"connection.json": conn})
	if err != nil {
		return err
	}
	metadata, err := json.Marshal(map[string]string{"type": "ccaas", "label": c.label})
	if err != nil {
		return fmt.Errorf("encode metadata.json: %w", err)
	}
	pkg, err := tarGz(map[string][]byte{"code.tar.gz": code, "metadata.json": metadata})
	if err != nil {
		return err
	}
	return os.WriteFile(n.chaincodePackage(c), pkg, 0o644)
}

// packageID is the ID the peers give the chaincode package: label:sha256(package bytes).
func (n *Network) packageID(c chaincode) (string, error) {
	data, err := os.ReadFile(n.chaincodePackage(c))
	if err != nil {
		return "", fmt.Errorf("read chaincode package: %w", err)
	}
	sum := sha256.Sum256(data)
	return c.label + ":" + hex.EncodeToString(sum[:]), nil
}

// tarGz archives files in name order with fixed metadata, so equal input gives equal bytes.
// It archives only the files a chaincode-as-a-service package holds (code.tar.gz,
// connection.json, metadata.json) and returns an error naming any other file.
func tarGz(files map[string][]byte) ([]byte, error) {
	names := []string{"code.tar.gz", "connection.json", "metadata.json"}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("archive %s: not a file of a chaincode package (%s)", name, strings.Join(names, ", "))
		}
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range names {
		data, ok := files[name]
		if !ok {
			continue
		}
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("archive %s: %w", name, err)
		}
		if _, err := io.Copy(tw, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("archive %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("close archive: %w", err)
	}
	return buf.Bytes(), nil
}

// tlsAuthority is a throw-away CA for the chaincode server's TLS on the local network.
type tlsAuthority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

type tlsPair struct{ certPEM, keyPEM []byte }

func newTLSAuthority() (*tlsAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "statledger chaincode TLS CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &tlsAuthority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func (ca *tlsAuthority) issue(name string, usage x509.ExtKeyUsage) (tlsPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tlsPair{}, fmt.Errorf("generate %s key: %w", name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tlsPair{}, fmt.Errorf("serial for %s: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tlsPair{}, fmt.Errorf("create %s certificate: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tlsPair{}, fmt.Errorf("encode %s key: %w", name, err)
	}
	return tlsPair{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}
