package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/params"
)

// cliEnv runs the statledger command line in-process as the network's organisations,
// with the profiles `fabnet profiles` writes (one per organisation, a shared blob store)
// and an environment of its own.
type cliEnv struct {
	dir      string
	profiles map[string]string // org name -> profile file
	env      map[string]string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	files, err := env.Net.WriteProfiles(filepath.Join(dir, "profiles"), filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	c := &cliEnv{dir: dir, profiles: map[string]string{},
		env: map[string]string{keyceremony.EnvIdentityFile: filepath.Join(dir, "seal.identity")}}
	for _, org := range env.Net.Definition().Orgs {
		path := filepath.Join(dir, "profiles", strings.ToLower(org.Name)+".yaml")
		require.Contains(t, files, path)
		c.profiles[org.Name] = path
	}
	return c
}

// cliRun is the outcome of one command.
type cliRun struct {
	code           int
	stdout, stderr string
}

// run runs the command line as org (its profile; "" for none) and returns what it gave.
func (c *cliEnv) run(org string, args ...string) cliRun {
	if org != "" {
		args = append([]string{"--profile", c.profiles[org]}, args...)
	}
	var out, errb bytes.Buffer
	code := cli.Execute(args, &out, &errb, func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs a command as org, requires exit status 0 and returns its stdout.
func (c *cliEnv) ok(t *testing.T, org string, args ...string) string {
	t.Helper()
	r := c.run(org, args...)
	require.Equal(t, cli.ExitOK, r.code, "%s %v: %s", org, args, r.stderr)
	return r.stdout
}

// okJSON runs a command as org with -o json, requires success and decodes stdout into v.
func (c *cliEnv) okJSON(t *testing.T, v any, org string, args ...string) {
	t.Helper()
	out := c.ok(t, org, append([]string{"-o", "json"}, args...)...)
	require.NoError(t, json.Unmarshal([]byte(out), v), out)
}

// fails runs a command as org and requires exit status code with one line on stderr that
// contains every want and nothing on stdout. It returns the line.
func (c *cliEnv) fails(t *testing.T, code int, org string, args []string, want ...string) string {
	t.Helper()
	return c.failsAfter(t, nil, code, org, args, want...)
}

// failsAfter is fails for a command that may first print the given notices, each a line
// on stderr, before its error line.
func (c *cliEnv) failsAfter(t *testing.T, notices []string, code int, org string, args []string, want ...string) string {
	t.Helper()
	r := c.run(org, args...)
	require.Equal(t, code, r.code, "%s %v: stdout %q, stderr %q", org, args, r.stdout, r.stderr)
	require.Empty(t, r.stdout, "%s %v: nothing on stdout when a command fails", org, args)
	msg := r.stderr
	for _, n := range notices {
		msg = strings.TrimPrefix(msg, n+"\n")
	}
	require.True(t, strings.HasPrefix(msg, "statledger: ") && strings.HasSuffix(msg, "\n"), "%q", r.stderr)
	require.NotContains(t, strings.TrimSuffix(msg, "\n"), "\n", "one line: %q", r.stderr)
	for _, w := range want {
		require.Contains(t, msg, w, "%s %v", org, args)
	}
	return msg
}

// waitStatus waits until the query has status want as org's peer sees it.
func (c *cliEnv) waitStatus(t *testing.T, ctx context.Context, org, queryID string, want ledger.Status) ledger.Query {
	t.Helper()
	settle(t, ctx)
	var q ledger.Query
	c.okJSON(t, &q, org, "query", "status", queryID)
	require.Equal(t, want, q.Status, "query %s: %s", queryID, q.StatusReason)
	return q
}

// datasetRow is a row of `dataset list -o json`.
type datasetRow struct {
	Dataset ledger.Dataset `json:"dataset"`
	Budget  ledger.Budget  `json:"budget"`
}

// regionCounts counts the records of a synthetic file by region, the plaintext truth.
func regionCounts(t *testing.T, path string, f records.Format) map[string]int64 {
	t.Helper()
	file, err := os.Open(path)
	require.NoError(t, err)
	defer file.Close()
	s := shippedSchema(t)
	codes := s.Dimensions[0].Codes
	require.Equal(t, "region", s.Dimensions[0].Name)
	out := map[string]int64{}
	_, err = records.Read(file, f, s, func(c []int, _ []int64) error { out[codes[c[0]]]++; return nil })
	require.NoError(t, err)
	return out
}

// TestCLIWholeFlowAndItsBadInput runs every command of the statledger CLI on the real
// network, each organisation through its own profile as in `make demo`, and between the
// happy steps the bad input each step must refuse: an unknown dataset, malformed CSV and
// FHIR files, a wrong profile, an organisation without the right, a bad command line.
func TestCLIWholeFlowAndItsBadInput(t *testing.T) {
	ctx := context.Background()
	c := newCLIEnv(t)
	def := env.Net.Definition()
	policyDir := filepath.Join("..", "..", "policies", "healthcare")

	// consortium show: the ledger's consortium, as a table and as JSON.
	table := c.ok(t, regulator, "consortium", "show")
	require.Contains(t, table, fmt.Sprintf("threshold %d of %d key holders", def.Threshold, len(def.KeyHolders())))
	for _, org := range allOrgs {
		require.Contains(t, table, mspID(org))
	}
	var cons ledger.Consortium
	c.okJSON(t, &cons, hospitalA, "consortium", "show")
	require.Len(t, cons.Orgs, len(def.Orgs))
	require.Equal(t, def.Threshold, cons.Threshold)

	// consortium keygen local: the demo's ceremony at production parameters, then show
	// with each holder's check of its own share.
	keyID := unique("cli-key")
	keygen := []string{"consortium", "keygen", "local", "--key-id", keyID, "--params", params.N14T58}
	for _, org := range keyHolderOrgs(t, ctx) {
		keygen = append(keygen, "--holder", c.profiles[org])
	}
	var local keyceremony.LocalResult
	c.okJSON(t, &local, statOffice, keygen...)
	require.False(t, local.Existing)
	require.Equal(t, keyID, local.Published.Key.ID)
	require.Equal(t, mspID(statOffice), local.Published.Key.RecordedBy)
	settle(t, ctx)
	for _, org := range []string{hospitalA, hospitalB} {
		var shown struct {
			Key      ledger.CollectiveKey `json:"key"`
			KeyShare string               `json:"keyShare"`
		}
		c.okJSON(t, &shown, org, "consortium", "keygen", "show", keyID, "--check-share")
		require.Equal(t, local.Published.Key.PublicKeyDigest, shown.Key.PublicKeyDigest)
		require.Contains(t, shown.KeyShare, "opens")
	}
	c.fails(t, cli.ExitFailure, regulator, []string{"consortium", "keygen", "show", unique("no-such-key")}, "NOT_FOUND")

	// dataset register and list; only an analyst registers.
	datasetID := unique("cli-admissions")
	register := []string{"dataset", "register", "--id", datasetID, "--title", "Hospital admissions (CLI e2e)", "--key", keyID,
		"--schema", filepath.Join(policyDir, "schema.yaml"), "--policy", filepath.Join(policyDir, "policy.yaml")}
	c.fails(t, cli.ExitFailure, hospitalA, register, "FORBIDDEN")
	var ds ledger.Dataset
	c.okJSON(t, &ds, statOffice, register...)
	require.Equal(t, datasetID, ds.ID)
	require.Equal(t, keyID, ds.KeyID)
	require.Equal(t, ledger.StatusActive, ds.Status)
	require.Equal(t, mspID(statOffice), ds.Registrant)
	settle(t, ctx)
	var listed []datasetRow
	c.okJSON(t, &listed, regulator, "dataset", "list")
	i := slices.IndexFunc(listed, func(r datasetRow) bool { return r.Dataset.ID == datasetID })
	require.GreaterOrEqual(t, i, 0, "dataset list shows %s", datasetID)
	require.Equal(t, int64(ds.Policy.EpsilonTotal), listed[i].Budget.TotalMicroEpsilon)
	require.Zero(t, listed[i].Budget.SpentMicroEpsilon)
	require.Contains(t, c.ok(t, regulator, "dataset", "list"), datasetID)

	// synth: the hospitals' records, CSV for HospitalA and both FHIR forms for HospitalB.
	csvA := filepath.Join(c.dir, "hospital-a.csv")
	bundleB := filepath.Join(c.dir, "hospital-b.json")
	ndjsonB := filepath.Join(c.dir, "hospital-b.ndjson")
	for _, s := range []struct{ seed, provider, format, out string }{
		{"1", "HospitalA", "csv", csvA}, {"2", "HospitalB", "fhir-bundle", bundleB}, {"2", "HospitalB", "fhir-ndjson", ndjsonB},
	} {
		r := c.run("", "synth", "--records", "1000", "--seed", s.seed, "--provider", s.provider, "--format", s.format, "--out", s.out)
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		require.Equal(t, fmt.Sprintf("wrote 1000 %s records to %s\n", s.format, s.out), r.stderr)
	}

	// data submit: CSV, then a FHIR Bundle that a FHIR NDJSON submission supersedes.
	type submitted struct {
		Submission ledger.Submission `json:"submission"`
		Records    int               `json:"records"`
		Bytes      int64             `json:"bytes"`
	}
	submit := func(org, file string) submitted {
		t.Helper()
		var s submitted
		c.okJSON(t, &s, org, "data", "submit", "--dataset", datasetID, "--period", "2026", "--file", file)
		require.Equal(t, 1000, s.Records)
		require.Equal(t, ledger.StatusLive, s.Submission.Status)
		require.Equal(t, mspID(org), s.Submission.Provider)
		require.NotEmpty(t, s.Submission.Ciphertexts)
		require.Positive(t, s.Bytes)
		return s
	}
	submit(hospitalA, csvA)
	first := submit(hospitalB, bundleB)
	second := submit(hospitalB, ndjsonB)
	require.Equal(t, first.Submission.ID, second.Submission.Supersedes)
	truth := regionCounts(t, csvA, records.FormatCSV)
	for region, n := range regionCounts(t, ndjsonB, records.FormatFHIRNDJSON) {
		truth[region] += n
	}

	// data submit is for providers; it refuses an unknown dataset, and malformed files
	// with a message that names the line or entry but holds no value of the records.
	c.fails(t, cli.ExitFailure, regulator, []string{"data", "submit", "--dataset", datasetID, "--period", "2026-bad", "--file", csvA}, "FORBIDDEN")
	c.fails(t, cli.ExitFailure, hospitalA, []string{"data", "submit", "--dataset", unique("no-such-dataset"), "--period", "2026", "--file", csvA}, "NOT_FOUND")
	csvLines := strings.SplitAfter(readFile(t, csvA), "\n")
	ndjsonLines := strings.SplitAfter(readFile(t, ndjsonB), "\n")
	require.Contains(t, ndjsonLines[0], `"resourceType":"Patient"`)
	for _, bad := range []struct {
		name, file, content string
		want                []string
		secret              string
	}{
		{"a CSV code that is not in the schema", "bad-code.csv",
			strings.Join(csvLines[:3], "") + "R99-SECRET,45-59,M,I00-I99,5,59,7437\n",
			[]string{"line 4", `column "region"`, "not a code of the dimension"}, "R99-SECRET"},
		{"a CSV measure that is not an integer", "bad-measure.csv",
			strings.Join(csvLines[:2], "") + "R07,45-59,M,I00-I99,5.73129,59,7437\n" + csvLines[2],
			[]string{"line 3", `column "lengthOfStay"`, "not an integer"}, "5.73129"},
		{"a CSV line with a missing field", "short.csv",
			strings.Join(csvLines[:5], "") + "R07,45-59,M,I00-I99,59,7437\n",
			[]string{"line 6", "6 fields, the header has 7"}, "59,7437"},
		{"a CSV without the schema's columns", "no-columns.csv",
			"region,sex\nR01,F\n", []string{"line 1", `no column "ageBand"`}, ""},
		{"FHIR NDJSON that is not JSON", "broken.ndjson",
			strings.Join(ndjsonLines[:4], "") + `{"resourceType":"Patient","id":"SECRET-ID",` + "\n",
			[]string{"line 5", "syntax error: unexpected end of JSON input"}, "SECRET-ID"},
		{"a FHIR NDJSON gender that is not a code", "bad-gender.ndjson",
			strings.NewReplacer(`"gender":"male"`, `"gender":"SECRETGENDER"`, `"gender":"female"`, `"gender":"SECRETGENDER"`).Replace(strings.Join(ndjsonLines[:8], "")),
			[]string{"line 1, Patient.gender: value is not a code of the dimension"}, "SECRETGENDER"},
		{"a FHIR Bundle entry with a diagnosis that is not ICD-10", "bad-condition.json",
			strings.Replace(readFile(t, bundleB), `"system":"http://hl7.org/fhir/sid/icd-10","code":"`, `"system":"http://hl7.org/fhir/sid/icd-10","code":"SECRET-DX`, 1),
			[]string{"Bundle.entry[2], Condition.code", "not an ICD-10 code"}, "SECRET-DX"},
		{"a FHIR Bundle cut short", "cut.json",
			readFile(t, bundleB)[:2000], []string{"unexpected end of JSON input"}, ""},
	} {
		t.Run(bad.name, func(t *testing.T) {
			path := filepath.Join(c.dir, bad.file)
			require.NoError(t, os.WriteFile(path, []byte(bad.content), 0o600))
			msg := c.fails(t, cli.ExitFailure, hospitalA, []string{"data", "submit", "--dataset", datasetID, "--period", "2026-bad", "--file", path},
				append([]string{path}, bad.want...)...)
			if bad.secret != "" {
				require.NotContains(t, msg, bad.secret, "no record value in the message")
			}
		})
	}

	// Nothing of the refused files reached the ledger.
	subs, err := connect(t, regulator).ListSubmissions(ctx, datasetID, "2026-bad", "")
	require.NoError(t, err)
	require.Empty(t, subs.Items, "no submission for a malformed file")

	// query request: analysts only, the dataset must exist, the policy must allow it.
	request := []string{"query", "request", "--dataset", datasetID, "--period", "2026", "--statistic", "count",
		"--group-by", "region", "--epsilon", "0.5", "--decryptors", mspID(hospitalA) + "," + mspID(hospitalB)}
	// (A first request makes the organisation's analyst key pair, and says so, before
	// the ledger refuses it.)
	c.failsAfter(t, []string{"statledger: created the analyst key pair " + filepath.Join(c.dir, "profiles", "hospitala.analyst.key")},
		cli.ExitFailure, hospitalA, request, "FORBIDDEN", "needs the analyst role")
	c.fails(t, cli.ExitFailure, statOffice, []string{"query", "request", "--dataset", unique("no-such-dataset"), "--statistic", "count", "--epsilon", "0.5"}, "NOT_FOUND")
	var q ledger.Query
	c.okJSON(t, &q, statOffice, request...)
	require.Equal(t, ledger.StatusPending, q.Status)
	require.Equal(t, mspID(statOffice), q.Requester)
	require.Equal(t, []string{mspID(hospitalA), mspID(hospitalB)}, q.Decryptors)
	require.Equal(t, 10, q.Cells)
	require.NotEmpty(t, q.IdempotencyKey, "a key is drawn when none is given")
	c.fails(t, cli.ExitFailure, statOffice, []string{"query", "request", "--dataset", datasetID, "--statistic", "count",
		"--group-by", "region,ageBand,sex,diagnosisGroup", "--epsilon", "0.5"}, "INVALID", "1320")
	c.fails(t, cli.ExitFailure, statOffice, []string{"query", "request", "--dataset", datasetID, "--statistic", "count", "--epsilon", "5"}, "INVALID", "epsilon")

	// query status and list, as a table and as JSON.
	settle(t, ctx)
	status := c.ok(t, regulator, "query", "status", q.ID)
	require.Contains(t, status, "pending")
	require.Contains(t, status, datasetID)
	var queries []ledger.Query
	c.okJSON(t, &queries, regulator, "query", "list", "--dataset", datasetID)
	require.Len(t, queries, 1)
	require.Equal(t, q.ID, queries[0].ID)
	require.Contains(t, c.ok(t, hospitalB, "query", "list", "--dataset", datasetID), q.ID)
	c.fails(t, cli.ExitFailure, regulator, []string{"query", "status", "q-" + unique("missing")}, "NOT_FOUND")
	c.fails(t, cli.ExitFailure, regulator, []string{"query", "list", "--dataset", unique("no-such-dataset")}, "NOT_FOUND")

	// query approve: the auditor may not; both hospitals approve.
	c.fails(t, cli.ExitFailure, regulator, []string{"query", "approve", q.ID, "--reason", "looks fine"}, "FORBIDDEN")
	c.fails(t, cli.ExitFailure, statOffice, []string{"query", "approve", q.ID}, "FORBIDDEN")
	var approved ledger.Query
	c.okJSON(t, &approved, hospitalA, "query", "approve", q.ID, "--reason", "within the dataset policy")
	require.Equal(t, ledger.StatusPending, approved.Status)
	settle(t, ctx)
	c.okJSON(t, &approved, hospitalB, "query", "approve", q.ID, "--reason", "within the dataset policy")
	require.Equal(t, ledger.StatusApproved, approved.Status)
	require.Len(t, approved.SubmissionIDs, 2, "HospitalA's submission and HospitalB's second")
	require.Contains(t, approved.SubmissionIDs, second.Submission.ID)

	// query reject and cancel, on two more queries.
	var rejected, cancelled ledger.Query
	c.okJSON(t, &rejected, statOffice, request...)
	settle(t, ctx)
	c.fails(t, cli.ExitUsage, hospitalB, []string{"query", "reject", rejected.ID}, `required flag(s) "reason" not set`)
	c.okJSON(t, &rejected, hospitalB, "query", "reject", rejected.ID, "--reason", "too fine a breakdown")
	require.Equal(t, ledger.StatusRejected, rejected.Status)
	// A request resent with its idempotency key is the same query.
	resend := append(slices.Clone(request), "--idempotency-key", unique("k"))
	c.okJSON(t, &cancelled, statOffice, resend...)
	var again ledger.Query
	c.okJSON(t, &again, statOffice, resend...)
	require.Equal(t, cancelled.ID, again.ID)
	settle(t, ctx)
	c.fails(t, cli.ExitFailure, hospitalA, []string{"query", "cancel", cancelled.ID, "--reason", "not mine"}, "FORBIDDEN")
	c.okJSON(t, &cancelled, statOffice, "query", "cancel", cancelled.ID, "--reason", "asked twice")
	require.Equal(t, ledger.StatusCancelled, cancelled.Status)

	// worker run --once: only a worker organisation computes; StatOffice's worker
	// computes the approved query.
	settle(t, ctx)
	c.fails(t, cli.ExitFailure, regulator, []string{"worker", "run", "--once", "--dataset", datasetID}, "does not have the worker role")
	var sum worker.Summary
	c.okJSON(t, &sum, statOffice, "worker", "run", "--once", "--dataset", datasetID)
	require.Equal(t, 1, sum.Succeeded, "%+v", sum)
	require.Zero(t, sum.Failed)
	require.Len(t, sum.Posted, 1)
	require.Equal(t, q.ID, sum.Posted[0].QueryID)
	dec := c.waitStatus(t, ctx, hospitalA, q.ID, ledger.StatusDecrypting)
	require.Equal(t, sum.Posted[0].OutputDigest, dec.OutputDigest)

	// decrypt share (HospitalA) and keyholder run --once (HospitalB); a key holder that is
	// not a decryptor is refused, and the auditor holds no key share.
	c.fails(t, cli.ExitFailure, statOffice, []string{"decrypt", "share", q.ID}, mspID(statOffice)+" is not among the decryptors", q.ID)
	c.fails(t, cli.ExitFailure, regulator, []string{"decrypt", "share", q.ID}, "no keySharePath")
	var share ledger.DecryptionShare
	c.okJSON(t, &share, hospitalA, "decrypt", "share", q.ID)
	require.Equal(t, q.ID, share.QueryID)
	require.Equal(t, mspID(hospitalA), share.KeyHolder)
	settle(t, ctx)
	// The key holder scans every query on the ledger; the other end-to-end tests name
	// StatOffice and HospitalA as decryptors, so only this test's query awaits HospitalB.
	out := c.ok(t, hospitalB, "keyholder", "run", "--once")
	require.Regexp(t, regexp.MustCompile(`^[1-9][0-9]* shares contributed\n$`), out)
	ready := c.waitStatus(t, ctx, statOffice, q.ID, ledger.StatusReady)
	require.ElementsMatch(t, []string{mspID(hospitalA), mspID(hospitalB)}, ready.ShareOrgs)

	// query release: only the requesting analyst's key decrypts; the table is the count
	// by region, close to the plaintext truth (noise is on).
	c.fails(t, cli.ExitFailure, hospitalA, []string{"query", "release", q.ID}, "analyst key")
	r := c.run(statOffice, "query", "release", q.ID, "--format", "json")
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "release of "+q.ID+" recorded")
	recorded := r.stderr
	var released struct {
		QueryID string   `json:"queryID"`
		Noise   bool     `json:"noise"`
		Columns []string `json:"columns"`
		Rows    []struct {
			Codes      []string `json:"codes"`
			Value      *float64 `json:"value"`
			ConfStatus string   `json:"confStatus"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &released), r.stdout)
	require.Equal(t, q.ID, released.QueryID)
	require.True(t, released.Noise)
	require.Equal(t, []string{"region"}, released.Columns)
	require.Len(t, released.Rows, 10)
	for _, row := range released.Rows {
		require.Len(t, row.Codes, 1)
		require.NotNil(t, row.Value, "region %s (true count %d) is not suppressed", row.Codes[0], truth[row.Codes[0]])
		require.Equal(t, "F", row.ConfStatus)
		// A sanity check of the cell's place, far wider than the noise.
		require.InDelta(t, float64(truth[row.Codes[0]]), *row.Value, 100, "region %s", row.Codes[0])
	}
	// Releasing again prints the same table, in any format, and records nothing new.
	r = c.run(statOffice, "query", "release", q.ID)
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	require.Equal(t, recorded, r.stderr, "the same release record, table digest and transaction")
	for _, row := range released.Rows {
		require.Regexp(t, regexp.MustCompile(`(?m)^`+row.Codes[0]+` `), r.stdout)
	}
	r = c.run(statOffice, "query", "release", q.ID, "--format", "csv")
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "region,OBS_VALUE,OBS_STATUS,CONF_STATUS\n"), r.stdout)
	require.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 11)
	sdmx := filepath.Join(c.dir, "release.csv")
	r = c.run(statOffice, "query", "release", q.ID, "--format", "sdmx-csv", "--out", sdmx)
	require.Equal(t, cli.ExitOK, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.True(t, strings.HasPrefix(readFile(t, sdmx), "STRUCTURE,STRUCTURE_ID,ACTION,region,"), readFile(t, sdmx))
	final := c.waitStatus(t, ctx, regulator, q.ID, ledger.StatusReleased)
	require.NotEmpty(t, final.ReleaseDigest)
	require.Contains(t, recorded, "table "+final.ReleaseDigest)
	require.Regexp(t, regexp.MustCompile(`(?m)^release +`+final.ReleaseDigest+`$`), c.ok(t, regulator, "query", "status", q.ID))

	// The budget shows the approved query's epsilon spent.
	c.okJSON(t, &listed, regulator, "dataset", "list")
	i = slices.IndexFunc(listed, func(r datasetRow) bool { return r.Dataset.ID == datasetID })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, q.EpsilonMicro, listed[i].Budget.SpentMicroEpsilon)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestCLIWrongProfiles runs commands with broken profiles against the real network: each
// fails in one line that names the problem, before anything reaches the ledger.
func TestCLIWrongProfiles(t *testing.T) {
	c := newCLIEnv(t)
	good := readFile(t, c.profiles[hospitalA])
	write := func(name, content string) string {
		path := filepath.Join(c.dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	var certFile string
	for _, line := range strings.Split(good, "\n") {
		if v, ok := strings.CutPrefix(line, "certFile: "); ok {
			certFile = v
		}
	}
	require.NotEmpty(t, certFile)

	for _, tc := range []struct {
		name    string
		profile string
		args    []string
		env     map[string]string
		code    int
		want    []string
	}{
		{name: "a profile file that does not exist", profile: filepath.Join(c.dir, "nobody.yaml"),
			code: cli.ExitFailure, want: []string{"read profile", "nobody.yaml", "no such file or directory"}},
		{name: "no profile at all", code: cli.ExitUsage, want: []string{"no profile: pass --profile FILE or set STATLEDGER_PROFILE"}},
		{name: "a misspelt field", profile: write("misspelt.yaml", strings.Replace(good, "mspID:", "mspId:", 1)),
			code: cli.ExitFailure, want: []string{"malformed profile", "mspId"}},
		{name: "a peer endpoint that is not host:port", profile: write("endpoint.yaml", regexp.MustCompile(`peerEndpoint: .*`).ReplaceAllString(good, "peerEndpoint: grpcs://peer0")),
			code: cli.ExitFailure, want: []string{`profile field "peerEndpoint"`, "without a scheme"}},
		{name: "an unknown output format", profile: write("output.yaml", strings.Replace(good, "output: table", "output: xml", 1)),
			code: cli.ExitFailure, want: []string{`profile field "output"`, `"xml" is not an output format`}},
		{name: "a missing certificate file", profile: write("nocert.yaml", strings.Replace(good, certFile, certFile+".gone", 1)),
			code: cli.ExitFailure, want: []string{`profile field "certFile"`, ".gone does not exist"}},
		{name: "a certificate file overridden from the environment", profile: c.profiles[hospitalA],
			env:  map[string]string{"STATLEDGER_CERT_FILE": filepath.Join(c.dir, "elsewhere.pem")},
			code: cli.ExitFailure, want: []string{`profile field "certFile" (from STATLEDGER_CERT_FILE)`, "elsewhere.pem does not exist"}},
		{name: "a --peer that is not host:port", profile: c.profiles[hospitalA], args: []string{"--peer", "peer0"},
			code: cli.ExitUsage, want: []string{`profile field "peerEndpoint" (from flag --peer)`}},
		{name: "another organisation's certificate with this organisation's MSP ID", profile: write("mixed.yaml",
			strings.Replace(good, certFile, strings.ReplaceAll(certFile, "hospitala", "hospitalb"), 1)),
			code: cli.ExitFailure, want: []string{"GetConsortium", "access denied"}},
		{name: "a peer that does not answer (after retries)", profile: c.profiles[hospitalA], args: []string{"--peer", "127.0.0.1:1"},
			code: cli.ExitFailure, want: []string{"GetConsortium", "connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := c.env
			c.env = map[string]string{}
			for k, v := range tc.env {
				c.env[k] = v
			}
			defer func() { c.env = old }()
			args := []string{}
			if tc.profile != "" {
				args = append(args, "--profile", tc.profile)
			}
			args = append(append(args, tc.args...), "consortium", "show")
			c.fails(t, tc.code, "", args, tc.want...)
		})
	}
}

// TestCLIBadCommandLines checks that mistakes in the command line exit with status 2 and
// one line, before anything reaches the ledger.
func TestCLIBadCommandLines(t *testing.T) {
	c := newCLIEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command", []string{"publish"}, `unknown command "publish" for "statledger"`},
		{"an unknown verb", []string{"query", "withdraw", "q-1"}, `unknown command "withdraw" for statledger query`},
		{"an unknown flag", []string{"query", "list", "--dataset", "ds-1", "--all"}, "unknown flag: --all"},
		{"a missing required flag", []string{"query", "list"}, `required flag(s) "dataset" not set`},
		{"missing submit flags", []string{"data", "submit", "--file", "a.csv"}, "needs [--dataset --period]"},
		{"a missing query ID", []string{"query", "approve"}, "accepts 1 arg(s), received 0"},
		{"two query IDs", []string{"query", "status", "q-1", "q-2"}, "accepts 1 arg(s), received 2"},
		{"an argument where none is taken", []string{"dataset", "list", "everything"}, `unknown command "everything"`},
		{"a bad epsilon", []string{"query", "request", "--dataset", "ds-1", "--statistic", "count", "--epsilon", "lots"}, `epsilon "lots"`},
		{"a bad filter", []string{"query", "request", "--dataset", "ds-1", "--statistic", "count", "--epsilon", "0.5", "--filter", "region"}, `--filter "region"`},
		{"an unknown statistic", []string{"query", "request", "--dataset", "ds-1", "--statistic", "median", "--epsilon", "0.5"}, `"median" is not a statistic`},
		{"an unknown output format", []string{"-o", "yaml", "dataset", "list"}, `"yaml" is not an output format`},
		{"an unknown release format", []string{"query", "release", "q-1", "--format", "xlsx"}, `unknown release format "xlsx"`},
		{"an unknown input format", []string{"data", "submit", "--dataset", "ds-1", "--period", "2026", "--file", c.profiles[hospitalA], "--format", "hl7"}, `unknown input format "hl7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.fails(t, cli.ExitUsage, statOffice, tc.args, tc.want)
		})
	}
}
