package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
	"github.com/statledger/statledger/policies"
)

// cliResult is what one run of the command line gave.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process with env as its whole environment.
func runCLI(env map[string]string, args ...string) cliResult {
	var out, errb bytes.Buffer
	code := cli.Execute(args, &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// requireFails asserts that a run failed with status code, printing nothing on stdout
// and one line on stderr that starts with "statledger: " and contains every want.
func requireFails(t *testing.T, r cliResult, code int, want ...string) {
	t.Helper()
	require.Equal(t, code, r.code, "stderr: %s", r.stderr)
	require.Empty(t, r.stdout, "nothing on stdout when the command fails")
	requireOneLine(t, r.stderr)
	require.True(t, strings.HasPrefix(r.stderr, "statledger: "), r.stderr)
	for _, w := range want {
		require.Contains(t, r.stderr, w)
	}
}

// requireOneLine asserts that msg is one line ended by a newline.
func requireOneLine(t *testing.T, msg string) {
	t.Helper()
	require.True(t, strings.HasSuffix(msg, "\n"), "ends with a newline: %q", msg)
	require.NotContains(t, strings.TrimSuffix(msg, "\n"), "\n", "one line: %q", msg)
}

// profileDir is a directory with placeholder crypto material (readable files that are
// not certificates) and the profile file path, written by writeProfile.
type profileDir struct {
	dir, path string
}

// goodProfile is a valid profile whose files are placeholders and whose peer does not
// exist: it passes every check that comes before connecting.
const goodProfile = `name: analyst
org: StatOffice
mspID: StatOfficeMSP
peerEndpoint: localhost:1
tlsCAFile: ca.pem
certFile: cert.pem
keyFile: key.pem
blobStoreURL: blobs
`

func newProfileDir(t *testing.T, profileText string) profileDir {
	t.Helper()
	d := profileDir{dir: t.TempDir()}
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		require.NoError(t, os.WriteFile(filepath.Join(d.dir, f), []byte("placeholder"), 0o600))
	}
	d.path = filepath.Join(d.dir, "analyst.yaml")
	require.NoError(t, os.WriteFile(d.path, []byte(profileText), 0o600))
	return d
}

func TestBadCommandLinesExitWithStatus2OnOneLine(t *testing.T) {
	p := newProfileDir(t, goodProfile)
	env := map[string]string{"STATLEDGER_PROFILE": p.path}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command is refused", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"an unknown flag is refused", []string{"consortium", "show", "--verbose"}, "unknown flag: --verbose"},
		{"an unknown shorthand flag is refused", []string{"consortium", "show", "-z"}, "unknown shorthand flag: 'z' in -z"},
		// Before the command, cobra takes an unknown flag's next word for its value.
		{"an unknown flag before the command is refused too", []string{"--verbose", "consortium", "show"}, `unknown command "show" for "statledger"`},
		{"an unknown flag of a verb is refused", []string{"dataset", "list", "--all"}, "unknown flag: --all"},
		{"a noun alone needs a verb: consortium", []string{"consortium"}, "statledger consortium needs a command"},
		{"a noun alone needs a verb: dataset", []string{"dataset"}, "statledger dataset needs a command"},
		{"a noun alone needs a verb: data", []string{"data"}, "statledger data needs a command"},
		{"a noun alone needs a verb: query", []string{"query"}, "statledger query needs a command"},
		{"a noun alone needs a verb: decrypt", []string{"decrypt"}, "statledger decrypt needs a command"},
		{"a noun alone needs a verb: keyholder", []string{"keyholder"}, "statledger keyholder needs a command"},
		{"a noun alone needs a verb: keygen", []string{"consortium", "keygen"}, "statledger consortium keygen needs a command"},
		{"an unknown verb of dataset is refused", []string{"dataset", "delete"}, `unknown command "delete" for statledger dataset`},
		{"an unknown verb of query is refused", []string{"query", "delete", "q-1"}, `unknown command "delete" for statledger query`},
		{"an unknown verb of data is refused", []string{"data", "upload"}, `unknown command "upload" for statledger data`},
		{"an unknown verb of keygen is refused", []string{"consortium", "keygen", "rotate"}, `unknown command "rotate" for statledger consortium keygen`},
		{"dataset register needs its required flags", []string{"dataset", "register", "--id", "ds-1"}, `required flag(s) "key", "policy", "schema" not set`},
		{"query request needs --dataset", []string{"query", "request", "--statistic", "count", "--epsilon", "0.5"}, `required flag(s) "dataset" not set`},
		{"query list needs --dataset", []string{"query", "list"}, `required flag(s) "dataset" not set`},
		{"query reject needs a reason", []string{"query", "reject", "q-1"}, `required flag(s) "reason" not set`},
		{"query cancel needs a reason", []string{"query", "cancel", "q-1"}, `required flag(s) "reason" not set`},
		{"data submit needs --dataset, --period and --file", []string{"data", "submit", "--dataset", "ds-1"}, "statledger data submit needs [--period --file]"},
		{"query status takes one query ID", []string{"query", "status"}, "accepts 1 arg(s), received 0"},
		{"query status takes only one query ID", []string{"query", "status", "q-1", "q-2"}, "accepts 1 arg(s), received 2"},
		{"query approve takes one query ID", []string{"query", "approve"}, "accepts 1 arg(s), received 0"},
		{"query release takes one query ID", []string{"query", "release", "q-1", "q-2"}, "accepts 1 arg(s), received 2"},
		{"decrypt share takes one query ID", []string{"decrypt", "share"}, "accepts 1 arg(s), received 0"},
		{"keygen show takes one key ID", []string{"consortium", "keygen", "show"}, "accepts 1 arg(s), received 0"},
		{"consortium show takes no arguments", []string{"consortium", "show", "extra"}, `unknown command "extra" for "statledger consortium show"`},
		{"dataset list takes no arguments", []string{"dataset", "list", "extra"}, `unknown command "extra" for "statledger dataset list"`},
		{"keyholder run takes no arguments", []string{"keyholder", "run", "extra"}, `unknown command "extra" for "statledger keyholder run"`},
		{"a flag value of the wrong type is refused", []string{"synth", "--records", "many"}, `invalid argument "many" for "--records"`},
		{"a duration flag needs a duration", []string{"keyholder", "run", "--poll", "often"}, `invalid argument "often" for "--poll"`},
		{"a flag without its value is refused", []string{"query", "status", "q-1", "--profile"}, "flag needs an argument: --profile"},
		{"query release knows its formats", []string{"query", "release", "q-1", "--format", "xml"}, `unknown release format "xml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFails(t, runCLI(env, tc.args...), cli.ExitUsage, tc.want)
		})
	}
}

func TestACommandThatActsNeedsAProfile(t *testing.T) {
	for _, args := range [][]string{
		{"consortium", "show"},
		{"dataset", "list"},
		{"query", "status", "q-1"},
		{"query", "approve", "q-1"},
		{"decrypt", "share", "q-1"},
		{"keyholder", "run", "--once"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			requireFails(t, runCLI(nil, args...), cli.ExitUsage, "no profile: pass --profile FILE or set STATLEDGER_PROFILE")
		})
	}
}

func TestSynthIsDeterministicForASeed(t *testing.T) {
	for _, format := range []string{"csv", "fhir-bundle", "fhir-ndjson"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"synth", "--records", "200", "--seed", "7", "--provider", "HospitalA", "--format", format}
			first := runCLI(nil, args...)
			require.Equal(t, cli.ExitOK, first.code, first.stderr)
			require.Empty(t, first.stderr, "nothing on stderr when writing to stdout")
			again := runCLI(nil, args...)
			require.Equal(t, cli.ExitOK, again.code, again.stderr)
			require.Equal(t, first.stdout, again.stdout, "the same seed gives the same records")

			other := runCLI(nil, "synth", "--records", "200", "--seed", "8", "--provider", "HospitalA", "--format", format)
			require.Equal(t, cli.ExitOK, other.code, other.stderr)
			require.NotEqual(t, first.stdout, other.stdout, "another seed gives other records")

			// The command writes what the generator does.
			var direct bytes.Buffer
			f, err := records.ParseFormat(format)
			require.NoError(t, err)
			require.NoError(t, synth.Generate(&direct, f, synth.Config{Records: 200, Seed: 7, Provider: "HospitalA"}))
			require.Equal(t, direct.String(), first.stdout)

			// And the shipped schema reads every record back.
			n, err := records.Read(strings.NewReader(first.stdout), f, shippedSchema(t), func([]int, []int64) error { return nil })
			require.NoError(t, err)
			require.Equal(t, 200, n)
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestSynthOutputIsStable pins what a seed gives, so demos and benchmarks stay
// comparable across versions; after an intended change to the generator, run
// `go test ./client/cli -run SynthOutputIsStable -update` and review the diff.
func TestSynthOutputIsStable(t *testing.T) {
	for _, format := range []string{"csv", "fhir-bundle", "fhir-ndjson"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(nil, "synth", "--records", "3", "--seed", "1", "--provider", "HospitalA", "--format", format)
			require.Equal(t, cli.ExitOK, r.code, r.stderr)
			golden := filepath.Join("testdata", "synth-seed1-"+format+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(r.stdout), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, string(want), r.stdout)
		})
	}
}

func TestSynthFormats(t *testing.T) {
	csv := runCLI(nil, "synth", "--records", "3", "--seed", "1")
	require.Equal(t, cli.ExitOK, csv.code, csv.stderr)
	lines := strings.Split(strings.TrimSuffix(csv.stdout, "\n"), "\n")
	require.Len(t, lines, 4, "a header and three records: %q", csv.stdout)
	require.Equal(t, "region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR", lines[0])

	nd := runCLI(nil, "synth", "--records", "3", "--seed", "1", "--format", "fhir-ndjson")
	require.Equal(t, cli.ExitOK, nd.code, nd.stderr)
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(nd.stdout))
	for sc.Scan() {
		var res struct {
			ResourceType string `json:"resourceType"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &res), sc.Text())
		types[res.ResourceType]++
	}
	require.Equal(t, 3, types["Encounter"], "one encounter per admission: %v", types)

	bundle := runCLI(nil, "synth", "--records", "3", "--seed", "1", "--format", "fhir-bundle")
	require.Equal(t, cli.ExitOK, bundle.code, bundle.stderr)
	var b struct {
		ResourceType string            `json:"resourceType"`
		Entry        []json.RawMessage `json:"entry"`
	}
	require.NoError(t, json.Unmarshal([]byte(bundle.stdout), &b))
	require.Equal(t, "Bundle", b.ResourceType)
	require.NotEmpty(t, b.Entry)
}

func TestSynthWritesAFileAndSaysSo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.csv")
	r := runCLI(nil, "synth", "--records", "50", "--seed", "3", "--out", out)
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Equal(t, "wrote 50 csv records to "+out+"\n", r.stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	same := runCLI(nil, "synth", "--records", "50", "--seed", "3")
	require.Equal(t, same.stdout, string(data))
}

func TestSynthBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a negative number of records is a usage error", []string{"--records", "-1"}, cli.ExitUsage, "records must not be negative"},
		{"an unknown format is a usage error", []string{"--format", "xml"}, cli.ExitUsage, `unknown input format "xml"`},
		{"a provider name with spaces is a usage error", []string{"--provider", "Hospital A"}, cli.ExitUsage, "provider must hold only"},
		{"an output file that cannot be created is a failure", []string{"--out", filepath.Join(dir, "missing", "a.csv")}, cli.ExitFailure, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFails(t, runCLI(nil, append([]string{"synth", "--records", "10"}, tc.args...)...), tc.code, tc.want)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing was created")
}

func TestProfileErrorsAreOneLineAndNameTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string // profile text; "" for no file at all
		env     map[string]string
		flags   []string
		code    int
		want    []string
		notWant string
	}{
		{name: "a missing profile file", code: cli.ExitFailure, want: []string{"read profile", "no such file or directory"}},
		{name: "a profile that is not YAML", profile: "name: [unclosed\n", code: cli.ExitFailure, want: []string{"malformed profile"}},
		{name: "an empty profile", profile: "\n", code: cli.ExitFailure, want: []string{"malformed profile", "empty"}},
		{name: "an unknown field", profile: goodProfile + "colour: blue\n", code: cli.ExitFailure, want: []string{"malformed profile", "colour"}},
		{name: "a peer endpoint without a port", profile: strings.Replace(goodProfile, "localhost:1", "localhost", 1),
			code: cli.ExitFailure, want: []string{`profile field "peerEndpoint"`, "must be host:port"}},
		{name: "several bad fields at once, still one line", profile: strings.NewReplacer("localhost:1", "localhost", "mspID: StatOfficeMSP", "mspID: Stat Office").Replace(goodProfile),
			code: cli.ExitFailure, want: []string{`profile field "peerEndpoint"`, `profile field "mspID"`}},
		{name: "a missing required field", profile: strings.Replace(goodProfile, "org: StatOffice\n", "", 1),
			code: cli.ExitFailure, want: []string{`profile field "org"`, "must be set", "STATLEDGER_ORG"}},
		{name: "a missing certificate file", profile: strings.Replace(goodProfile, "cert.pem", "gone.pem", 1),
			code: cli.ExitFailure, want: []string{`profile field "certFile"`, "gone.pem does not exist"}},
		{name: "a private key written inline", profile: strings.Replace(goodProfile, "keyFile: key.pem", "keyFile: \"-----BEGIN PRIVATE KEY-----\\nMIIBsecret\\n\"", 1),
			code: cli.ExitFailure, want: []string{`profile field "keyFile"`, "not its contents"}, notWant: "MIIBsecret"},
		{name: "a password in the blob store URL", profile: strings.Replace(goodProfile, "blobStoreURL: blobs", "blobStoreURL: s3://user:hunter2@bucket", 1),
			code: cli.ExitFailure, want: []string{`profile field "blobStoreURL"`, "must not hold a password"}, notWant: "hunter2"},
		{name: "a bad override from the environment names the variable", profile: goodProfile, env: map[string]string{"STATLEDGER_PEER_ENDPOINT": "https://peer:7051"},
			code: cli.ExitFailure, want: []string{`profile field "peerEndpoint" (from STATLEDGER_PEER_ENDPOINT)`, "without a scheme"}},
		{name: "an unknown --output is a usage error", profile: goodProfile, flags: []string{"-o", "yaml"},
			code: cli.ExitUsage, want: []string{`profile field "output" (from flag --output)`, `"yaml" is not an output format`}},
		{name: "a bad --peer is a usage error", profile: goodProfile, flags: []string{"--peer", "nowhere"},
			code: cli.ExitUsage, want: []string{`profile field "peerEndpoint" (from flag --peer)`, "must be host:port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProfileDir(t, tc.profile)
			if tc.profile == "" {
				require.NoError(t, os.Remove(p.path))
			}
			args := append([]string{"--profile", p.path}, tc.flags...)
			r := runCLI(tc.env, append(args, "consortium", "show")...)
			requireFails(t, r, tc.code, tc.want...)
			if tc.notWant != "" {
				require.NotContains(t, r.stderr, tc.notWant, "no secret in the message")
			}
		})
	}
}

func TestTheProfileComesFromTheEnvironmentWhenNoFlagNamesIt(t *testing.T) {
	p := newProfileDir(t, strings.Replace(goodProfile, "localhost:1", "localhost", 1))
	r := runCLI(map[string]string{"STATLEDGER_PROFILE": p.path}, "consortium", "show")
	requireFails(t, r, cli.ExitFailure, p.path, `profile field "peerEndpoint"`)

	// The flag wins over the environment.
	good := newProfileDir(t, goodProfile)
	r = runCLI(map[string]string{"STATLEDGER_PROFILE": p.path}, "--profile", good.path, "consortium", "show")
	require.Equal(t, cli.ExitFailure, r.code)
	require.NotContains(t, r.stderr, "peerEndpoint", "the good profile was read: %s", r.stderr)
}

func TestAProfileWithPlaceholderCredentialsFailsToConnectInOneLine(t *testing.T) {
	p := newProfileDir(t, goodProfile)
	r := runCLI(nil, "--profile", p.path, "dataset", "list")
	requireFails(t, r, cli.ExitFailure)
	require.NotContains(t, r.stderr, "placeholder", "no file contents in the message")
}

func TestQueryRequestFlagsAreCheckedBeforeConnecting(t *testing.T) {
	// No profile: a flag error shows that the flags were checked first, and "no profile"
	// that they passed.
	base := []string{"query", "request", "--dataset", "ds-1"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"epsilon must be a number", []string{"--statistic", "count", "--epsilon", "half"}, `--epsilon: epsilon "half": not a non-negative decimal number`},
		{"epsilon must not be negative", []string{"--statistic", "count", "--epsilon", "-0.5"}, `epsilon "-0.5": not a non-negative decimal number`},
		{"epsilon has at most six decimals", []string{"--statistic", "count", "--epsilon", "0.0000001"}, "more than 6 decimals"},
		{"epsilon is a decimal, not an exponent", []string{"--statistic", "count", "--epsilon", "1e-3"}, `epsilon "1e-3"`},
		{"epsilon needs digits after the point", []string{"--statistic", "count", "--epsilon", "1."}, `epsilon "1.": not a decimal number`},
		{"a statistic needs an epsilon", []string{"--statistic", "count"}, "pass --file, or --statistic and --epsilon"},
		{"an epsilon needs a statistic", []string{"--epsilon", "0.5"}, "pass --file, or --statistic and --epsilon"},
		{"a filter needs an equals sign", []string{"--statistic", "count", "--epsilon", "0.5", "--filter", "region"}, `--filter "region": want dimension=code[,code...]`},
		{"a filter needs a dimension", []string{"--statistic", "count", "--epsilon", "0.5", "--filter", "=R01"}, `--filter "=R01"`},
		{"a filter needs codes", []string{"--statistic", "count", "--epsilon", "0.5", "--filter", "region="}, `--filter "region="`},
		{"a filter may not repeat a dimension", []string{"--statistic", "count", "--epsilon", "0.5", "--filter", "region=R01", "--filter", "region=R02"}, "already filtered"},
		{"a filter may not list a code twice", []string{"--statistic", "count", "--epsilon", "0.5", "--filter", "region=R01,R01"}, "R01"},
		{"an unknown statistic is refused", []string{"--statistic", "median", "--epsilon", "0.5"}, `"median" is not a statistic`},
		{"a mean needs a measure", []string{"--statistic", "mean", "--epsilon", "0.5"}, `query field "measure": must be set for mean`},
		{"a count takes no measure", []string{"--statistic", "count", "--measure", "lengthOfStay", "--epsilon", "0.5"}, `query field "measure": must be omitted for count`},
		{"a group-by dimension is listed once", []string{"--statistic", "count", "--epsilon", "0.5", "--group-by", "region,region"}, "already listed"},
		{"a query file excludes the statistic flags", []string{"--file", "q.yaml", "--statistic", "count", "--epsilon", "0.5"}, "[file statistic] were all set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFails(t, runCLI(nil, append(base, tc.args...)...), cli.ExitUsage, tc.want)
		})
	}

	t.Run("good flags reach the profile", func(t *testing.T) {
		r := runCLI(nil, append(base, "--statistic", "mean", "--measure", "lengthOfStay", "--group-by", "region,sex",
			"--filter", "ageBand=60-74,75+", "--epsilon", "0.25")...)
		requireFails(t, r, cli.ExitUsage, "no profile")
	})
}

func TestQueryRequestReadsAQueryFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("statistic: count\nepsilon: lots\n"), 0o600))
	requireFails(t, runCLI(nil, "query", "request", "--dataset", "ds-1", "--file", bad), cli.ExitFailure, bad, "epsilon")

	requireFails(t, runCLI(nil, "query", "request", "--dataset", "ds-1", "--file", filepath.Join(dir, "none.yaml")),
		cli.ExitFailure, "none.yaml", "no such file or directory")

	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte("statistic: count\ngroupBy: [region]\nepsilon: 0.5\n"), 0o600))
	requireFails(t, runCLI(nil, "query", "request", "--dataset", "ds-1", "--file", good), cli.ExitUsage, "no profile")
}

func TestDatasetRegisterChecksItsFilesBeforeConnecting(t *testing.T) {
	dir := t.TempDir()
	schema := filepath.Join("..", "..", "policies", "healthcare", "schema.yaml")
	policy := filepath.Join("..", "..", "policies", "healthcare", "policy.yaml")
	badSchema := filepath.Join(dir, "schema.yaml")
	require.NoError(t, os.WriteFile(badSchema, []byte("dimensions: nope\n"), 0o600))
	wrongPolicy := filepath.Join(dir, "policy.yaml")
	data, err := os.ReadFile(policy)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wrongPolicy, bytes.Replace(data, []byte("[region, ageBand, sex, diagnosisGroup]"), []byte("[region, postcode]"), 1), 0o600))
	register := func(schema, policy string) cliResult {
		return runCLI(nil, "dataset", "register", "--id", "ds-1", "--key", "key-1", "--schema", schema, "--policy", policy)
	}
	requireFails(t, register(filepath.Join(dir, "none.yaml"), policy), cli.ExitFailure, "none.yaml", "no such file or directory")
	requireFails(t, register(badSchema, policy), cli.ExitFailure, badSchema)
	requireFails(t, register(schema, wrongPolicy), cli.ExitFailure, "postcode")
	requireFails(t, register(schema, policy), cli.ExitUsage, "no profile")
}

func TestDataSubmitChecksItsInputBeforeConnecting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.csv")
	require.NoError(t, os.WriteFile(file, []byte("region\n"), 0o600))
	submit := []string{"data", "submit", "--dataset", "ds-1", "--period", "2026"}
	requireFails(t, runCLI(nil, append(submit, "--file", filepath.Join(dir, "none.csv"))...), cli.ExitFailure, "none.csv", "no such file or directory")
	requireFails(t, runCLI(nil, append(submit, "--file", file, "--format", "xlsx")...), cli.ExitUsage, `unknown input format "xlsx"`)
	requireFails(t, runCLI(nil, append(submit, "--file", file)...), cli.ExitUsage, "no profile")
}

// shippedSchema reads the healthcare case's schema from policies/.
func shippedSchema(t *testing.T) policies.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", "schema.yaml"))
	require.NoError(t, err)
	s, err := policies.ParseSchema(data)
	require.NoError(t, err)
	return s
}
