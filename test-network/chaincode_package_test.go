package testnetwork

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// untarGz reads a .tar.gz into name → content, in archive order.
func untarGz(t *testing.T, data []byte) ([]string, map[string][]byte, []*tar.Header) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	var names []string
	var headers []*tar.Header
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		content, err := io.ReadAll(tr)
		require.NoError(t, err)
		names = append(names, hdr.Name)
		headers = append(headers, hdr)
		files[hdr.Name] = content
	}
	return names, files, headers
}

func TestTarGzIsDeterministic(t *testing.T) {
	files := map[string][]byte{"metadata.json": []byte(`{"type":"ccaas"}`), "code.tar.gz": []byte("code")}
	a, err := tarGz(files)
	require.NoError(t, err)
	for range 20 { // map iteration order varies between calls; the archive must not
		b, err := tarGz(map[string][]byte{"code.tar.gz": []byte("code"), "metadata.json": []byte(`{"type":"ccaas"}`)})
		require.NoError(t, err)
		require.Equal(t, a, b)
	}
	names, got, headers := untarGz(t, a)
	require.Equal(t, []string{"code.tar.gz", "metadata.json"}, names, "archived in name order")
	require.Equal(t, files, got)
	for _, h := range headers {
		require.True(t, h.ModTime.Equal(time.Unix(0, 0)), "fixed modification time")
		require.Equal(t, int64(0o644), h.Mode)
	}
	gz, err := gzip.NewReader(bytes.NewReader(a))
	require.NoError(t, err)
	require.True(t, gz.ModTime.IsZero(), "no time in the gzip header either")
}

func TestTarGzRefusesUnknownFileNames(t *testing.T) {
	// tarGz archives only the three names of a chaincode package; any other file is an
	// error naming it, never dropped silently.
	out, err := tarGz(map[string][]byte{"connection.json": []byte("{}"), "META-INF/statedb/index.json": []byte("{}")})
	require.ErrorContains(t, err, "META-INF/statedb/index.json")
	require.Nil(t, out)
}

func TestWriteChaincodePackage(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	c := n.statledgerChaincode()
	require.NoError(t, n.writeChaincodePackage(c))

	pkg, err := os.ReadFile(n.chaincodePackage(c))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(n.StateDir(), "chaincode", "statledger.tar.gz"), n.chaincodePackage(c))

	names, files, _ := untarGz(t, pkg)
	require.Equal(t, []string{"code.tar.gz", "metadata.json"}, names)
	var metadata map[string]string
	require.NoError(t, json.Unmarshal(files["metadata.json"], &metadata))
	require.Equal(t, map[string]string{"type": "ccaas", "label": chaincodeLabel}, metadata)

	codeNames, code, _ := untarGz(t, files["code.tar.gz"])
	require.Equal(t, []string{"connection.json"}, codeNames)
	var conn struct {
		Address            string `json:"address"`
		DialTimeout        string `json:"dial_timeout"`
		TLSRequired        bool   `json:"tls_required"`
		ClientAuthRequired bool   `json:"client_auth_required"`
		ClientKey          string `json:"client_key"`
		ClientCert         string `json:"client_cert"`
		RootCert           string `json:"root_cert"`
	}
	dec := json.NewDecoder(bytes.NewReader(code["connection.json"]))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&conn))
	require.Equal(t, "127.0.0.1:7340", conn.Address, "the chaincode server's port from the layout")
	require.True(t, conn.TLSRequired)
	require.True(t, conn.ClientAuthRequired)
	_, err = time.ParseDuration(conn.DialTimeout)
	require.NoError(t, err)

	// The server's TLS files and the peers' client credentials come from one CA and fit
	// together: a TLS handshake over a pipe with exactly these files succeeds.
	tlsDir := filepath.Join(n.chaincodeDir(c), "tls")
	caPEM := readFile(t, filepath.Join(tlsDir, "ca.crt"))
	require.Equal(t, string(caPEM), conn.RootCert)
	for _, f := range []string{"ca.crt", "server.crt", "server.key"} {
		info, err := os.Stat(filepath.Join(tlsDir, f))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s is private", f)
	}
	serverPair, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, "server.crt"), filepath.Join(tlsDir, "server.key"))
	require.NoError(t, err)
	clientPair, err := tls.X509KeyPair([]byte(conn.ClientCert), []byte(conn.ClientKey))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	serverConfig := func() *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{serverPair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	}
	clientErr, serverErr := handshake(serverConfig(),
		&tls.Config{Certificates: []tls.Certificate{clientPair}, RootCAs: pool, ServerName: "127.0.0.1"})
	require.NoError(t, clientErr)
	require.NoError(t, serverErr)

	// Control: a peer that trusts another CA refuses the server.
	stranger, err := newTLSAuthority()
	require.NoError(t, err)
	strangers := x509.NewCertPool()
	require.True(t, strangers.AppendCertsFromPEM(stranger.certPEM))
	clientErr, _ = handshake(serverConfig(),
		&tls.Config{Certificates: []tls.Certificate{clientPair}, RootCAs: strangers, ServerName: "127.0.0.1"})
	require.Error(t, clientErr)

	server := parseCert(t, readFile(t, filepath.Join(tlsDir, "server.crt")))
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, server.ExtKeyUsage)
	require.Contains(t, server.DNSNames, "localhost")
	client := parseCert(t, []byte(conn.ClientCert))
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, client.ExtKeyUsage)
	require.NotEqual(t, server.SerialNumber, client.SerialNumber)
}

// handshake runs a TLS handshake over an in-memory pipe and returns the client's and the
// server's errors.
func handshake(serverConfig, clientConfig *tls.Config) (clientErr, serverErr error) {
	a, b := net.Pipe()
	errs := make(chan error, 1)
	serverConfig.SessionTicketsDisabled = true
	go func() {
		errs <- tls.Server(a, serverConfig).Handshake()
		a.Close()
	}()
	clientErr = tls.Client(b, clientConfig).Handshake()
	b.Close()
	return clientErr, <-errs
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func parseCert(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemData)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}

var packageIDPattern = regexp.MustCompile(`^statledger_1:[0-9a-f]{64}$`)

func TestPackageID(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	c := n.statledgerChaincode()
	_, err := n.packageID(c)
	require.ErrorContains(t, err, "read chaincode package", "no package yet")

	require.NoError(t, n.writeChaincodePackage(c))
	id, err := n.packageID(c)
	require.NoError(t, err)
	require.Regexp(t, packageIDPattern, id)
	sum := sha256.Sum256(readFile(t, n.chaincodePackage(c)))
	require.Equal(t, "statledger_1:"+hex.EncodeToString(sum[:]), id, "label:sha256 of the package file, as the peer computes it")

	again, err := n.packageID(c)
	require.NoError(t, err)
	require.Equal(t, id, again, "reading the same package gives the same ID")
}

func TestSameCertificatesGiveTheSamePackage(t *testing.T) {
	// Rebuild the package from the contents of a written one, as another machine with the
	// same certificates would: the bytes, and so the package ID, are identical.
	n := newTestNetwork(t, demoDefinition(t))
	c := n.statledgerChaincode()
	require.NoError(t, n.writeChaincodePackage(c))
	pkg := readFile(t, n.chaincodePackage(c))
	_, files, _ := untarGz(t, pkg)
	_, code, _ := untarGz(t, files["code.tar.gz"])

	rebuiltCode, err := tarGz(code)
	require.NoError(t, err)
	require.Equal(t, files["code.tar.gz"], rebuiltCode)
	rebuilt, err := tarGz(map[string][]byte{"code.tar.gz": rebuiltCode, "metadata.json": files["metadata.json"]})
	require.NoError(t, err)
	require.Equal(t, pkg, rebuilt)

	// New certificates give a new package and so a new ID: a regenerated network
	// installs a new package rather than reusing an old one.
	other := newTestNetwork(t, demoDefinition(t))
	require.NoError(t, other.writeChaincodePackage(other.statledgerChaincode()))
	id1, err := n.packageID(c)
	require.NoError(t, err)
	id2, err := other.packageID(other.statledgerChaincode())
	require.NoError(t, err)
	require.NotEqual(t, id1, id2)
}

func TestChaincodes(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	cc, bench := n.statledgerChaincode(), n.benchChaincode()

	require.Equal(t, "statledger", cc.name)
	require.True(t, cc.statledger)
	require.Equal(t, n.layout.ChaincodePort, cc.port)
	require.Equal(t, "chaincode", cc.nodeName(), "statledger's log keeps its old name")
	require.Equal(t, n.path("chaincode"), n.chaincodeDir(cc))

	require.Equal(t, BenchChaincode, bench.name)
	require.Equal(t, "benchkv_1", bench.label)
	require.Equal(t, BenchChaincodeBinary, bench.binary)
	require.False(t, bench.statledger)
	require.Equal(t, "chaincode-benchkv", bench.nodeName())
	require.Equal(t, n.path("chaincode", "benchkv"), n.chaincodeDir(bench))
	require.NotEqual(t, n.chaincodePackage(cc), n.chaincodePackage(bench))

	require.Equal(t, cc.port+1, bench.port)
	require.Less(t, bench.port, n.opts.Definition.BasePort+300, "inside the port span the layout reserves")
	require.Equal(t, n.layout.BenchChaincodePort, bench.port)
	uses := 0
	for _, p := range n.layout.Ports() {
		if p == bench.port {
			uses++
		}
	}
	require.Equal(t, 1, uses, "the bench server's port is checked before start and used by no other node")
}

func TestNodes(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	_, err := n.nodes()
	require.ErrorContains(t, err, "read chaincode package", "nodes need the chaincode package for its ID")

	require.NoError(t, n.writeChaincodePackage(n.statledgerChaincode()))
	nodes, err := n.nodes()
	require.NoError(t, err)
	var names []string
	ports := map[int]string{}
	for _, nd := range nodes {
		names = append(names, nd.name)
		other, dup := ports[nd.port]
		require.False(t, dup, "%s and %s wait for one port", nd.name, other)
		ports[nd.port] = nd.name
	}
	require.Equal(t, []string{"orderer0", "peer-StatOffice", "peer-HospitalA", "peer-HospitalB", "peer-Regulator", "chaincode"}, names,
		"orderers first, chaincode last: Down stops them in reverse")

	cc := nodes[len(nodes)-1]
	id, err := n.packageID(n.statledgerChaincode())
	require.NoError(t, err)
	require.Contains(t, cc.env, "CHAINCODE_ID="+id, "CHAINCODE_ID must be exactly the package ID")
	require.Contains(t, cc.env, "CHAINCODE_SERVER_ADDRESS=127.0.0.1:7340")
	require.Equal(t, filepath.Join(n.opts.BinDir, chaincodeServerBinary), cc.bin)
	require.Empty(t, cc.healthz)

	peer := nodes[2]
	require.Equal(t, n.fabricBin("peer"), peer.bin)
	require.Equal(t, []string{"node", "start"}, peer.args)
	require.Equal(t, "http://127.0.0.1:7162/healthz", peer.healthz)
	require.Equal(t, 7160, peer.port)
	require.Contains(t, peer.env, "FABRIC_CFG_PATH="+n.path("peers", "HospitalA"))

	orderer := nodes[0]
	require.Equal(t, "http://127.0.0.1:7052/healthz", orderer.healthz)
	require.Equal(t, 7050, orderer.port)

	// The bench chaincode's server joins the nodes once its package exists.
	require.NoError(t, n.writeChaincodePackage(n.benchChaincode()))
	nodes, err = n.nodes()
	require.NoError(t, err)
	require.Equal(t, "chaincode-benchkv", nodes[len(nodes)-1].name)
	require.Equal(t, 7341, nodes[len(nodes)-1].port)
	benchID, err := n.packageID(n.benchChaincode())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(benchID, "benchkv_1:"))
	require.NotEqual(t, id, benchID)

	nd, err := n.node("peer-HospitalB")
	require.NoError(t, err)
	require.Equal(t, 7170, nd.port)
	_, err = n.node("peer-Nobody")
	require.ErrorContains(t, err, `no node "peer-Nobody" in this network`)
	require.Equal(t, "peer-HospitalA", PeerNode("HospitalA"))
}

func TestStatusOfAGeneratedNetworkThatIsNotRunning(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	require.NoError(t, n.writeChaincodePackage(n.statledgerChaincode()))
	require.NoError(t, os.MkdirAll(filepath.Dir(n.genesisBlock()), 0o755))
	require.NoError(t, os.WriteFile(n.genesisBlock(), []byte("block"), 0o644))
	require.NoError(t, os.MkdirAll(n.path("pids"), 0o755))
	// A stale PID file from an earlier run whose PID now belongs to another program.
	writePID(t, n, "orderer0", "1")

	s, err := n.Status()
	require.NoError(t, err)
	require.Empty(t, s.Running)
	require.Len(t, s.Stopped, 6)
	require.False(t, s.Up())

	require.NoError(t, n.Down(false), "down of a stopped network succeeds")
	_, err = os.Stat(n.pidFile("orderer0"))
	require.ErrorIs(t, err, os.ErrNotExist, "down clears stale PID files")
	require.True(t, n.generated(), "down without purge keeps the state")
}
