package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/profile"
	"github.com/statledger/statledger/crypto/params"
)

// keygenEnv is a set of CLI profiles for the network's organisations sharing one blob
// store, with each key holder's key share in its own directory, and the environment the
// CLI reads.
type keygenEnv struct {
	blobs    string
	profiles map[string]string // org name -> profile file
	shares   map[string]string // org name -> key share path
	env      map[string]string
}

func newKeygenEnv(t *testing.T) *keygenEnv {
	t.Helper()
	dir := t.TempDir()
	k := &keygenEnv{blobs: filepath.Join(dir, "blobs"), profiles: map[string]string{}, shares: map[string]string{},
		env: map[string]string{keyceremony.EnvIdentityFile: filepath.Join(dir, "protect", "identity.txt")}}
	l := env.Net.Layout()
	for _, org := range env.Net.Definition().Orgs {
		id, err := env.Net.User(org.Name)
		require.NoError(t, err)
		p := profile.Profile{Name: strings.ToLower(org.Name), Org: org.Name, MSPID: id.MSPID, PeerEndpoint: id.PeerAddress,
			Channel: l.ChannelID, Chaincode: l.ChaincodeName, TLSCAFile: id.TLSCAFile, CertFile: id.CertFile, KeyFile: id.KeyFile,
			BlobStoreURL: "file://" + k.blobs, Output: "json"}
		if org.KeyHolder {
			p.KeySharePath = filepath.Join(dir, strings.ToLower(org.Name), "share")
			k.shares[org.Name] = p.KeySharePath
		}
		data, err := yaml.Marshal(p)
		require.NoError(t, err)
		path := filepath.Join(dir, strings.ToLower(org.Name)+".yaml")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		k.profiles[org.Name] = path
	}
	return k
}

// run runs the statledger CLI as org and returns its exit status, stdout and stderr.
func (k *keygenEnv) run(org string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Execute(append([]string{"--profile", k.profiles[org]}, args...), &out, &errb,
		func(key string) (string, bool) { v, ok := k.env[key]; return v, ok })
	return code, out.String(), errb.String()
}

// mustRun runs the CLI, requires success and decodes its JSON output into v.
func (k *keygenEnv) mustRun(t *testing.T, v any, org string, args ...string) {
	t.Helper()
	code, out, errOut := k.run(org, args...)
	require.Equal(t, cli.ExitOK, code, "%s %v: %s", org, args, errOut)
	if v != nil {
		require.NoError(t, json.Unmarshal([]byte(out), v), out)
	}
}

// keyHolderOrgs returns the names of the consortium's key holders as the ledger records
// them, in Shamir order.
func keyHolderOrgs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	cons, err := connect(t, regulator).GetConsortium(ctx)
	require.NoError(t, err)
	var orgs []string
	for _, msp := range cons.KeyHolders() {
		o, _ := cons.Org(msp)
		orgs = append(orgs, o.Name)
	}
	return orgs
}

func (k *keygenEnv) store(t *testing.T) *blobstore.Bucket {
	t.Helper()
	b, err := blobstore.Open(context.Background(), "file://"+k.blobs)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestKeygenLocalCeremonyAtProductionParameters runs the demo's ceremony through the
// CLI at N14T58, recording the key as StatOffice, and loads the key as every role does.
func TestKeygenLocalCeremonyAtProductionParameters(t *testing.T) {
	ctx := context.Background()
	k := newKeygenEnv(t)
	holders := keyHolderOrgs(t, ctx)
	keyID := unique("key")
	args := []string{"consortium", "keygen", "local", "--key-id", keyID, "--params", params.N14T58}
	for _, org := range holders {
		args = append(args, "--holder", k.profiles[org])
	}
	start := time.Now()
	var res struct {
		keyceremony.LocalResult
		Seconds float64 `json:"seconds"`
	}
	k.mustRun(t, &res, statOffice, args...)
	t.Logf("e2e: local key ceremony at N14T58 with %d holders: %.1f s", len(holders), time.Since(start).Seconds())
	require.False(t, res.Existing)
	require.Equal(t, keyID, res.Published.Key.ID)
	require.Equal(t, mspID(statOffice), res.Published.Key.RecordedBy)
	require.Equal(t, env.Net.Definition().Threshold, res.Published.Key.Threshold)

	// The auditor loads and re-derives the key from the transcript.
	store := k.store(t)
	ks, err := keyceremony.Load(ctx, connect(t, regulator), store, keyID)
	require.NoError(t, err)
	require.NoError(t, ks.VerifyTranscript(ctx, store))
	require.Len(t, ks.EvaluationKeys().GetGaloisKeysList(), len(ks.Set().GaloisElements()))
	prot, err := keyceremony.IdentityFile(k.env[keyceremony.EnvIdentityFile])
	require.NoError(t, err)
	for i, org := range holders {
		idx, ok := ks.HolderIndex(mspID(org))
		require.True(t, ok)
		require.Equal(t, i+1, idx)
		tk, err := ks.LoadThresholdKey(mspID(org), k.shares[org], prot)
		require.NoError(t, err, org)
		require.Equal(t, idx, tk.Holder())
	}

	// Each key holder checks its own share with the CLI; a re-run does nothing.
	for _, org := range holders {
		var shown struct {
			KeyShare string `json:"keyShare"`
		}
		k.mustRun(t, &shown, org, "consortium", "keygen", "show", keyID, "--check-share")
		require.Contains(t, shown.KeyShare, "opens")
	}
	var again struct{ keyceremony.LocalResult }
	k.mustRun(t, &again, statOffice, args...)
	require.True(t, again.Existing)
	require.Equal(t, res.Published.ManifestDigest, again.Published.ManifestDigest)
}

// TestKeygenStepByStepThroughTheCLI runs the ceremony one organisation at a time with the
// CLI, at the insecure test parameters, as the operators of the demo consortium would.
func TestKeygenStepByStepThroughTheCLI(t *testing.T) {
	ctx := context.Background()
	k := newKeygenEnv(t)
	holders := keyHolderOrgs(t, ctx)
	setupArgs := []string{"consortium", "keygen", "setup", "--params", params.InsecureN11T58}
	for _, org := range holders {
		var tr keyceremony.Transport
		k.mustRun(t, &tr, org, "consortium", "keygen", "transport")
		setupArgs = append(setupArgs, "--recipient", mspID(org)+"="+tr.Recipient)
	}
	// A setup missing a key holder is refused.
	code, _, errOut := k.run(holders[0], setupArgs[:len(setupArgs)-2]...)
	require.Equal(t, cli.ExitFailure, code, errOut)
	require.Contains(t, errOut, "no transport recipient")

	var setup keyceremony.SetupResult
	k.mustRun(t, &setup, holders[0], setupArgs...)
	var messages []string
	for _, org := range holders {
		var c keyceremony.Contribution
		k.mustRun(t, &c, org, "consortium", "keygen", "contribute", "--setup", setup.Digest)
		messages = append(messages, c.MessageDigest)
	}
	for _, org := range holders {
		k.mustRun(t, nil, org, "consortium", "keygen", "finalize", "--setup", setup.Digest, "--message", strings.Join(messages, ","))
	}
	keyID := unique("key")
	publish := []string{"consortium", "keygen", "publish", "--key-id", keyID, "--setup", setup.Digest, "--message", strings.Join(messages, ",")}
	code, _, errOut = k.run(regulator, publish...)
	require.Equal(t, cli.ExitFailure, code)
	require.Contains(t, errOut, "FORBIDDEN")
	var pub keyceremony.Published
	k.mustRun(t, &pub, holders[len(holders)-1], publish...)
	require.Equal(t, []string{pub.ManifestDigest}, pub.Key.TranscriptDigests)
	settle(t, ctx)
	var again keyceremony.Published
	k.mustRun(t, &again, holders[0], publish...)
	require.True(t, again.AlreadyRecorded)

	// Anyone loads it; the key can register a dataset.
	var shown struct {
		Key                ledger.CollectiveKey `json:"key"`
		TranscriptVerified bool                 `json:"transcriptVerified"`
	}
	k.mustRun(t, &shown, regulator, "consortium", "keygen", "show", keyID, "--verify")
	require.True(t, shown.TranscriptVerified)
	require.Equal(t, pub.Key.PublicKeyDigest, shown.Key.PublicKeyDigest)
	ds, err := connect(t, statOffice).RegisterDataset(ctx, ledger.DatasetInput{
		ID: unique("admissions"), Title: "Hospital admissions (keygen e2e)", KeyID: keyID,
		ParamSetID: params.InsecureN11T58, Schema: shippedSchema(t), Policy: shippedPolicy(t),
	})
	require.NoError(t, err)
	require.Equal(t, keyID, ds.KeyID)
}
