package e2e

// The fault scenarios of issue 7 (`make test-faults`, and part of `make test`): real
// crashes of real processes on the real network, each ending with a count of lost
// submissions (acknowledged to the client, yet not on the ledger read through more than
// one organisation's peer), which must be 0, and a row of the printed report.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/analyst"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/keyholder"
	"github.com/statledger/statledger/client/profile"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/submit"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
	testnetwork "github.com/statledger/statledger/test-network"
)

// envFaultScale multiplies the sizes of the fault scenarios' bursts (default 1, the
// size `make test` runs): STATLEDGER_FAULT_SCALE=5 make test-faults.
const envFaultScale = "STATLEDGER_FAULT_SCALE"

// faultScale reads envFaultScale.
func faultScale(t testing.TB) int {
	t.Helper()
	v := os.Getenv(envFaultScale)
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s=%q", envFaultScale, v)
	require.True(t, n >= 1 && n <= 100, "%s=%d: want 1 to 100", envFaultScale, n)
	return n
}

// faultRetry is the fault tests' client retry policy: it rides out a Raft election or an
// orderer restart (FABRIC-NOTES: about 5–7 s) with room to spare, about 20–40 s in all.
var faultRetry = fabric.Retry{Attempts: 40, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second}

// faultLease is the workers' lease in the fault tests: short, so that a dead worker's
// job is taken over quickly.
const faultLease = 3 * time.Second

// faultEnv is one fault test's consortium: a flow (every organisation's client, key
// holders, analyst) under a collective key of its own at the small insecure parameters,
// made by the CLI's local ceremony, and the CLI profiles of every organisation sharing
// the flow's blob store, so that workers and key holders can also run as separate
// statledger processes that the test kills.
type faultEnv struct {
	*flow
	cli *cliEnv
}

func newFaultEnv(t *testing.T, ctx context.Context) *faultEnv {
	t.Helper()
	c := newCLIEnv(t)
	store, err := blobstore.Open(ctx, "file://"+filepath.Join(c.dir, "blobs"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	// The key shares are sealed with the identity file the CLI processes are given.
	prot, err := keyceremony.NewIdentityFile(c.env[keyceremony.EnvIdentityFile])
	require.NoError(t, err)
	in := keyceremony.LocalInput{KeyID: unique("fault-key"), ParamSet: params.InsecureN11T58}
	shares := map[string]string{}
	for _, org := range keyHolderOrgs(t, ctx) {
		p, err := profile.Load(c.profiles[org])
		require.NoError(t, err)
		in.Holders = append(in.Holders, keyceremony.LocalHolder{MSPID: p.MSPID, KeySharePath: p.KeySharePath, Protection: prot})
		shares[p.MSPID] = p.KeySharePath
	}
	// The ceremony's client rides out a network that has just started (discovery may not
	// find the endorsers yet).
	stat := connect(t, statOffice, fabric.WithRetry(faultRetry))
	_, err = keyceremony.RunLocal(ctx, stat, store, in)
	require.NoError(t, err, "the local key ceremony at %s", in.ParamSet)
	cache := keyceremony.NewCache(stat, store)
	ks, err := cache.KeySet(ctx, in.KeyID)
	require.NoError(t, err)
	keys := &flowKeys{id: in.KeyID, set: ks.Set(), cache: cache, prot: prot, shares: shares}
	// StatOffice's analyst key where its CLI profile keeps it.
	keys.analyst, _, err = analyst.LoadOrCreateKey(filepath.Join(c.dir, "profiles", "statoffice.analyst.key"), keys.set, prot)
	require.NoError(t, err)
	return &faultEnv{flow: newFlowWith(t, ctx, keys, store, faultRetry), cli: c}
}

// countByRegion is the query of most fault scenarios.
var countByRegion = policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}

// finish has q's decryptors share and the analyst release it, and checks the released
// table against the plaintext truth of recs (noise off).
func (f *faultEnv) finish(t *testing.T, ctx context.Context, ds ledger.Dataset, q ledger.Query, recs []flowRecord, ft *flowTimes) {
	t.Helper()
	require.NoError(t, f.share(ctx, q, ft))
	table, _ := f.release(t, ctx, q, ft)
	requireExact(t, ds, q.Spec, table, plainTruth(ds.Schema, q.Spec, recs))
}

// lostSubmissions counts the acknowledged submissions that the peer of one of orgs does
// not show (after every peer has caught up), or shows other than the provider was told.
func (f *faultEnv) lostSubmissions(t *testing.T, ctx context.Context, acked []ledger.Submission, orgs ...string) int {
	t.Helper()
	require.GreaterOrEqual(t, len(orgs), 2, "read through more than one organisation's peer")
	settle(t, ctx)
	lost := 0
	for _, s := range acked {
		for _, org := range orgs {
			got, err := f.api[org].GetSubmission(ctx, s.ID)
			if errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("acknowledged submission %s (%s, period %s) is not on %s's peer", s.ID, s.Provider, s.Period, org)
				lost++
				break
			}
			require.NoError(t, err)
			if got.Provider != s.Provider || got.Period != s.Period || got.Records != s.Records || !slices.Equal(got.Ciphertexts, s.Ciphertexts) {
				t.Errorf("submission %s on %s's peer is not what %s was told: %+v, not %+v", s.ID, org, s.Provider, got, s)
				lost++
				break
			}
		}
	}
	return lost
}

// requireAudit has the Regulator audit the dataset through its own peer (every query's
// policy, approvals, budget, inputs, computation re-executed, shares and release), with
// the blocks served by the three members' peers and its own compared, and requires
// that it passes. It returns a summary for the report.
func (f *faultEnv) requireAudit(t *testing.T, ctx context.Context, datasetID string) string {
	t.Helper()
	settle(t, ctx)
	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA, hospitalB))
	a, err := audit.New(f.api[regulator], f.store, f.keys.cache, audit.WithChainRequired(),
		audit.WithChainFrom(func(ctx context.Context) (audit.Chain, error) { return chain.Compare(ctx, sources) }))
	require.NoError(t, err)
	rep, err := a.Run(ctx, audit.Scope{DatasetID: datasetID})
	require.NoError(t, err)
	require.True(t, rep.Passed, "the audit of dataset %s: %+v", datasetID, rep)
	require.Equal(t, audit.StatusPass, rep.Chain.Check.Status, rep.Chain.Check.Detail)
	return fmt.Sprintf("audit passed (queries: %d; blocks of %d peers compared)", len(rep.Queries), len(rep.Chain.Peers))
}

// cliProcess is the statledger command line (the binary nettest built) running as a
// separate process for an organisation, through its profile.
type cliProcess struct {
	cmd  *exec.Cmd
	log  syncLog      // its stderr: a daemon's JSON log lines, a command's error
	out  bytes.Buffer // its stdout, to read once it has exited
	done chan struct{}
	err  error // its exit, once done is closed
}

// startCLI starts statledger as org with args. onLine, if not nil, sees each line the
// process writes to stderr as soon as it is read, before the next one is read.
func (f *faultEnv) startCLI(t *testing.T, org string, onLine func(p *cliProcess, line string), args ...string) *cliProcess {
	t.Helper()
	p := &cliProcess{done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(env.BinDir, "statledger"), append([]string{"--profile", f.cli.profiles[org]}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STATLEDGER_") { // the test's own settings are not the CLI's
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	for k, v := range f.cli.env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout = &p.out
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.log.Write([]byte(line + "\n"))
			if onLine != nil {
				onLine(p, line)
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		<-p.done
	})
	return p
}

// kill kills the process with SIGKILL, as a crash would; it may already have exited.
func (p *cliProcess) kill() { _ = p.cmd.Process.Signal(syscall.SIGKILL) }

// stop asks the process to stop (SIGTERM) and waits for it.
func (p *cliProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
}

// wait waits until the process exits, at most timeout, and returns its exit error.
func (p *cliProcess) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s; its stderr:\n%s", p.cmd, timeout, p.log.String())
		return nil
	}
}

// TestFaultWorkerKilledMidJobIsTakenOverByAnotherOrganisation runs StatOffice's worker
// as a statledger process, SIGKILLs it as soon as it logs its claim of the approved
// query (while it fetches and evaluates), and has HospitalB's worker, another process
// and organisation, take the job over once the lease expires; the release is exact.
func TestFaultWorkerKilledMidJobIsTakenOverByAnotherOrganisation(t *testing.T) {
	watchScenario(t, "faults")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 3_000, 2_000)
	var ft flowTimes
	q := f.request(t, ctx, d.ds, countByRegion)
	q = f.approve(t, ctx, q, &ft)

	lease := strconv.Itoa(int(faultLease/time.Second)) + "s"
	var once sync.Once
	killed := make(chan string, 1) // the claim's log line
	w1 := f.startCLI(t, statOffice, func(p *cliProcess, line string) {
		if strings.Contains(line, `"msg":"job claimed"`) && strings.Contains(line, q.ID) {
			once.Do(func() {
				p.kill()
				killed <- line
			})
		}
	}, "worker", "run", "--lease", lease, "--poll", "1s", "--dataset", d.ds.ID)
	var killedAt time.Time
	var claimLine string
	select {
	case claimLine = <-killed:
		killedAt = time.Now()
	case <-time.After(time.Minute):
		t.Fatalf("StatOffice's worker did not claim query %s; its log:\n%s", q.ID, w1.log.String())
	}
	<-w1.done
	var claim struct {
		Time time.Time `json:"time"`
	}
	require.NoError(t, json.Unmarshal([]byte(claimLine), &claim), claimLine)
	w1Log := w1.log.String()
	require.NotContains(t, w1Log, `"msg":"result posted"`)
	stage := "fetching or evaluating its inputs"
	if strings.Contains(w1Log, `"msg":"query evaluated"`) {
		stage = "uploading or posting its result"
	}
	results, err := f.api[statOffice].ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Empty(t, results, "the worker was killed after its result reached the ledger; its log:\n%s", w1Log)
	job, err := f.api[statOffice].GetJob(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusLeased, job.Status)
	require.NotNil(t, job.Lease)
	require.Equal(t, mspID(statOffice), job.Lease.WorkerMSPID, "the dead worker's lease stays until it expires")
	deadLease := *job.Lease

	w2 := f.startCLI(t, hospitalB, nil, "worker", "run", "--lease", lease, "--poll", "1s", "--dataset", d.ds.ID)
	if _, err := f.awaitQuery(ctx, statOffice, q.ID, "computed by HospitalB's worker", hasStatus(ledger.StatusDecrypting)); err != nil {
		t.Fatalf("%v; HospitalB's worker log:\n%s", err, w2.log.String())
	}
	w2.stop()
	results, err = f.api[statOffice].ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, results, 1)
	r := results[0]
	require.Equal(t, mspID(hospitalB), r.WorkerMSPID)
	require.True(t, r.PostedAt.After(deadLease.ExpiresAt), "posted at %s, before the dead worker's lease expired at %s", r.PostedAt, deadLease.ExpiresAt)
	job, err = f.api[statOffice].GetJob(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusDone, job.Status)
	require.Equal(t, 2, job.Claims)

	f.finish(t, ctx, d.ds, q, d.recs, &ft)
	lost := f.lostSubmissions(t, ctx, d.subs, statOffice, regulator)
	audited := f.requireAudit(t, ctx, d.ds.ID)
	report(t, "faults", "worker killed mid-job",
		"another organisation's worker takes the job over after the lease expires; exact release; the audit passes",
		fmt.Sprintf("StatOffice's worker process SIGKILLed %d ms after it logged its claim, while %s; HospitalB's worker process posted %.1f s after the %s lease expired (2 claims); release exact",
			killedAt.Sub(claim.Time).Milliseconds(), stage, r.PostedAt.Sub(deadLease.ExpiresAt).Seconds(), faultLease)+"; "+audited, lost)
}

// errKilled is how crashingLedger's holder dies.
var errKilled = errors.New("the key holder was killed before posting its share")

// crashingLedger is a key holder's ledger whose process dies at the moment it would post
// its decryption share: the post never leaves. The share it was about to post goes to
// posting.
type crashingLedger struct {
	keyholder.Ledger
	posting chan ledger.ShareInput
}

func (l crashingLedger) PostDecryptionShare(_ context.Context, in ledger.ShareInput) (ledger.DecryptionShare, error) {
	l.posting <- in
	return ledger.DecryptionShare{}, errKilled
}

// TestFaultKeyHolderKilledAfterPersistingItsShareRepostsTheSameBytes has HospitalA's key
// holder persist its decryption share in its journal and die before posting it; the
// holder restarted as a statledger process re-posts the identical bytes, which the
// ledger records and both peers read back; the release is exact.
func TestFaultKeyHolderKilledAfterPersistingItsShareRepostsTheSameBytes(t *testing.T) {
	watchScenario(t, "faults")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 3_000, 2_000)
	var ft flowTimes
	q := f.request(t, ctx, d.ds, countByRegion)
	q = f.approve(t, ctx, q, &ft)
	f.compute(t, ctx, statOffice, d.ds, q, 0, &ft)
	holder := mspID(hospitalA)
	require.Contains(t, q.Decryptors, holder)
	_, err := f.awaitQuery(ctx, hospitalA, q.ID, "decrypting", hasStatus(ledger.StatusDecrypting))
	require.NoError(t, err)

	// The holder's journal is where `decrypt share` keeps it: beside its key share.
	journalDir := f.keys.shares[holder] + ".journal"
	journal, err := decrypt.NewDirJournal(journalDir)
	require.NoError(t, err)
	crash := crashingLedger{Ledger: f.api[hospitalA], posting: make(chan ledger.ShareInput, 1)}
	dying := &keyholder.Holder{MSPID: holder, Ledger: crash, Store: f.store, Journal: journal,
		Keys: holderKeys{Cache: f.keys.cache, mspID: holder, share: f.keys.shares[holder], prot: f.keys.prot}}
	_, err = dying.Share(ctx, q.ID)
	require.ErrorIs(t, err, errKilled)
	attempt := <-crash.posting
	entries, err := os.ReadDir(journalDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one persisted share")
	persistedPath := filepath.Join(journalDir, entries[0].Name())
	persisted, err := os.ReadFile(persistedPath)
	require.NoError(t, err)
	require.Equal(t, blobstore.Digest(persisted), attempt.Digest, "the share it was posting is the persisted one")
	shares, err := f.api[regulator].ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	require.Empty(t, shares, "nothing was posted")

	// Restarted: the statledger process re-posts from the journal.
	p := f.startCLI(t, hospitalA, nil, "-o", "json", "decrypt", "share", q.ID)
	require.NoError(t, p.wait(t, time.Minute), "decrypt share: %s", p.log.String())
	var rec ledger.DecryptionShare
	require.NoError(t, json.Unmarshal(p.out.Bytes(), &rec), p.out.String())
	require.Equal(t, attempt.Digest, rec.Digest, "the restarted holder posts the same bytes")
	again, err := os.ReadFile(persistedPath)
	require.NoError(t, err)
	require.Equal(t, persisted, again, "the journal is unchanged")
	entries, err = os.ReadDir(journalDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no second share")
	stored, err := f.store.Get(ctx, rec.Digest)
	require.NoError(t, err)
	require.Equal(t, persisted, stored)
	settle(t, ctx)
	for _, org := range []string{regulator, statOffice} {
		shares, err := f.api[org].ListDecryptionShares(ctx, q.ID)
		require.NoError(t, err)
		require.Len(t, shares, 1, "on %s's peer", org)
		require.Equal(t, holder, shares[0].KeyHolder)
		require.Equal(t, blobstore.Digest(persisted), shares[0].Digest, "on %s's peer", org)
	}

	f.finish(t, ctx, d.ds, q, d.recs, &ft)
	lost := f.lostSubmissions(t, ctx, d.subs, statOffice, regulator)
	audited := f.requireAudit(t, ctx, d.ds.ID)
	report(t, "faults", "key holder killed after persisting its share",
		"on restart it re-posts the same bytes; exact release; the audit passes",
		fmt.Sprintf("HospitalA's key holder persisted its share and died at its post (in-process crash point); restarted as a statledger process it posted share %s… = SHA-256 of the journal file, read back on 2 peers; release exact", rec.Digest[:12])+"; "+audited, lost)
}

// burstAttempt is one submission of a burst: what the provider sent and what it was told.
type burstAttempt struct {
	org, period string
	data        []byte
	n           int
	sub         ledger.Submission
	err         error
}

// burst has clientsPerOrg clients of each of orgs, each with its own connection to its
// organisation's peer, submit perClient real encrypted submissions of n synthetic
// records each to ds, one period each, all at the same time. progress, if not nil, is
// called after each acknowledgement with the number so far.
func (f *faultEnv) burst(t *testing.T, ctx context.Context, ds ledger.Dataset, orgs []string, clientsPerOrg, perClient, n int, progress func(acked int)) []*burstAttempt {
	t.Helper()
	for _, org := range orgs {
		_, err := f.await(ctx, org, "dataset "+ds.ID, func(ctx context.Context) (bool, error) {
			_, err := f.api[org].GetDataset(ctx, ds.ID)
			return err == nil, notFound(err)
		})
		require.NoError(t, err)
	}
	var attempts []*burstAttempt
	var clients [][]*burstAttempt
	for oi, org := range orgs {
		for c := range clientsPerOrg {
			var mine []*burstAttempt
			for i := range perClient {
				seed := uint64(1000*oi + 100*c + i)
				a := &burstAttempt{org: org, period: fmt.Sprintf("2026-c%02d-%03d", c, i), data: synthCSV(t, org, seed, n), n: n}
				mine = append(mine, a)
				attempts = append(attempts, a)
			}
			clients = append(clients, mine)
		}
	}
	var acked atomic.Int64
	var wg sync.WaitGroup
	for _, mine := range clients {
		api := connect(t, mine[0].org, fabric.WithRetry(faultRetry))
		p := submit.Provider{Ledger: api, Store: f.store, Keys: f.keys.cache}
		wg.Go(func() {
			for _, a := range mine {
				a.sub, _, a.err = p.Submit(ctx, submit.Request{DatasetID: ds.ID, Period: a.period, Records: bytes.NewReader(a.data), Format: records.FormatCSV})
				if a.err == nil {
					k := acked.Add(1)
					if progress != nil {
						progress(int(k))
					}
				}
			}
		})
	}
	wg.Wait()
	return attempts
}

// acknowledged returns the submissions of the attempts that were acknowledged.
func acknowledged(attempts []*burstAttempt) []ledger.Submission {
	var out []ledger.Submission
	for _, a := range attempts {
		if a.err == nil {
			out = append(out, a.sub)
		}
	}
	return out
}

// queryBurst runs a count by region over every period of ds through the whole flow and
// checks it against the records of the submissions the query froze: each is one of
// the attempts (acknowledged or not), and every acknowledged one is among them.
func (f *faultEnv) queryBurst(t *testing.T, ctx context.Context, ds ledger.Dataset, attempts []*burstAttempt) {
	t.Helper()
	var ft flowTimes
	q := f.request(t, ctx, ds, countByRegion)
	q = f.approve(t, ctx, q, &ft)
	f.compute(t, ctx, statOffice, ds, q, 0, &ft)
	byKey := map[string]*burstAttempt{}
	for _, a := range attempts {
		byKey[mspID(a.org)+"/"+a.period] = a
	}
	var recs []flowRecord
	frozen := map[string]bool{}
	for _, id := range q.SubmissionIDs {
		s, err := f.api[statOffice].GetSubmission(ctx, id)
		require.NoError(t, err)
		a, ok := byKey[s.Provider+"/"+s.Period]
		require.True(t, ok, "frozen submission %s is not one of the burst's", id)
		frozen[s.Provider+"/"+s.Period] = true
		recs = append(recs, parseAdmissions(t, ds.Schema, a.data)...)
	}
	for _, s := range acknowledged(attempts) {
		require.True(t, frozen[s.Provider+"/"+s.Period], "acknowledged submission %s is not in the query", s.ID)
	}
	f.finish(t, ctx, ds, q, recs, &ft)
}

// burstPolicy lets one query combine every submission of a burst of total.
func burstPolicy(total int) func(*policies.Policy) {
	return func(p *policies.Policy) {
		p.MaxSubmissions = total
		p.MaxRecordsPerSubmission = 1_000
	}
}

// TestFaultMemberPeerKilledDuringASubmissionBurst has both hospitals submit a burst
// through their own peers while HospitalB's peer is SIGKILLed and restarted: every
// acknowledged submission is on the ledger afterwards, read through the restarted peer
// (which caught up) and two others, and a query over all of them is exact.
func TestFaultMemberPeerKilledDuringASubmissionBurst(t *testing.T) {
	watchScenario(t, "faults")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	const clientsPerOrg = 3
	perClient := 4 * faultScale(t)
	total := 2 * clientsPerOrg * perClient
	ds := f.dataset(t, ctx, "policy-exact.yaml", burstPolicy(total))

	peer := testnetwork.PeerNode(hospitalB)
	var once sync.Once
	var down, up time.Time
	var restartErr error
	restarted := make(chan struct{})
	t.Cleanup(func() { _ = env.Net.StartNode(context.Background(), peer) })
	attempts := f.burst(t, ctx, ds, []string{hospitalA, hospitalB}, clientsPerOrg, perClient, 100, func(acked int) {
		if acked < total/3 {
			return
		}
		once.Do(func() {
			down = time.Now()
			if restartErr = env.Net.KillNode(peer); restartErr != nil {
				close(restarted)
				return
			}
			go func() {
				defer close(restarted)
				time.Sleep(2 * time.Second)
				restartErr = env.Net.StartNode(ctx, peer)
				up = time.Now()
			}()
		})
	})
	<-restarted
	require.NoError(t, restartErr)
	require.False(t, down.IsZero(), "the peer was killed during the burst")
	acked := acknowledged(attempts)
	for _, a := range attempts {
		if a.err != nil {
			t.Logf("e2e: not acknowledged: %s period %s: %v", a.org, a.period, a.err)
		}
	}
	lost := f.lostSubmissions(t, ctx, acked, hospitalB, statOffice, regulator)
	f.queryBurst(t, ctx, ds, attempts)
	audited := f.requireAudit(t, ctx, ds.ID)
	report(t, "faults", "member peer killed during a submission burst",
		"every acknowledged submission on the ledger after restart, on that peer too; exact query; the audit passes",
		fmt.Sprintf("%d of %d submissions by %d clients acknowledged; peer-HospitalB SIGKILLed after %d, back %.1f s later; all on HospitalB's, StatOffice's and Regulator's peers; query over all exact",
			len(acked), total, 2*clientsPerOrg, total/3, up.Sub(down).Seconds())+"; "+audited, lost)
}

// TestFaultTwentyProvidersSubmitConcurrently has 20 provider clients (ten of HospitalA,
// ten of HospitalB, each its own connection) submit real encrypted data at the same
// time, each to periods of its own: every submission is acknowledged and on the ledger,
// and a query over all of them is exact.
func TestFaultTwentyProvidersSubmitConcurrently(t *testing.T) {
	watchScenario(t, "faults")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	const clientsPerOrg = 10
	perClient := faultScale(t)
	total := 2 * clientsPerOrg * perClient
	ds := f.dataset(t, ctx, "policy-exact.yaml", burstPolicy(total))
	t0 := time.Now()
	attempts := f.burst(t, ctx, ds, []string{hospitalA, hospitalB}, clientsPerOrg, perClient, 100, nil)
	took := time.Since(t0)
	for _, a := range attempts {
		require.NoError(t, a.err, "submission of %s for %s", a.org, a.period)
	}
	acked := acknowledged(attempts)
	lost := f.lostSubmissions(t, ctx, acked, statOffice, regulator)
	f.queryBurst(t, ctx, ds, attempts)
	audited := f.requireAudit(t, ctx, ds.ID)
	report(t, "faults", "20 providers submitting concurrently",
		"all acknowledged, all on the ledger; exact query; the audit passes",
		fmt.Sprintf("%d of %d acknowledged in %.1f s (%.1f/s); all on StatOffice's and Regulator's peers; query over all exact",
			len(acked), total, took.Seconds(), float64(len(acked))/took.Seconds())+"; "+audited, lost)
}

// ordererFault breaks the ordering service mid-query and returns what it did, and a
// function that undoes it (idempotent) once the query completed.
type ordererFault func(t *testing.T, ctx context.Context) (what string, undo func() string)

// queryThroughOrdererFault approves a query, breaks the ordering service with fault,
// and has the query complete: the worker's claim and result, the shares and the release
// all go through the ordering service while it recovers.
func queryThroughOrdererFault(t *testing.T, name, expected string, fault ordererFault) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 2_000, 1_000)
	var ft flowTimes
	q := f.request(t, ctx, d.ds, countByRegion)
	q = f.approve(t, ctx, q, &ft)

	t0 := time.Now()
	what, undo := fault(t, ctx)
	t.Cleanup(func() { undo() })
	t.Cleanup(func() {
		if t.Failed() { // the nodes' last words, for the record
			for _, o := range env.Net.Layout().Orderers {
				t.Logf("%s's log ends:\n%s", o.Name, logTail(env.Net.LogFile(o.Name), 40))
			}
			t.Logf("peer-StatOffice's log ends:\n%s", logTail(env.Net.LogFile(testnetwork.PeerNode(statOffice)), 60))
		}
	})
	f.compute(t, ctx, statOffice, d.ds, q, 0, &ft)
	f.finish(t, ctx, d.ds, q, d.recs, &ft)
	took := time.Since(t0)
	after := undo()
	require.NoError(t, waitRaftLeader(ctx))
	lost := f.lostSubmissions(t, ctx, d.subs, statOffice, regulator)
	audited := f.requireAudit(t, ctx, d.ds.ID)
	report(t, "faults", name, expected,
		fmt.Sprintf("%s; the query completed %.1f s after the fault, release exact%s", what, took.Seconds(), after)+"; "+audited, lost)
}

// logTail returns the last n lines of a log file.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitRaftLeader waits until an orderer reports itself Raft leader, at most 30 s.
func waitRaftLeader(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if leader, err := env.Net.RaftLeader(ctx); err != nil || leader != "" {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no Raft leader: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// restartLater stops an orderer (kill: SIGKILL; otherwise SIGTERM) and starts it again
// after pause, in the background. undo waits for the restart and says how long the
// orderer was down.
func restartLater(t *testing.T, ctx context.Context, name string, kill bool, pause time.Duration) (undo func() string) {
	t.Helper()
	down := time.Now()
	if kill {
		require.NoError(t, env.Net.KillNode(name))
	} else {
		require.NoError(t, env.Net.StopNode(name))
	}
	restarted := make(chan error, 1)
	var up time.Time
	go func() {
		time.Sleep(pause)
		err := env.Net.StartNode(context.Background(), name)
		up = time.Now()
		restarted <- err
	}()
	var once sync.Once
	var msg string
	return func() string {
		once.Do(func() {
			if err := <-restarted; err != nil {
				t.Errorf("restart %s: %v", name, err)
			}
			msg = fmt.Sprintf("; %s back after %.1f s", name, up.Sub(down).Seconds())
		})
		return msg
	}
}

// TestFaultOrdererRestartedMidQuery restarts orderer0 (SIGTERM, start 2 s later) between
// a query's approval and its computation: the query completes.
func TestFaultOrdererRestartedMidQuery(t *testing.T) {
	watchScenario(t, "faults")
	queryThroughOrdererFault(t, "orderer restarted mid-query", "the query completes; exact release; the audit passes",
		func(t *testing.T, ctx context.Context) (string, func() string) {
			name := env.Net.Layout().Orderers[0].Name
			leader, err := env.Net.RaftLeader(ctx)
			require.NoError(t, err)
			role := "the only orderer"
			if n := len(env.Net.Layout().Orderers); n > 1 {
				role = fmt.Sprintf("one of %d, the Raft leader: %t", n, leader == name)
			}
			return fmt.Sprintf("%s (%s) stopped after the approval", name, role), restartLater(t, ctx, name, false, 2*time.Second)
		})
}

// TestFaultRaftLeaderKilledMidQuery SIGKILLs the Raft leader between a query's approval
// and its computation: with three orderers the others elect a new leader and the query
// completes before the killed one is restarted; with one orderer there is no other
// leader to elect, and the single orderer is killed and restarted instead.
func TestFaultRaftLeaderKilledMidQuery(t *testing.T) {
	watchScenario(t, "faults")
	queryThroughOrdererFault(t, "Raft leader killed mid-query", "the query completes; exact release; the audit passes",
		func(t *testing.T, ctx context.Context) (string, func() string) {
			require.NoError(t, waitRaftLeader(ctx))
			leader, err := env.Net.RaftLeader(ctx)
			require.NoError(t, err)
			orderers := len(env.Net.Layout().Orderers)
			if orderers == 1 {
				return fmt.Sprintf("1 orderer: the single orderer %s SIGKILLed after the approval (restarted 2 s later)", leader),
					restartLater(t, ctx, leader, true, 2*time.Second)
			}
			require.NoError(t, env.Net.KillNode(leader))
			down := time.Now()
			var once sync.Once
			var msg string
			return fmt.Sprintf("%d orderers: the leader %s SIGKILLed after the approval", orderers, leader), func() string {
				once.Do(func() {
					next, err := env.Net.RaftLeader(context.Background())
					if err != nil || next == "" || next == leader {
						t.Errorf("after the leader %s was killed the leader is %q (%v)", leader, next, err)
					}
					if err := env.Net.StartNode(context.Background(), leader); err != nil {
						t.Errorf("restart %s: %v", leader, err)
					}
					msg = fmt.Sprintf("; %s led meanwhile; %s restarted %.1f s after the kill", next, leader, time.Since(down).Seconds())
				})
				return msg
			}
		})
}

// makeUnreadable makes the directory unreadable for the processes of the test's user:
// chmod 000, or, where that does not stop the user (root), by moving it away. It returns
// how, and a function that brings the directory back (idempotent).
func makeUnreadable(t *testing.T, dir string) (how string, restore func()) {
	t.Helper()
	info, err := os.Stat(dir)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0))
	var once sync.Once
	if _, err := os.ReadDir(dir); err != nil {
		restore = func() { once.Do(func() { require.NoError(t, os.Chmod(dir, info.Mode().Perm())) }) }
		t.Cleanup(restore)
		return "chmod 000", restore
	}
	require.NoError(t, os.Chmod(dir, info.Mode().Perm()))
	away := dir + ".away"
	require.NoError(t, os.Rename(dir, away))
	restore = func() { once.Do(func() { require.NoError(t, os.Rename(away, dir)) }) }
	t.Cleanup(restore)
	return "moved away (chmod 000 does not stop root)", restore
}

// TestFaultBlobStoreUnreadableForAWhile runs StatOffice's worker as a statledger daemon;
// after it computed a first query, its blob store becomes unreadable and a second query
// is approved: the worker logs clear errors that name the input it cannot fetch, tries
// again with backoff, and completes the query once the store is back.
func TestFaultBlobStoreUnreadableForAWhile(t *testing.T) {
	watchScenario(t, "faults")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f := newFaultEnv(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 2_000, 1_000)
	lease := strconv.Itoa(int(faultLease/time.Second)) + "s"
	w := f.startCLI(t, statOffice, nil, "worker", "run", "--lease", lease, "--poll", "1s", "--dataset", d.ds.ID)

	// The first query warms the worker up (it holds the rotation keys from now on).
	var ft flowTimes
	first := f.request(t, ctx, d.ds, countByRegion)
	first = f.approve(t, ctx, first, &ft)
	_, err := f.awaitQuery(ctx, statOffice, first.ID, "computed", hasStatus(ledger.StatusDecrypting))
	require.NoError(t, err, "the worker's log:\n%s", w.log.String())

	spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "sex"}}
	q := f.request(t, ctx, d.ds, spec)
	how, restore := makeUnreadable(t, filepath.Join(f.cli.dir, "blobs"))
	outage := time.Now()
	q = f.approve(t, ctx, q, &ft)
	fetchFailures := func() []string {
		var out []string
		for _, line := range strings.Split(w.log.String(), "\n") {
			if strings.Contains(line, `"msg":"job failed; nothing posted"`) && strings.Contains(line, `"query":"`+q.ID+`"`) && strings.Contains(line, `"stage":"fetch"`) {
				out = append(out, line)
			}
		}
		return out
	}
	if !waitFor(func() bool { return len(fetchFailures()) >= 2 }, time.Minute) {
		t.Fatalf("the worker did not fail and retry query %s; its log:\n%s", q.ID, w.log.String())
	}
	restore()
	back := time.Now()
	got, err := f.awaitQuery(ctx, statOffice, q.ID, "computed", hasStatus(ledger.StatusDecrypting))
	require.NoError(t, err, "the worker's log:\n%s", w.log.String())
	w.stop()
	failures := fetchFailures()
	require.GreaterOrEqual(t, len(failures), 2)
	for _, line := range failures {
		require.Regexp(t, `"reason":"fetch: fetch input [0-9a-f]{64}: `, line, "the error names the input")
		require.Contains(t, q.InputDigests, inputOf(line), "an input of the query")
		require.Regexp(t, `(blob not found|permission denied)`, line, "and why")
		require.Contains(t, line, `"retryIn":`)
	}
	results, err := f.api[statOffice].ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, results, 1)
	require.True(t, results[0].PostedAt.After(back), "posted at %s, before the store came back at %s", results[0].PostedAt, back)
	require.Equal(t, results[0].OutputDigest, got.OutputDigest)

	f.finish(t, ctx, d.ds, q, d.recs, &ft)
	lost := f.lostSubmissions(t, ctx, d.subs, statOffice, regulator)
	audited := f.requireAudit(t, ctx, d.ds.ID)
	report(t, "faults", "blob store unreadable for a while",
		"clear errors, retries, completion after it returns; exact release; the audit passes",
		fmt.Sprintf("blob directory %s for %.1f s: %d failed attempts logged as %q; result posted %.1f s after it returned; release exact",
			how, back.Sub(outage).Seconds(), len(failures), reasonOf(failures[0]), results[0].PostedAt.Sub(back).Seconds())+"; "+audited, lost)
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cond()
}

// inputOf returns the digest a worker's fetch failure names.
func inputOf(line string) string {
	_, rest, _ := strings.Cut(line, "fetch input ")
	return rest[:min(64, len(rest))]
}

// digestRE matches a SHA-256 digest in hex.
var digestRE = regexp.MustCompile(`[0-9a-f]{64}`)

// reasonOf returns a worker log line's reason with the digests shortened.
func reasonOf(line string) string {
	_, rest, _ := strings.Cut(line, `"reason":"`)
	reason, _, _ := strings.Cut(rest, `"`)
	reason, _, _ = strings.Cut(reason, `\n`) // the first input's error
	return digestRE.ReplaceAllStringFunc(reason, func(d string) string { return d[:8] + "…" })
}
