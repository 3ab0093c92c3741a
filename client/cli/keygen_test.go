package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/crypto/params"
)

// keygenWorld is a directory with a shared blob store and one profile per key holder.
type keygenWorld struct {
	dir, blobs string
	profiles   map[string]string // MSP ID -> profile file
	env        map[string]string
}

var keygenHolders = []string{"HospitalAMSP", "HospitalBMSP", "StatOfficeMSP"}

func newKeygenWorld(t *testing.T) *keygenWorld {
	t.Helper()
	w := &keygenWorld{dir: t.TempDir(), profiles: map[string]string{}}
	w.blobs = filepath.Join(w.dir, "blobs")
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		require.NoError(t, os.WriteFile(filepath.Join(w.dir, f), []byte("placeholder"), 0o600))
	}
	for _, msp := range keygenHolders {
		name := strings.ToLower(strings.TrimSuffix(msp, "MSP"))
		p := fmt.Sprintf(`name: %s
org: %s
mspID: %s
peerEndpoint: localhost:1
tlsCAFile: ca.pem
certFile: cert.pem
keyFile: key.pem
blobStoreURL: blobs
keySharePath: keys/%s
`, name, strings.TrimSuffix(msp, "MSP"), msp, name)
		path := filepath.Join(w.dir, name+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(p), 0o600))
		w.profiles[msp] = path
	}
	w.env = map[string]string{keyceremony.EnvIdentityFile: filepath.Join(w.dir, "protect", "id.txt")}
	return w
}

// run runs the CLI and returns its exit status, stdout and stderr.
func (w *keygenWorld) run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Execute(args, &out, &errb, func(k string) (string, bool) { v, ok := w.env[k]; return v, ok })
	return code, out.String(), errb.String()
}

// keygenConsortium answers GetConsortium for the setup made outside the CLI.
type keygenConsortium struct{}

func (keygenConsortium) GetConsortium(context.Context) (ledger.Consortium, error) {
	return ledger.Consortium{Name: "demo", Threshold: 2, Orgs: []ledger.Org{
		{Name: "StatOffice", MSPID: "StatOfficeMSP", Roles: []ledger.Role{ledger.RoleMember}, KeyHolder: true},
		{Name: "HospitalA", MSPID: "HospitalAMSP", Roles: []ledger.Role{ledger.RoleMember}, KeyHolder: true},
		{Name: "HospitalB", MSPID: "HospitalBMSP", Roles: []ledger.Role{ledger.RoleMember}, KeyHolder: true},
	}}, nil
}

func TestKeygenHolderStepsThroughTheCommandLine(t *testing.T) {
	w := newKeygenWorld(t)
	recipients := map[string]string{}
	for _, msp := range keygenHolders {
		code, out, errOut := w.run("--profile", w.profiles[msp], "-o", "json", "consortium", "keygen", "transport")
		require.Equal(t, cli.ExitOK, code, errOut)
		var tr struct {
			MSPID     string `json:"mspID"`
			Recipient string `json:"recipient"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &tr))
		require.Equal(t, msp, tr.MSPID)
		require.True(t, strings.HasPrefix(tr.Recipient, "age1"))
		recipients[msp] = tr.Recipient
	}
	// The identity file was created once, by the first holder's run.
	st, err := os.Stat(w.env[keyceremony.EnvIdentityFile])
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// The coordinator's setup needs the ledger; make it with the library over the same store.
	u, err := blobstore.FileURL(w.blobs)
	require.NoError(t, err)
	store, err := blobstore.Open(context.Background(), u)
	require.NoError(t, err)
	defer store.Close()
	setup, err := keyceremony.NewSetup(context.Background(), keygenConsortium{}, store, params.InsecureN11T58, recipients)
	require.NoError(t, err)

	var messages []string
	for _, msp := range keygenHolders {
		code, out, errOut := w.run("--profile", w.profiles[msp], "-o", "json", "consortium", "keygen", "contribute", "--setup", setup.Digest)
		require.Equal(t, cli.ExitOK, code, errOut)
		var c keyceremony.Contribution
		require.NoError(t, json.Unmarshal([]byte(out), &c))
		messages = append(messages, c.MessageDigest)
	}
	for _, msp := range keygenHolders {
		code, out, errOut := w.run("--profile", w.profiles[msp], "consortium", "keygen", "finalize", "--setup", setup.Digest, "--message", strings.Join(messages, ","))
		require.Equal(t, cli.ExitOK, code, errOut)
		require.Contains(t, out, "transport identity")
		require.Contains(t, out, "destroyed")
		share := filepath.Join(w.dir, "keys", strings.ToLower(strings.TrimSuffix(msp, "MSP")))
		st, err := os.Stat(share)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		require.NoFileExists(t, keyceremony.TransportPath(share))
	}
}

func TestKeygenBadCommandLinesAreUsageErrorsOnOneLine(t *testing.T) {
	w := newKeygenWorld(t)
	p := w.profiles["HospitalAMSP"]
	digest := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no step", []string{"consortium", "keygen"}},
		{"an unknown step", []string{"consortium", "keygen", "frob"}},
		{"contribute without --setup", []string{"consortium", "keygen", "contribute"}},
		{"a malformed setup digest", []string{"consortium", "keygen", "contribute", "--setup", "ABC"}},
		{"finalize without messages", []string{"consortium", "keygen", "finalize", "--setup", digest}},
		{"a malformed message digest", []string{"consortium", "keygen", "finalize", "--setup", digest, "--message", digest + ",xyz"}},
		{"publish without a key ID", []string{"consortium", "keygen", "publish", "--setup", digest, "--message", digest}},
		{"a malformed key ID", []string{"consortium", "keygen", "publish", "--key-id", "a b", "--setup", digest, "--message", digest}},
		{"a malformed recipient", []string{"consortium", "keygen", "setup", "--recipient", "HospitalAMSP"}},
		{"a recipient given twice", []string{"consortium", "keygen", "setup", "--recipient", "A=age1x", "--recipient", "A=age1y"}},
		{"an unknown parameter set", []string{"consortium", "keygen", "setup", "--params", "N99", "--recipient", "A=age1x"}},
		{"local without holders", []string{"consortium", "keygen", "local", "--key-id", "k"}},
		{"local with an unknown parameter set", []string{"consortium", "keygen", "local", "--key-id", "k", "--holder", p, "--params", "N99"}},
		{"show without a key", []string{"consortium", "keygen", "show"}},
		{"an unknown flag", []string{"consortium", "keygen", "transport", "--frob"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := w.run(append([]string{"--profile", p}, tc.args...)...)
			require.Equal(t, cli.ExitUsage, code, errOut)
			require.Empty(t, out)
			require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		})
	}
}

func TestKeygenFailuresNameTheirCause(t *testing.T) {
	w := newKeygenWorld(t)
	p := w.profiles["HospitalAMSP"]
	digest := strings.Repeat("ab", 32)

	// No protection configured.
	w.env = map[string]string{}
	code, _, errOut := w.run("--profile", p, "consortium", "keygen", "transport")
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, keyceremony.EnvIdentityFile)

	// A profile without a key share path.
	w = newKeygenWorld(t)
	noShare := filepath.Join(w.dir, "noshare.yaml")
	data, err := os.ReadFile(w.profiles["HospitalAMSP"])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(noShare, []byte(strings.Replace(string(data), "keySharePath: keys/hospitala\n", "", 1)), 0o600))
	code, _, errOut = w.run("--profile", noShare, "consortium", "keygen", "transport")
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, "keySharePath")

	// Contributing before the transport step, and to a setup that is not stored.
	code, _, errOut = w.run("--profile", p, "consortium", "keygen", "contribute", "--setup", digest)
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, "transport step")
	code, _, _ = w.run("--profile", p, "consortium", "keygen", "transport")
	require.Equal(t, cli.ExitOK, code)
	code, _, errOut = w.run("--profile", p, "consortium", "keygen", "contribute", "--setup", digest)
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, digest)
	require.Equal(t, 1, strings.Count(errOut, "\n"))
	code, _, errOut = w.run("--profile", p, "consortium", "keygen", "finalize", "--setup", digest, "--message", digest)
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, "not found")
}
