package keyceremony_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/crypto/ceremony"
)

// sampleManifest is a valid manifest with fixed recipients and digests.
func sampleManifest() keyceremony.Manifest {
	d := func(s string) string { return ledger.Digest([]byte(s)) }
	return keyceremony.Manifest{Version: keyceremony.ManifestVersion, KeyID: "key-2026", ParamSet: testSet, Threshold: 2,
		SetupDigest: d("setup"), PublicKeyDigest: d("pk"), EvaluationKeysDigest: d("gk"),
		Holders: []keyceremony.Holder{
			{MSPID: hospitalA, Recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", MessageDigest: d("m1")},
			{MSPID: hospitalB, Recipient: "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg", MessageDigest: d("m2")},
			{MSPID: statOffice, Recipient: "age1yhm4gctwfmrpz87tdslm550wrx6m79y9f2hdzt0lndjnehwj0ukqrjpyx5", MessageDigest: d("m3")},
		}}
}

func TestManifestRoundTripsInItsCanonicalEncodingOnly(t *testing.T) {
	m := sampleManifest()
	data, err := m.Encode()
	require.NoError(t, err)
	back, err := keyceremony.DecodeManifest(data)
	require.NoError(t, err)
	require.Equal(t, m, back)
	idx, ok := back.HolderIndex(statOffice)
	require.True(t, ok)
	require.Equal(t, 3, idx)

	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, data, "", "  "))
	var generic map[string]any
	require.NoError(t, json.Unmarshal(data, &generic))
	withExtra := strings.Replace(string(data), `{"version":1,`, `{"version":1,"comment":"x",`, 1)
	upper := strings.Replace(string(data), `"keyID"`, `"KEYID"`, 1)
	repeated := strings.Replace(string(data), `{"version":1,`, `{"version":1,"version":1,`, 1)
	for name, bad := range map[string]string{
		"indented":                 indented.String(),
		"an unknown field":         withExtra,
		"a field in another case":  upper,
		"a repeated field":         repeated,
		"trailing data":            string(data) + "{}",
		"a trailing newline":       string(data) + "\n",
		"empty":                    "",
		"null":                     "null",
		"an array":                 "[]",
		"over the size limit":      string(data) + strings.Repeat(" ", keyceremony.MaxManifestSize),
		"truncated":                string(data[:len(data)/2]),
		"the setup JSON of a blob": `{"paramSet":"InsecureN11T58","threshold":1,"seed":"00","holders":[]}`,
	} {
		_, err := keyceremony.DecodeManifest([]byte(bad))
		require.ErrorIs(t, err, keyceremony.ErrManifest, name)
	}
}

func TestManifestValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*keyceremony.Manifest)
	}{
		{"another version", func(m *keyceremony.Manifest) { m.Version = 2 }},
		{"an empty key ID", func(m *keyceremony.Manifest) { m.KeyID = "" }},
		{"a key ID with a space", func(m *keyceremony.Manifest) { m.KeyID = "key 1" }},
		{"an unknown parameter set", func(m *keyceremony.Manifest) { m.ParamSet = "N99" }},
		{"a zero threshold", func(m *keyceremony.Manifest) { m.Threshold = 0 }},
		{"a threshold above the holders", func(m *keyceremony.Manifest) { m.Threshold = 4 }},
		{"no holders", func(m *keyceremony.Manifest) { m.Holders = nil }},
		{"a holder twice", func(m *keyceremony.Manifest) { m.Holders[1].MSPID = m.Holders[0].MSPID }},
		{"a bad MSP ID", func(m *keyceremony.Manifest) { m.Holders[1].MSPID = "-x" }},
		{"a bad recipient", func(m *keyceremony.Manifest) { m.Holders[1].Recipient = "age1xyz" }},
		{"a repeated recipient", func(m *keyceremony.Manifest) { m.Holders[1].Recipient = m.Holders[0].Recipient }},
		{"an upper-case digest", func(m *keyceremony.Manifest) { m.PublicKeyDigest = strings.ToUpper(m.PublicKeyDigest) }},
		{"a short digest", func(m *keyceremony.Manifest) { m.SetupDigest = m.SetupDigest[:10] }},
		{"a repeated message digest", func(m *keyceremony.Manifest) { m.Holders[1].MessageDigest = m.Holders[0].MessageDigest }},
		{"the public key as the rotation keys", func(m *keyceremony.Manifest) { m.EvaluationKeysDigest = m.PublicKeyDigest }},
		{"the setup as a message", func(m *keyceremony.Manifest) { m.Holders[2].MessageDigest = m.SetupDigest }},
		{"too many holders", func(m *keyceremony.Manifest) {
			for i := range 70 {
				id, _ := age.GenerateX25519Identity()
				m.Holders = append(m.Holders, keyceremony.Holder{MSPID: "Org" + string(rune('A'+i%26)) + strings.Repeat("x", i), Recipient: id.Recipient().String(), MessageDigest: ledger.Digest([]byte{byte(i)})})
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleManifest()
			tc.edit(&m)
			require.ErrorIs(t, m.Validate(), keyceremony.ErrManifest)
			_, err := m.Encode()
			require.ErrorIs(t, err, keyceremony.ErrManifest)
		})
	}
}

func TestProtectionComesFromExactlyOneFileOwnedByTheUser(t *testing.T) {
	defer keyceremony.SetScryptWorkFactor(10)()
	dir := t.TempDir()
	idPath := filepath.Join(dir, "sub", "id.txt")
	passPath := filepath.Join(dir, "pass")
	require.NoError(t, os.WriteFile(passPath, []byte("s3cret phrase\n"), 0o600))
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}

	_, _, err := keyceremony.ProtectionFromEnv(env(), true)
	require.ErrorIs(t, err, keyceremony.ErrProtection, "nothing set")
	_, _, err = keyceremony.ProtectionFromEnv(env(keyceremony.EnvIdentityFile, idPath, keyceremony.EnvPassphraseFile, passPath), true)
	require.ErrorIs(t, err, keyceremony.ErrProtection, "both set")
	_, _, err = keyceremony.ProtectionFromEnv(env(keyceremony.EnvIdentityFile, idPath), false)
	require.ErrorIs(t, err, os.ErrNotExist, "a missing identity file, not created")

	p, created, err := keyceremony.ProtectionFromEnv(env(keyceremony.EnvIdentityFile, idPath), true)
	require.NoError(t, err)
	require.True(t, created)
	require.Contains(t, p.String(), idPath)
	st, err := os.Stat(idPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	p2, created, err := keyceremony.ProtectionFromEnv(env(keyceremony.EnvIdentityFile, idPath), true)
	require.NoError(t, err)
	require.False(t, created)

	// Both protections seal and open a transport identity; the other one does not open it.
	share := filepath.Join(dir, "keys", "share")
	tr, err := keyceremony.NewTransport(share, p)
	require.NoError(t, err)
	again, err := keyceremony.NewTransport(share, p2)
	require.NoError(t, err)
	require.Equal(t, tr.Recipient, again.Recipient)
	pp, _, err := keyceremony.ProtectionFromEnv(env(keyceremony.EnvPassphraseFile, passPath), false)
	require.NoError(t, err)
	require.NotContains(t, pp.String(), "s3cret")
	_, err = keyceremony.NewTransport(share, pp)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
	share2 := filepath.Join(dir, "keys2", "share")
	_, err = keyceremony.NewTransport(share2, pp)
	require.NoError(t, err)
	_, err = keyceremony.NewTransport(share2, pp)
	require.NoError(t, err)

	// Files others may read, empty passphrases, and files that are not identities are refused.
	require.NoError(t, os.Chmod(passPath, 0o640))
	_, err = keyceremony.PassphraseFile(passPath)
	require.ErrorIs(t, err, ceremony.ErrPermissions)
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	_, err = keyceremony.PassphraseFile(empty)
	require.ErrorIs(t, err, keyceremony.ErrProtection)
	_, err = keyceremony.IdentityFile(empty)
	require.ErrorIs(t, err, keyceremony.ErrProtection)
	notID := filepath.Join(dir, "notid")
	require.NoError(t, os.WriteFile(notID, []byte("AGE-SECRET-KEY-1NOTAKEY\n"), 0o600))
	_, err = keyceremony.IdentityFile(notID)
	require.ErrorIs(t, err, keyceremony.ErrProtection)
	require.NotContains(t, err.Error(), "NOTAKEY")
	_, err = keyceremony.NewIdentityFile(idPath)
	require.ErrorIs(t, err, os.ErrExist)
	require.NoError(t, os.Chmod(idPath, 0o644))
	_, err = keyceremony.IdentityFile(idPath)
	require.ErrorIs(t, err, ceremony.ErrPermissions)
}
