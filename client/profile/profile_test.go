package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/profile"
)

// good is a complete profile with absolute paths.
const good = `name: hospitala-keyholder
org: HospitalA
mspID: HospitalAMSP
peerEndpoint: peer0.hospitala.example:7061
channel: stats-2026
chaincode: statledger_v2
tlsCAFile: /etc/statledger/tls-ca.pem
certFile: /etc/statledger/cert.pem
keyFile: /etc/statledger/key.pem
blobStoreURL: s3://statledger-blobs?region=eu-west-1&endpoint=https://minio.example:9000
keySharePath: /var/lib/statledger/share.bin
output: json
`

func parse(t *testing.T, doc string) profile.Profile {
	t.Helper()
	p, err := profile.Parse([]byte(doc), "/home/ana/.statledger")
	require.NoError(t, err)
	return p
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestLoadResolvesPathsAgainstTheProfileDirectory(t *testing.T) {
	p, err := profile.Load(filepath.Join("testdata", "analyst.yaml"))
	require.NoError(t, err)
	dir, err := filepath.Abs("testdata")
	require.NoError(t, err)
	require.Equal(t, "statoffice-analyst", p.Name)
	require.Equal(t, "StatOffice", p.Org)
	require.Equal(t, "StatOfficeMSP", p.MSPID)
	require.Equal(t, "localhost:7051", p.PeerEndpoint)
	require.Equal(t, filepath.Join(dir, "crypto", "tls-ca.pem"), p.TLSCAFile)
	require.Equal(t, filepath.Join(dir, "crypto", "analyst-cert.pem"), p.CertFile)
	require.Equal(t, filepath.Join(dir, "crypto", "analyst-key.pem"), p.KeyFile)
	require.Equal(t, filepath.Join(dir, "keys", "share.bin"), p.KeySharePath)
	require.Equal(t, filepath.Join(dir, "keys", "age.key"), p.AgeIdentityFile)
	require.Equal(t, "file://"+filepath.ToSlash(filepath.Join(dir, "blobs")), p.BlobStoreURL)
	require.Equal(t, profile.DefaultChannel, p.Channel)
	require.Equal(t, profile.DefaultChaincode, p.Chaincode)
	require.Equal(t, profile.DefaultOutput, p.Output)
	require.NoError(t, p.Validate())
	require.NoError(t, p.CheckFiles())
}

func TestParseKeepsAbsolutePathsAndURLs(t *testing.T) {
	p := parse(t, good)
	require.NoError(t, p.Validate())
	require.Equal(t, "/etc/statledger/key.pem", p.KeyFile)
	require.Equal(t, "s3://statledger-blobs?region=eu-west-1&endpoint=https://minio.example:9000", p.BlobStoreURL)
	require.Equal(t, "stats-2026", p.Channel)
	require.Equal(t, "json", p.Output)
}

func TestResolveAppliesFileThenEnvironmentThenFlags(t *testing.T) {
	path := filepath.Join("testdata", "analyst.yaml")
	p, err := profile.Resolve(path, env(map[string]string{
		"STATLEDGER_PEER_ENDPOINT":  "localhost:9051",
		"STATLEDGER_OUTPUT":         "json",
		"STATLEDGER_MSP_ID":         "", // empty variables are ignored
		"STATLEDGER_BLOB_STORE_URL": "mem://",
		"STATLEDGER_KEY_FILE":       "/run/secrets/key.pem",
	}), profile.Override{Key: "output", Value: "table", Source: "flag --output"})
	require.NoError(t, err)
	require.Equal(t, "localhost:9051", p.PeerEndpoint, "the environment overrides the file")
	require.Equal(t, "table", p.Output, "flags override the environment")
	require.Equal(t, "StatOfficeMSP", p.MSPID)
	require.Equal(t, "mem://", p.BlobStoreURL)
	require.Equal(t, "/run/secrets/key.pem", p.KeyFile)
}

func TestResolveReportsTheSourceOfABadValue(t *testing.T) {
	path := filepath.Join("testdata", "analyst.yaml")
	_, err := profile.Resolve(path, env(map[string]string{"STATLEDGER_PEER_ENDPOINT": "grpcs://peer:7051"}))
	require.EqualError(t, err, `profile field "peerEndpoint" (from STATLEDGER_PEER_ENDPOINT): "grpcs://peer:7051" must be host:port, without a scheme`)

	_, err = profile.Resolve(path, env(nil), profile.Override{Key: "channel", Value: "Statistics", Source: "flag --channel"})
	require.ErrorContains(t, err, `profile field "channel" (from flag --channel): "Statistics" is not valid`)

	_, err = profile.Resolve(path, env(nil), profile.Override{Key: "colour", Value: "blue", Source: "flag --colour"})
	require.ErrorIs(t, err, profile.ErrMalformed)
	require.ErrorContains(t, err, `flag --colour sets unknown field "colour"`)

	_, err = profile.Resolve(filepath.Join("testdata", "missing.yaml"), env(nil))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestFromEnvUsesTheDocumentedNames(t *testing.T) {
	vars := map[string]string{}
	for _, f := range profile.Fields {
		require.True(t, strings.HasPrefix(f.Env, "STATLEDGER_"), f.Key)
		vars[f.Env] = "v-" + f.Key
	}
	got := profile.FromEnv(env(vars))
	require.Len(t, got, len(profile.Fields))
	for i, f := range profile.Fields {
		require.Equal(t, profile.Override{Key: f.Key, Value: "v-" + f.Key, Source: f.Env}, got[i])
	}
	require.NotContains(t, vars, profile.EnvProfile, "the profile's own path is not a field")
}

func TestApplyRefusesUnknownFieldsAtomically(t *testing.T) {
	p := parse(t, good)
	before := p
	err := p.Apply(profile.Override{Key: "org", Value: "Other", Source: "flag --org"}, profile.Override{Key: "password", Value: "x", Source: "flag --password"})
	require.ErrorIs(t, err, profile.ErrMalformed)
	require.Equal(t, before.Org, p.Org)
}

func TestApplyTurnsADirectoryIntoAFileURL(t *testing.T) {
	p := parse(t, good)
	require.NoError(t, p.Apply(profile.Override{Key: "blobStoreURL", Value: "blobs", Source: "flag --blobs"}))
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.Equal(t, "file://"+filepath.ToSlash(filepath.Join(wd, "blobs")), p.BlobStoreURL)
	require.NoError(t, p.Validate())
}

func TestValidateNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name   string
		modify func(p *profile.Profile)
		field  string
		reason string
	}{
		{"a missing name", func(p *profile.Profile) { p.Name = "" }, "name", "must be set (in the profile, with STATLEDGER_NAME or with a flag)"},
		{"a missing MSP ID", func(p *profile.Profile) { p.MSPID = "" }, "mspID", "must be set"},
		{"a missing key file", func(p *profile.Profile) { p.KeyFile = "" }, "keyFile", "must be set"},
		{"a missing blob store", func(p *profile.Profile) { p.BlobStoreURL = "" }, "blobStoreURL", "must be set"},
		{"a name with a space", func(p *profile.Profile) { p.Name = "my profile" }, "name", `"my profile" is not valid`},
		{"an org starting with a dash", func(p *profile.Profile) { p.Org = "-Org" }, "org", `"-Org" is not valid`},
		{"an MSP ID with a slash", func(p *profile.Profile) { p.MSPID = "Org/MSP" }, "mspID", `"Org/MSP" is not valid`},
		{"an endpoint without a port", func(p *profile.Profile) { p.PeerEndpoint = "localhost" }, "peerEndpoint", "must be host:port"},
		{"an endpoint without a host", func(p *profile.Profile) { p.PeerEndpoint = ":7051" }, "peerEndpoint", "must be host:port"},
		{"an endpoint with port 0", func(p *profile.Profile) { p.PeerEndpoint = "localhost:0" }, "peerEndpoint", `port "0" must be a number from 1 to 65535`},
		{"an endpoint with a named port", func(p *profile.Profile) { p.PeerEndpoint = "localhost:grpc" }, "peerEndpoint", `port "grpc"`},
		{"an endpoint with a scheme", func(p *profile.Profile) { p.PeerEndpoint = "https://localhost:7051" }, "peerEndpoint", "without a scheme"},
		{"an upper-case channel", func(p *profile.Profile) { p.Channel = "Stats" }, "channel", "a Fabric channel name"},
		{"a chaincode with two dashes", func(p *profile.Profile) { p.Chaincode = "stat--ledger" }, "chaincode", "a chaincode name"},
		{"an inline private key", func(p *profile.Profile) {
			p.KeyFile = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n"
		}, "keyFile", "secrets are never written inline"},
		{"an inline certificate on one line", func(p *profile.Profile) { p.CertFile = "-----BEGIN CERTIFICATE----- MIIB" }, "certFile", "not its contents"},
		{"a NUL in a path", func(p *profile.Profile) { p.KeySharePath = "/tmp/a\x00b" }, "keySharePath", "must be a file path"},
		{"an unsupported blob scheme", func(p *profile.Profile) { p.BlobStoreURL = "gs://bucket" }, "blobStoreURL", `scheme "gs" is not supported (file, s3, mem)`},
		{"a blob store that is not a URL", func(p *profile.Profile) { p.BlobStoreURL = "relative/dir" }, "blobStoreURL", "must be a URL"},
		{"a relative file URL", func(p *profile.Profile) { p.BlobStoreURL = "file://blobs" }, "blobStoreURL", "needs an absolute path"},
		{"a password in the blob URL", func(p *profile.Profile) { p.BlobStoreURL = "s3://minio:hunter2@bucket" }, "blobStoreURL", "must not hold a password"},
		{"a secret key in the blob URL", func(p *profile.Profile) { p.BlobStoreURL = "s3://bucket?region=x&aws_secret_access_key=hunter2" }, "blobStoreURL", `query parameter "aws_secret_access_key" would put a secret in the profile`},
		{"a session token in the blob URL", func(p *profile.Profile) { p.BlobStoreURL = "s3://bucket?X-Amz-Security-Token=hunter2" }, "blobStoreURL", "would put a secret"},
		{"an unknown output", func(p *profile.Profile) { p.Output = "yaml" }, "output", `"yaml" is not an output format (table, json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, good)
			tt.modify(&p)
			err := p.Validate()
			var fe *profile.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Contains(t, fe.Reason, tt.reason)
			require.NotContains(t, err.Error(), "hunter2", "error messages must not quote secrets")
		})
	}
}

func TestValidateReportsAllProblemsAtOnce(t *testing.T) {
	var p profile.Profile
	err := p.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *profile.FieldError
		require.True(t, errors.As(e, &fe))
		fields = append(fields, fe.Field)
	}
	var want []string
	for _, f := range profile.Fields {
		if f.Required {
			want = append(want, f.Key)
		}
	}
	require.Equal(t, want, fields)
	require.Contains(t, err.Error(), `profile field "name": must be set`)
}

func TestParseRefusesMalformedProfiles(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"an empty file", "", "the file is empty"},
		{"only a comment", "# nothing\n", "the file is empty"},
		{"an unknown field", good + "password: hunter2\n", `line 13: field "password" is not a profile field`},
		{"a misspelt field", strings.Replace(good, "mspID", "mspId", 1), `line 3: field "mspId" is not a profile field`},
		{"a repeated field", good + "org: Other\n", `line 13: field "org" is already set at line 2`},
		{"a key that is a list", "[a]: b\n", "every field takes a single value"},
		{"two documents", good + "---\n" + good, "more than one document"},
		{"a list", "- name: a\n", "a profile is a mapping"},
		{"a bare value", "statoffice\n", "a profile is a mapping"},
		{"a list value", "name: [a, b]\n", "every field takes a single value"},
		{"a nested mapping", "peerEndpoint:\n  host: localhost\n  port: 7051\n", "every field takes a single value"},
		{"an anchor", "name: &n analyst\norg: *n\n", "anchors and aliases are not supported"},
		{"a syntax error", "name: a\n\tbad: tab\n", "yaml"},
		{"an unterminated quote", "name: \"analyst\n", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Parse([]byte(tt.doc), "/tmp")
			require.ErrorIs(t, err, profile.ErrMalformed)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseIsFastOnHostileProfiles(t *testing.T) {
	for name, doc := range map[string]string{
		"repeated fields":      strings.Repeat("name: a\n", profile.MaxSize/8),
		"repeated unknowns":    strings.Repeat("k: v\n", profile.MaxSize/5),
		"deep nesting":         strings.Repeat("[", profile.MaxSize),
		"a long flow map":      "{" + strings.Repeat("a: b, ", profile.MaxSize/6-1) + "}",
		"a long value":         "name: " + strings.Repeat("x", profile.MaxSize-6),
		"a long peers list":    "peers:\n" + strings.Repeat("  - {org: a, endpoint: 'h:1'}\n", profile.MaxSize/32-1),
		"repeated peer fields": "peers:\n  - org: a\n" + strings.Repeat("    org: a\n", profile.MaxSize/12-2),
	} {
		start := time.Now()
		_, _ = profile.Parse([]byte(doc), "/tmp")
		// Seconds, not minutes: a generous bound for a loaded machine and -race.
		require.Less(t, time.Since(start), 10*time.Second, name)
		t.Logf("%s: %v", name, time.Since(start))
	}
}

func TestParseRefusesLargeProfiles(t *testing.T) {
	doc := good + "# " + strings.Repeat("x", profile.MaxSize) + "\n"
	_, err := profile.Parse([]byte(doc), "/tmp")
	require.ErrorIs(t, err, profile.ErrTooLarge)

	path := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	_, err = profile.Load(path)
	require.ErrorIs(t, err, profile.ErrTooLarge)
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte("colour: blue\n"), 0o600))
	_, err := profile.Load(path)
	require.ErrorIs(t, err, profile.ErrMalformed)
	require.ErrorContains(t, err, "profile "+path+":")
}

func TestValidateNamesTheProfileFileAsSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(good, "output: json", "output: xml", 1)), 0o600))
	p, err := profile.Load(path)
	require.NoError(t, err)
	require.EqualError(t, p.Validate(), `profile field "output" (from profile `+path+`): "xml" is not an output format (table, json)`)
}

func TestCheckFilesNamesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	doc := strings.NewReplacer("/etc/statledger/", "", "/var/lib/statledger/", "").Replace(good)
	for _, f := range []string{"tls-ca.pem", "cert.pem"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "share.bin"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(doc), 0o600))
	p, err := profile.Load(filepath.Join(dir, "p.yaml"))
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	err = p.CheckFiles()
	require.ErrorContains(t, err, `profile field "keyFile" (from profile `+filepath.Join(dir, "p.yaml")+`): `+filepath.Join(dir, "key.pem")+` does not exist`)
	require.ErrorContains(t, err, `profile field "keySharePath"`)
	require.ErrorContains(t, err, "is not a regular file")
	require.NotContains(t, err.Error(), "tlsCAFile")
}

// peersDoc lists two other organisations' peers, to append to good.
const peersDoc = `peers:
  - org: StatOffice
    endpoint: peer0.statoffice.example:7051
    tlsCAFile: crypto/statoffice-tls-ca.pem
  - org: Regulator
    endpoint: 10.0.0.7:7081
    tlsCAFile: /etc/statledger/regulator-tls-ca.pem
    serverName: peer0.regulator.example
`

func TestParseReadsThePeersToCompareWith(t *testing.T) {
	p := parse(t, good+peersDoc)
	require.NoError(t, p.Validate())
	require.Equal(t, []profile.Peer{
		{Org: "StatOffice", Endpoint: "peer0.statoffice.example:7051", TLSCAFile: "/home/ana/.statledger/crypto/statoffice-tls-ca.pem"},
		{Org: "Regulator", Endpoint: "10.0.0.7:7081", TLSCAFile: "/etc/statledger/regulator-tls-ca.pem", ServerName: "peer0.regulator.example"},
	}, p.Peers)
	require.Empty(t, parse(t, good).Peers, "peers are optional")
	require.Empty(t, parse(t, good+"peers: []\n").Peers)
}

func TestValidateNamesEveryBadPeer(t *testing.T) {
	tests := []struct {
		name   string
		peer   profile.Peer
		field  string
		reason string
	}{
		{"a peer without an organisation", profile.Peer{Endpoint: "h:1", TLSCAFile: "/ca.pem"}, "peers[2].org", "must be set"},
		{"an organisation with a space", profile.Peer{Org: "Hospital A", Endpoint: "h:1", TLSCAFile: "/ca.pem"}, "peers[2].org", `"Hospital A" is not valid`},
		{"the profile's own organisation", profile.Peer{Org: "HospitalA", Endpoint: "h:1", TLSCAFile: "/ca.pem"}, "peers[2].org", "HospitalA is already the profile's own organisation"},
		{"an organisation twice", profile.Peer{Org: "StatOffice", Endpoint: "h:1", TLSCAFile: "/ca.pem"}, "peers[2].org", "StatOffice is already the organisation of peers[0]"},
		{"a peer without an endpoint", profile.Peer{Org: "B", TLSCAFile: "/ca.pem"}, "peers[2].endpoint", "must be set"},
		{"an endpoint with a scheme", profile.Peer{Org: "B", Endpoint: "grpcs://h:1", TLSCAFile: "/ca.pem"}, "peers[2].endpoint", "without a scheme"},
		{"an endpoint without a port", profile.Peer{Org: "B", Endpoint: "h", TLSCAFile: "/ca.pem"}, "peers[2].endpoint", "must be host:port"},
		{"the profile's own endpoint", profile.Peer{Org: "B", Endpoint: "peer0.hospitala.example:7061", TLSCAFile: "/ca.pem"}, "peers[2].endpoint", "is already the profile's own peerEndpoint"},
		{"an endpoint twice", profile.Peer{Org: "B", Endpoint: "10.0.0.7:7081", TLSCAFile: "/ca.pem"}, "peers[2].endpoint", "is already the endpoint of peers[1]"},
		{"a peer without a TLS CA", profile.Peer{Org: "B", Endpoint: "h:1"}, "peers[2].tlsCAFile", "must be set"},
		{"an inline TLS CA", profile.Peer{Org: "B", Endpoint: "h:1", TLSCAFile: "-----BEGIN CERTIFICATE-----\nMIIB\n"}, "peers[2].tlsCAFile", "not its contents"},
		{"a server name with a space", profile.Peer{Org: "B", Endpoint: "h:1", TLSCAFile: "/ca.pem", ServerName: "peer 0"}, "peers[2].serverName", `"peer 0" is not a host name`},
		{"a server name with a port", profile.Peer{Org: "B", Endpoint: "h:1", TLSCAFile: "/ca.pem", ServerName: "peer0:7051"}, "peers[2].serverName", "is not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, good+peersDoc)
			p.AddPeer("flag --peer", tt.peer)
			err := p.Validate()
			var fe *profile.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Equal(t, "flag --peer", fe.Source)
			require.Contains(t, fe.Reason, tt.reason)
			require.Contains(t, err.Error(), `profile field "`+tt.field+`" (from flag --peer)`)
		})
	}
}

func TestParseRefusesMalformedPeers(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"peers that are a single value", "peers: localhost:7061\n", `field "peers" takes a list of peers`},
		{"peers that are a mapping", "peers:\n  org: B\n", `field "peers" takes a list of peers`},
		{"a peer that is a single value", "peers:\n  - localhost:7061\n", "a peer is a mapping"},
		{"a peer that is a list", "peers:\n  - [a, b]\n", "a peer is a mapping"},
		{"an unknown peer field", "peers:\n  - org: B\n    mspID: BMSP\n", `line 3: field "mspID" is not a peer field (org, endpoint, tlsCAFile, serverName)`},
		{"a repeated peer field", "peers:\n  - org: B\n    org: C\n", `line 3: field "org" is already set at line 2`},
		{"a peer field that is a list", "peers:\n  - org: [B, C]\n", "every field takes a single value"},
		{"peers given twice", "peers: []\npeers: []\n", `field "peers" is already set`},
		{"an anchored peer", "peers:\n  - &p {org: B}\n  - *p\n", "anchors and aliases are not supported"},
		{"an aliased peer value", "name: &n a\npeers:\n  - org: *n\n", "anchors and aliases are not supported"},
		{"an anchored peers list", "peers: &l []\n", "anchors and aliases are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Parse([]byte(tt.doc), "/tmp")
			require.ErrorIs(t, err, profile.ErrMalformed)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParsePeerReadsACommandLinePeer(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	p, err := profile.ParsePeer("org=HospitalA,endpoint=localhost:7061,tlsCAFile=ca/hospitala.pem")
	require.NoError(t, err)
	require.Equal(t, profile.Peer{Org: "HospitalA", Endpoint: "localhost:7061", TLSCAFile: filepath.Join(wd, "ca", "hospitala.pem")}, p)

	p, err = profile.ParsePeer("serverName=peer0.b.example, org=B,endpoint=10.0.0.1:7051,tlsCAFile=/ca.pem")
	require.NoError(t, err)
	require.Equal(t, profile.Peer{Org: "B", Endpoint: "10.0.0.1:7051", TLSCAFile: "/ca.pem", ServerName: "peer0.b.example"}, p)

	for spec, want := range map[string]string{
		"":                             "want key=value pairs",
		"HospitalA":                    "want key=value pairs",
		"org=A,,endpoint=h:1":          "want key=value pairs",
		"=A":                           "want key=value pairs",
		"org=A,mspID=AMSP":             `"mspID" is not a peer field`,
		"org=A,org=B":                  "org is given twice",
		"org=A,endpoint=h:1,tlsCA=/ca": `"tlsCA" is not a peer field`,
	} {
		_, err := profile.ParsePeer(spec)
		require.ErrorIs(t, err, profile.ErrMalformed, spec)
		require.ErrorContains(t, err, want, spec)
	}
}

func TestCheckFilesNamesAMissingPeerCA(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.pem"), []byte("x"), 0o600))
	p := parse(t, good)
	p.KeySharePath = ""
	p.TLSCAFile, p.CertFile, p.KeyFile = filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.pem")
	p.AddPeer("flag --peer", profile.Peer{Org: "B", Endpoint: "h:1", TLSCAFile: filepath.Join(dir, "a.pem")},
		profile.Peer{Org: "C", Endpoint: "h:2", TLSCAFile: filepath.Join(dir, "missing.pem")})
	require.EqualError(t, p.CheckFiles(), `profile field "peers[1].tlsCAFile" (from flag --peer): `+filepath.Join(dir, "missing.pem")+` does not exist`)
}
