package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/policies"
	testnetwork "github.com/statledger/statledger/test-network"
)

// BenchConfig sets the ledger throughput benchmark's load.
type BenchConfig struct {
	Clients  int           // concurrent clients per load
	Duration time.Duration // length of one measurement
	Rounds   int           // measurements per load, interleaved; the median is reported
	// Loads names the loads to measure (BenchLoads' keys); empty means all of them. The
	// ratios need the baseline, "put".
	Loads []string
	// MaxOthers is the share of the machine's CPU that other programs may use during a
	// measurement (from /proc/stat: everything but idle time and the network's and the
	// benchmark's processes, so a virtual machine's steal time too). A measurement above
	// it is repeated, at most maxRepeats times; zero repeats none.
	MaxOthers float64
}

// maxRepeats bounds how often a disturbed measurement is repeated.
const maxRepeats = 2

// BenchLoads are the loads `fabnet bench` can measure, in the order it prints them.
var BenchLoads = []string{"put", "submit", "query"}

// load is one kind of transaction traffic. prepare runs before the measurements, once
// per client; the operation it returns submits txPerOp transactions.
type load struct {
	name     string
	baseline bool // the bare get+put the others are compared with
	txPerOp  int
	prepare  func(ctx context.Context, client int) (op func(ctx context.Context) error, err error)
	// steps times the steps of one operation (each transaction and each wait).
	steps *steps
}

// runBench measures committed transactions per second of the statledger contract's
// SubmitData and RequestQuery+ApproveQuery next to a bare put/get transaction (benchkv's
// Put reads the key it writes) on the running network, in interleaved rounds (each
// starting with a different load, each measurement on a settled network), and prints
// medians and ratios.
func runBench(ctx context.Context, cfg Config, bc BenchConfig, out io.Writer) error {
	if bc.Clients < 1 || bc.Rounds < 1 || bc.Duration <= 0 {
		return fmt.Errorf("bench needs at least one client, one round and a positive duration")
	}
	if bc.MaxOthers < 0 || bc.MaxOthers >= 1 {
		return fmt.Errorf("--max-others is a share of the CPU, at least 0 and below 1, not %g", bc.MaxOthers)
	}
	n, err := open(cfg)
	if err != nil {
		return err
	}
	if s, err := n.Status(); err != nil || !s.Up() {
		return fmt.Errorf("the network is not running; start it with `make network-up`")
	}
	fmt.Fprintln(out, "deploying the bare key-value chaincode (benchkv) for the baseline")
	if err := n.DeployBenchChaincode(ctx); err != nil {
		return err
	}
	b, err := newBench(ctx, n)
	if err != nil {
		return err
	}
	defer b.close()
	loads, err := b.selectLoads(bc.Loads)
	if err != nil {
		return err
	}
	ops := make([][]func(context.Context) error, len(loads))
	fmt.Fprintf(out, "preparing %d clients per load\n", bc.Clients)
	for i, l := range loads {
		ops[i] = make([]func(context.Context) error, bc.Clients)
		if err := parallel(bc.Clients, func(c int) error {
			var err error
			ops[i][c], err = l.prepare(ctx, c)
			return err
		}); err != nil {
			return fmt.Errorf("prepare %s: %w", l.name, err)
		}
	}
	if bc.Rounds%len(loads) != 0 {
		// Each round starts with the next load; in a whole number of rotations every load
		// runs first, second and last equally often.
		fmt.Fprintf(out, "note: %d rounds is not a multiple of %d loads; some loads run last in more rounds than others\n", bc.Rounds, len(loads))
	}
	meter, err := newCPUMeter(n.StateDir())
	if err != nil {
		return err
	}
	rates := make([][]float64, len(loads))
	use := make([]cpuUse, len(loads))
	kept := 0 // disturbed measurements kept after maxRepeats
	for r := range bc.Rounds {
		for k := range loads {
			// Each round starts with a different load, and each measurement waits until
			// the network has finished the work the previous one left behind (commits,
			// LevelDB compactions): otherwise a load that always follows a heavier one is
			// charged for part of it.
			i := (r + k) % len(loads)
			l := loads[i]
			rate, u, disturbed, err := measureOnce(ctx, meter, bc, r+1, l, ops[i], out)
			if err != nil {
				return err
			}
			if disturbed {
				kept++
			}
			use[i].add(u)
			rates[i] = append(rates[i], rate)
		}
	}
	if kept > 0 {
		fmt.Fprintf(out, "\nwarning: %d measurements were disturbed by other programs (more than %.1f%% of the CPU) after %d repeats; their rounds' ratios are unreliable\n",
			kept, 100*bc.MaxOthers, maxRepeats)
	}
	fmt.Fprintf(out, "\nledger throughput: %d clients, %d rounds of %s, medians (batch timeout %s)\n",
		bc.Clients, bc.Rounds, bc.Duration, testnetwork.DefaultBatchTimeout)
	// A load's ratio is the median of its per-round ratios to the baseline measured in the
	// same round, so that a slow spell of the machine as a whole shifts both sides of a
	// pair (a burst of other programs during one side is caught by MaxOthers).
	fmt.Fprintf(out, "%-36s %9s %6s  %s\n", "transaction", "tx/s", "ratio", "ratio to the bare get+put of each round")
	for i, l := range loads {
		if !l.baseline && !loads[0].baseline {
			fmt.Fprintf(out, "%-36s %9.1f %6s  (no baseline measured)\n", l.name, median(rates[i]), "-")
			continue
		}
		ratios := make([]float64, len(rates[i]))
		rs := make([]string, len(rates[i]))
		for r := range rates[i] {
			ratios[r] = rates[i][r] / rates[0][r]
			rs[r] = fmt.Sprintf("%.2f", ratios[r])
		}
		fmt.Fprintf(out, "%-36s %9.1f %6.2f  %s\n", l.name, median(rates[i]), median(ratios), strings.Join(rs, " "))
	}
	printCPU(out, loads, use)
	fmt.Fprintf(out, "\nmean time per step of one operation (all rounds)\n")
	for _, l := range loads {
		fmt.Fprintf(out, "  %-34s %s\n", l.name, l.steps)
	}
	return nil
}

// measureOnce measures load l in round r on a settled network and returns its committed
// transactions per second and CPU use. A measurement during which other programs took
// more than bc.MaxOthers of the CPU is repeated, at most maxRepeats times; disturbed
// reports that the one returned still was.
func measureOnce(ctx context.Context, meter *cpuMeter, bc BenchConfig, r int, l load, ops []func(context.Context) error, out io.Writer) (rate float64, use cpuUse, disturbed bool, err error) {
	for attempt := 0; ; attempt++ {
		if err := meter.settle(ctx); err != nil {
			return 0, use, false, err
		}
		before, err := meter.sample()
		if err != nil {
			return 0, use, false, err
		}
		tx, elapsed, err := measure(ctx, ops, l.txPerOp, bc.Duration)
		if err != nil {
			return 0, use, false, fmt.Errorf("%s, round %d: %w", l.name, r, err)
		}
		after, err := meter.sample()
		if err != nil {
			return 0, use, false, err
		}
		use = useBetween(before, after, tx)
		rate = float64(tx) / elapsed.Seconds()
		others := use.othersShare()
		fmt.Fprintf(out, "  round %d  %-34s %7.1f tx/s  (others %4.1f%%)\n", r, l.name, rate, 100*others)
		// Other programs (and, on a virtual machine, the host's other guests) take CPU
		// from the measured load alone: the round's ratio would be skewed.
		disturbed = bc.MaxOthers > 0 && others > bc.MaxOthers
		if !disturbed || attempt == maxRepeats {
			return rate, use, disturbed, nil
		}
		fmt.Fprintf(out, "  round %d  %-34s repeated: other programs used more than %.1f%% of the CPU\n", r, l.name, 100*bc.MaxOthers)
	}
}

// printCPU prints, per load, the CPU time per committed transaction of the benchmark
// client, the orderers, the peers and the chaincode servers over all rounds, what the
// rest of the machine used meanwhile, how busy the processors were, and the baseline's
// sum over the load's (the throughput ratio the load would reach on a machine kept busy
// by the benchmark alone, whatever latency and the rest of the machine do); then each
// process's share.
func printCPU(out io.Writer, loads []load, use []cpuUse) {
	fmt.Fprintf(out, "\nCPU ms per committed transaction (all rounds)\n")
	fmt.Fprintf(out, "%-36s %7s %7s %7s %9s %7s %7s %5s %9s\n", "transaction", "client", "orderer", "peers", "chaincode", "sum", "others", "busy", "cpu ratio")
	for i, l := range loads {
		u := use[i]
		client, orderers, peers, cc := u.groups()
		ours := u.ours()
		busy := 0.0
		if u.total > 0 {
			busy = 100 * float64(u.total-u.idle) / float64(u.total)
		}
		ratio := "-"
		if loads[0].baseline && ours > 0 && u.tx > 0 {
			ratio = fmt.Sprintf("%.2f", use[0].perTx(use[0].ours())/u.perTx(ours))
		}
		fmt.Fprintf(out, "%-36s %7.2f %7.2f %7.2f %9.2f %7.2f %7.2f %4.0f%% %9s\n", l.name,
			u.perTx(client), u.perTx(orderers), u.perTx(peers), u.perTx(cc), u.perTx(ours), u.perTx(u.total-u.idle-ours), busy, ratio)
	}
	for i, l := range loads {
		fmt.Fprintf(out, "  %s:", l.name)
		for _, name := range use[i].processNames() {
			fmt.Fprintf(out, " %s %.2f", name, use[i].perTx(use[i].procs[name]))
		}
		fmt.Fprintln(out)
	}
}

// measure runs every client's operation in a loop for d and returns the number of
// committed transactions and the time they took. Any failed operation fails the
// measurement.
func measure(ctx context.Context, ops []func(context.Context) error, txPerOp int, d time.Duration) (int64, time.Duration, error) {
	var done atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	err := parallel(len(ops), func(c int) error {
		for time.Now().Before(deadline) {
			if err := ops[c](ctx); err != nil {
				return err
			}
			done.Add(int64(txPerOp))
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return done.Load(), time.Since(start), nil
}

// bench holds one connection per organisation the loads use.
type bench struct {
	stat, hospA, hospB *ledgerapi.API
	// watchA and watchB count the query events each hospital's own peer delivers.
	watchA, watchB *queryWatch
	// kv holds one connection to the bare chaincode per organisation in benchOrgs.
	kv            []*fabric.Client
	closers       []*fabric.Client
	keyID         string
	submitDataset string
	seq           atomic.Int64
}

func newBench(ctx context.Context, n *testnetwork.Network) (*bench, error) {
	b := &bench{}
	l := n.Layout()
	connect := func(org, chaincode string) (*fabric.Client, error) {
		id, err := n.User(org)
		if err != nil {
			return nil, err
		}
		c, err := fabric.Connect(id, fabric.Target{Channel: l.ChannelID, Chaincode: chaincode})
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, c)
		return c, nil
	}
	for _, x := range []struct {
		org   string
		api   **ledgerapi.API
		watch **queryWatch
	}{{"StatOffice", &b.stat, nil}, {"HospitalA", &b.hospA, &b.watchA}, {"HospitalB", &b.hospB, &b.watchB}} {
		c, err := connect(x.org, l.ChaincodeName)
		if err != nil {
			b.close()
			return nil, err
		}
		*x.api = ledgerapi.New(c)
		if x.watch != nil {
			if *x.watch, err = watchQueries(ctx, c); err != nil {
				b.close()
				return nil, err
			}
		}
	}
	for _, org := range benchOrgs {
		c, err := connect(org, testnetwork.BenchChaincode)
		if err != nil {
			b.close()
			return nil, err
		}
		b.kv = append(b.kv, c)
	}
	return b, nil
}

func (b *bench) close() {
	for _, c := range b.closers {
		_ = c.Close()
	}
}

// selectLoads returns the named loads (all when names is empty) in BenchLoads' order, the
// baseline first.
func (b *bench) selectLoads(names []string) ([]load, error) {
	all := map[string]func() load{"put": b.putLoad, "submit": b.submitLoad, "query": b.queryLoad}
	want := map[string]bool{}
	for _, n := range names {
		if all[n] == nil {
			return nil, fmt.Errorf("unknown load %q; the loads are %s", n, strings.Join(BenchLoads, ", "))
		}
		want[n] = true
	}
	var loads []load
	for _, n := range BenchLoads {
		if len(want) == 0 || want[n] {
			loads = append(loads, all[n]())
		}
	}
	return loads, nil
}

// benchOrgs are the organisations that submit the statledger loads (StatOffice requests
// queries, the hospitals submit data and approve), and the baseline's clients submit as
// each in turn. What a transaction costs Fabric depends on who submits it: every
// proposal, and every commit-status request, is checked against the channel's Writers
// or Readers policy, an ImplicitMeta policy that verifies the caller's signature once
// per organisation's sub-policy until one matches, in an order each peer fixes when it
// loads the channel configuration. A baseline submitted by one organisation alone would
// be cheaper or dearer than the loads by chance.
var benchOrgs = []string{"StatOffice", "HospitalA", "HospitalB"}

func (b *bench) putLoad() load {
	value := make([]byte, 256)
	_, _ = rand.Read(value)
	v := hex.EncodeToString(value) // 512 bytes, about a SubmitData argument's size
	st := newSteps("Put")
	return load{name: "bare get+put (benchkv)", baseline: true, txPerOp: 1, steps: st, prepare: func(_ context.Context, client int) (func(context.Context) error, error) {
		kv := b.kv[client%len(b.kv)]
		return func(ctx context.Context) error {
			return st.time(0, func() error {
				_, err := kv.Submit(ctx, "Put", b.unique("k"), v)
				return err
			})
		}, nil
	}}
}

func (b *bench) submitLoad() load {
	var once sync.Once
	var setupErr error
	st := newSteps("SubmitData")
	return load{name: "SubmitData", txPerOp: 1, steps: st, prepare: func(ctx context.Context, client int) (func(context.Context) error, error) {
		once.Do(func() {
			var ds ledger.Dataset
			if ds, setupErr = b.dataset(ctx); setupErr == nil {
				b.submitDataset = ds.ID
			}
		})
		if setupErr != nil {
			return nil, setupErr
		}
		provider := []*ledgerapi.API{b.hospA, b.hospB}[client%2] // the providers in turn
		return func(ctx context.Context) error {
			return st.time(0, func() error {
				_, err := provider.SubmitData(ctx, b.submission(b.submitDataset, b.unique("p")))
				return err
			})
		}, nil
	}}
}

// queryLoad gives each client its own dataset, so that the budget debits of different
// clients do not conflict (one budget key per dataset is the contract's design).
func (b *bench) queryLoad() load {
	st := newSteps("RequestQuery", "event at HospitalA", "ApproveQuery A", "event at HospitalB", "ApproveQuery B")
	return load{name: "RequestQuery + ApproveQuery x2", txPerOp: 3, steps: st, prepare: func(ctx context.Context, client int) (func(context.Context) error, error) {
		ds, err := b.dataset(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range []*ledgerapi.API{b.hospA, b.hospB} {
			if _, err := p.SubmitData(ctx, b.submission(ds.ID, "bench")); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context) error {
			pk := randomDigest() // an analyst key that is never uploaded
			var q ledger.Query
			err := st.time(0, func() (err error) {
				q, err = b.stat.RequestQuery(ctx, ledger.QueryInput{
					IdempotencyKey: b.unique("idem"), DatasetID: ds.ID, Period: "bench",
					Spec:             policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: ds.Policy.EpsilonPerQuery},
					AnalystKeyDigest: pk, AnalystKeyURI: "file:///blobs/" + pk,
					// The first t = 2 of the benchmark key's participants, in consortium order.
					Decryptors: []string{"StatOfficeMSP", "HospitalAMSP"},
				})
				return err
			})
			if err != nil {
				return err
			}
			if err := st.time(1, func() error { return b.watchA.wait(ctx, q.ID, 1) }); err != nil {
				return err
			}
			if err := st.time(2, func() (err error) { _, err = b.hospA.ApproveQuery(ctx, q.ID, "bench"); return err }); err != nil {
				return err
			}
			if err := st.time(3, func() error { return b.watchB.wait(ctx, q.ID, 2) }); err != nil {
				return err
			}
			return st.time(4, func() error {
				q, err := b.hospB.ApproveQuery(ctx, q.ID, "bench")
				if err == nil && q.Status != ledger.StatusApproved {
					err = fmt.Errorf("query %s is %s after two approvals", q.ID, q.Status)
				}
				return err
			})
		}, nil
	}}
}

// steps accumulates the time the named steps of a load's operations take. It is safe for
// concurrent use.
type steps struct {
	names []string
	mu    sync.Mutex
	total []time.Duration
	max   []time.Duration
	count []int
}

func newSteps(names ...string) *steps {
	n := len(names)
	return &steps{names: names, total: make([]time.Duration, n), max: make([]time.Duration, n), count: make([]int, n)}
}

// time runs step i and records how long it took, whether or not it failed.
func (s *steps) time(i int, step func() error) error {
	start := time.Now()
	err := step()
	d := time.Since(start)
	s.mu.Lock()
	s.total[i] += d
	s.max[i] = max(s.max[i], d)
	s.count[i]++
	s.mu.Unlock()
	return err
}

// String lists each step's mean and maximum time in milliseconds.
func (s *steps) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for i, name := range s.names {
		mean := time.Duration(0)
		if s.count[i] > 0 {
			mean = s.total[i] / time.Duration(s.count[i])
		}
		out = append(out, fmt.Sprintf("%s %.0f ms (max %.0f)", name, ms(mean), ms(s.max[i])))
	}
	return strings.Join(out, " | ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// queryWatch counts the query events one organisation's peer has delivered, per query,
// so that an approver acts as soon as its own peer has committed the previous step, as an
// event-driven approver does (polling the peer instead would load it with evaluations).
type queryWatch struct {
	mu     sync.Mutex
	events map[string]int
	change chan struct{} // closed and replaced at every event
}

func watchQueries(ctx context.Context, c *fabric.Client) (*queryWatch, error) {
	events, _, err := c.Events(ctx, "")
	if err != nil {
		return nil, err
	}
	w := &queryWatch{events: map[string]int{}, change: make(chan struct{})}
	go func() {
		for e := range events {
			var ev ledger.Event
			if json.Unmarshal(e.Payload, &ev) != nil || ev.Record != ledger.RecordQuery {
				continue
			}
			w.mu.Lock()
			w.events[ev.ID]++
			close(w.change)
			w.change = make(chan struct{})
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// wait returns once the peer has delivered n events of the query (its request is the
// first, each approval one more), or an error after 30 s.
func (w *queryWatch) wait(ctx context.Context, queryID string, n int) error {
	timeout := time.After(30 * time.Second)
	for {
		w.mu.Lock()
		seen, change := w.events[queryID], w.change
		w.mu.Unlock()
		if seen >= n {
			return nil
		}
		select {
		case <-change:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return fmt.Errorf("query %s: %d of %d events reached the approver's peer", queryID, seen, n)
		}
	}
}

// dataset registers a healthcare dataset whose budget outlasts any benchmark, and waits
// until the providers' peers know it (they submit through their own peers).
func (b *bench) dataset(ctx context.Context) (ledger.Dataset, error) {
	ds, err := b.register(ctx)
	if err != nil {
		return ds, err
	}
	for _, p := range []*ledgerapi.API{b.hospA, b.hospB} {
		if err := poll(ctx, func() (bool, error) {
			_, err := p.GetDataset(ctx, ds.ID)
			if errors.Is(err, ledger.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}); err != nil {
			return ds, fmt.Errorf("dataset %s never reached a provider's peer: %w", ds.ID, err)
		}
	}
	return ds, nil
}

// poll calls ready every 10 ms until it reports true or an error, for at most 30 s.
func poll(ctx context.Context, ready func() (bool, error)) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := ready()
		if ok || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// register registers the benchmark's dataset as StatOffice.
func (b *bench) register(ctx context.Context) (ledger.Dataset, error) {
	schema, policy, err := healthcareFiles()
	if err != nil {
		return ledger.Dataset{}, err
	}
	policy.EpsilonPerQuery = policies.Epsilon(1_000) // 0.001
	policy.EpsilonTotal = policies.Epsilon(1_000_000_000)
	if b.keyID == "" {
		key, err := b.stat.RecordCollectiveKey(ctx, ledger.CollectiveKeyInput{
			ID: b.unique("key"), ParamSetID: "N14T58", PublicKeyDigest: randomDigest(),
			TranscriptDigests: []string{randomDigest()},
			Participants:      []string{"StatOfficeMSP", "HospitalAMSP", "HospitalBMSP"}, Threshold: 2,
		})
		if err != nil {
			return ledger.Dataset{}, err
		}
		b.keyID = key.ID
	}
	return b.stat.RegisterDataset(ctx, ledger.DatasetInput{
		ID: b.unique("bench"), Title: "benchmark", KeyID: b.keyID, ParamSetID: "N14T58", Schema: schema, Policy: policy,
	})
}

func (b *bench) submission(datasetID, period string) ledger.SubmissionInput {
	d := randomDigest()
	return ledger.SubmissionInput{DatasetID: datasetID, Period: period, ParamSetID: "N14T58", Records: 1000,
		Ciphertexts: []ledger.Ciphertext{{Digest: d, Size: 786_432, URI: "file:///blobs/" + d}}}
}

// unique returns IDs that differ across clients, rounds and runs.
func (b *bench) unique(prefix string) string {
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	return fmt.Sprintf("%s-%s-%d", prefix, hex.EncodeToString(r), b.seq.Add(1))
}

func healthcareFiles() (policies.Schema, policies.Policy, error) {
	dir := filepath.Join("policies", "healthcare")
	sdata, err := os.ReadFile(filepath.Join(dir, "schema.yaml"))
	if err != nil {
		return policies.Schema{}, policies.Policy{}, fmt.Errorf("read the healthcare schema (run from the repository root): %w", err)
	}
	schema, err := policies.ParseSchema(sdata)
	if err != nil {
		return policies.Schema{}, policies.Policy{}, err
	}
	pdata, err := os.ReadFile(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		return policies.Schema{}, policies.Policy{}, fmt.Errorf("read the healthcare policy: %w", err)
	}
	policy, err := policies.ParsePolicy(pdata)
	return schema, policy, err
}

func randomDigest() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return ledger.Digest(b)
}

// parallel runs fn(0..n-1) concurrently and joins their errors.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
