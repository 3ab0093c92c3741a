package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/dashboard"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/policies"
)

// chromiumPath is Debian's chromium, which .ci/run installs. The browser test fails
// without it rather than skipping: the dashboard would go untested.
const chromiumPath = "/usr/bin/chromium"

// xssTitle is a dataset title that would run script if the page ever parsed ledger
// text as HTML.
const xssTitle = `Probe <img src=x id="xss-probe" onerror="document.title='owned'"> <b>bold?</b>`

// browser starts a headless Chromium with a fresh profile, closed when the test ends.
// Its first Run must not carry a timeout (chromedp stops the browser with it).
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Fatalf("headless Chromium is missing at %s: install Debian's chromium package (apt-get install -y chromium); .ci/run installs it", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// This machine's network is closed: keep Chromium from trying to reach out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(1440, 1000)), "start headless Chromium")
	return bctx
}

// pageStage is one stage of the timeline as the browser shows it.
type pageStage struct {
	Stage  string   `json:"stage"`
	State  string   `json:"state"`
	TxIDs  []string `json:"txIDs"`
	Text   string   `json:"text"`
	Checks []string `json:"checks"`
}

// pageCheck is one row of the audit checks as the browser shows it.
type pageCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

const readTimeline = `Array.from(document.querySelectorAll('#detail li.stage')).map(li => ({
  stage: li.dataset.stage, state: li.dataset.state, text: li.innerText,
  txIDs: Array.from(li.querySelectorAll('li.step')).map(s => s.dataset.txid),
  checks: Array.from(li.querySelectorAll('.stage-checks .badge')).map(b => b.textContent + '=' + b.dataset.status)}))`

const readChecks = `Array.from(document.querySelectorAll('#detail tr.check-row')).map(tr => ({
  name: tr.dataset.check, status: tr.dataset.status, text: tr.innerText}))`

// TestDashboardShowsAReleasedQueryTrailAndNewQueriesLive runs a query through the whole
// flow on the real network, serves the regulator's dashboard in process over the
// regulator's own peer, with the real audit, and loads it in headless Chromium: the
// released query's timeline shows the request, the approvals, the worker result, the
// decryption shares and the release with the transaction IDs the ledger holds, and every
// audit check passes. Then the analyst requests a new query and the page shows it
// without a reload (server-sent events). Ledger text with markup is shown as text. A
// screenshot goes to the test's artifact directory (go test -artifacts keeps it).
func TestDashboardShowsAReleasedQueryTrailAndNewQueriesLive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bctx := browser(t, ctx)

	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy.yaml", nil, 2_000, 1_000)
	spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: d.ds.Policy.EpsilonPerQuery}
	_, rel, q, _ := f.run(t, ctx, d.ds, spec)
	probe, err := f.api[statOffice].RegisterDataset(ctx, ledger.DatasetInput{
		ID: unique("probe"), Title: xssTitle, KeyID: f.keys.id, ParamSetID: f.keys.set.Name(),
		Schema: shippedSchema(t), Policy: d.ds.Policy,
	})
	require.NoError(t, err)

	// The regulator's view: its own peer, the shared blob store, the collective keys,
	// and every audit compares the blocks of the regulator's and three other peers.
	reg := connectRaw(t, regulator)
	api := ledgerapi.New(reg)
	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA, hospitalB))
	auditor, err := audit.New(api, f.store, f.keys.cache, audit.WithChainRequired(),
		audit.WithChainFrom(func(ctx context.Context) (audit.Chain, error) { return chain.Compare(ctx, sources) }))
	require.NoError(t, err)
	_, err = f.awaitQuery(ctx, regulator, q.ID, "released", hasStatus(ledger.StatusReleased))
	require.NoError(t, err)
	_, err = f.await(ctx, regulator, "dataset "+probe.ID, func(ctx context.Context) (bool, error) {
		_, err := api.GetDataset(ctx, probe.ID)
		return err == nil, notFound(err)
	})
	require.NoError(t, err)
	srv, err := dashboard.New(dashboard.Config{Debounce: 100 * time.Millisecond}, api, auditor, reg)
	require.NoError(t, err)
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(runCtx) }()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		stopRun()
		require.NoError(t, <-ran)
		hs.Close()
	})

	// On a failure, the page as it was goes to the log and the artifact directory (a
	// deferred call: the browser ends with ctx, before cleanups run).
	defer func() {
		if !t.Failed() {
			return
		}
		state, err := chromedp.Run(bctx, chromedp.Evaluate[string](`location.href + ' detail=' + (document.querySelector('#detail').dataset.queryId || '') + ' ' + document.body.innerText.slice(0, 3000)`))
		t.Logf("e2e: the page when the test failed (%v): %s", err, state)
		if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
			shot := filepath.Join(t.ArtifactDir(), "dashboard-failure.png")
			if os.WriteFile(shot, png, 0o644) == nil {
				t.Logf("e2e: screenshot of the failure: %s", shot)
			}
		}
	}()

	// The released query's timeline, against the records the regulator's peer holds.
	t0 := time.Now()
	page, cancelPage := context.WithTimeout(bctx, 3*time.Minute)
	defer cancelPage()
	detail := fmt.Sprintf(`#detail[data-query-id=%q]`, q.ID)
	require.NoError(t, chromedp.Do(page,
		chromedp.Navigate(hs.URL+"/#query="+q.ID),
		chromedp.WaitVisible(chromedp.CSS(detail+` li.stage[data-stage="release"][data-state="done"] li.step`)),
		// The first audit re-executes the computation: wait for its verdict.
		chromedp.WaitVisible(chromedp.CSS(detail+` tr.check-row[data-check="release"]`)),
	), "the released query's timeline and checks")
	t.Logf("e2e: dashboard showed the released query's timeline and audit %.1f s after loading", time.Since(t0).Seconds())

	onLedger, err := api.GetQuery(ctx, q.ID)
	require.NoError(t, err)
	results, err := api.ListResults(ctx, q.ID)
	require.NoError(t, err)
	shares, err := api.ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	want := map[string][]string{
		dashboard.StageRequest:   {onLedger.TxID},
		dashboard.StageApprovals: txIDs(onLedger.Approvals, func(a ledger.Approval) string { return a.TxID }),
		dashboard.StageResults:   txIDs(results, func(r ledger.Result) string { return r.TxID }),
		dashboard.StageShares:    txIDs(shares, func(s ledger.DecryptionShare) string { return s.TxID }),
		dashboard.StageRelease:   {rel.TxID},
	}
	require.Len(t, want[dashboard.StageApprovals], 2)
	require.Len(t, want[dashboard.StageShares], len(q.Decryptors))
	stages, err := chromedp.Run(page, chromedp.Evaluate[[]pageStage](readTimeline))
	require.NoError(t, err)
	require.Len(t, stages, 5)
	for i, name := range []string{dashboard.StageRequest, dashboard.StageApprovals, dashboard.StageResults, dashboard.StageShares, dashboard.StageRelease} {
		st := stages[i]
		require.Equal(t, name, st.Stage)
		require.Equal(t, dashboard.StateDone, st.State, name)
		require.ElementsMatch(t, want[name], st.TxIDs, "the %s stage shows the ledger's transactions", name)
		require.NotEmpty(t, st.Checks, name)
		for _, c := range st.Checks {
			require.True(t, strings.HasSuffix(c, "=pass"), "stage %s: check %s", name, c)
		}
	}
	require.Contains(t, stages[0].Text, mspID(statOffice))
	require.Contains(t, stages[1].Text, mspID(hospitalA))
	require.Contains(t, stages[1].Text, mspID(hospitalB))
	for _, msp := range q.Decryptors {
		require.Contains(t, stages[3].Text, msp)
	}
	checks, err := chromedp.Run(page, chromedp.Evaluate[[]pageCheck](readChecks))
	require.NoError(t, err)
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
		require.Equal(t, "pass", c.Status, "check %s: %s", c.Name, c.Text)
	}
	for _, c := range append(audit.QueryChecks, audit.CheckChain) {
		require.Contains(t, names, string(c))
	}
	chainBadge, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`#chain`)))
	require.NoError(t, err)
	require.Equal(t, "CHAIN: PASS", strings.ToUpper(chainBadge))
	row := fmt.Sprintf(`#queries tr[data-query-id=%q]`, q.ID)
	verdict, err := chromedp.Run(page, chromedp.AttributeValue(chromedp.CSS(row), "data-audit"))
	require.NoError(t, err)
	require.Equal(t, dashboard.VerdictPass, verdict.Value)

	// Ledger text stays text.
	probeCard := fmt.Sprintf(`#datasets article[data-dataset=%q]`, probe.ID)
	require.NoError(t, chromedp.Do(page, chromedp.WaitVisible(chromedp.CSS(probeCard))))
	shown, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(probeCard+` .strong`)))
	require.NoError(t, err)
	require.Equal(t, xssTitle, shown)
	injected, err := chromedp.Run(page, chromedp.Evaluate[bool](`document.querySelector('#xss-probe') !== null || document.title === 'owned'`))
	require.NoError(t, err)
	require.False(t, injected, "ledger text became markup")

	// A new query appears live: no reload (the marker survives), pushed over SSE.
	_, err = chromedp.Run(page, chromedp.Evaluate[string](`window.__sameDocument = 'yes'`))
	require.NoError(t, err)
	t1 := time.Now()
	next := f.request(t, ctx, d.ds, policies.Query{Statistic: policies.StatCount, GroupBy: []string{"ageBand"}, Epsilon: d.ds.Policy.EpsilonPerQuery})
	t2 := time.Now()
	newRow := fmt.Sprintf(`#queries tr[data-query-id=%q]`, next.ID)
	live, cancelLive := context.WithTimeout(bctx, 60*time.Second)
	defer cancelLive()
	require.NoError(t, chromedp.Do(live, chromedp.WaitVisible(chromedp.CSS(newRow))), "the new query %s appears on the open page", next.ID)
	t3 := time.Now()
	same, err := chromedp.Run(page, chromedp.Evaluate[string](`window.__sameDocument || ''`))
	require.NoError(t, err)
	require.Equal(t, "yes", same, "the page was reloaded")
	status, err := chromedp.Run(page, chromedp.AttributeValue(chromedp.CSS(newRow), "data-status"))
	require.NoError(t, err)
	require.Equal(t, string(ledger.StatusPending), status.Value)
	t.Logf("e2e: a new query showed on the open page %.2f s after its request committed (request took %.2f s)",
		t3.Sub(t2).Seconds(), t2.Sub(t1).Seconds())

	// Its audit: nothing fails, the later checks wait. Then its timeline: requested,
	// waiting for approvals.
	settled := newRow + `:not([data-audit="unaudited"]):not([data-audit="stale"])`
	require.NoError(t, chromedp.Do(live, chromedp.WaitVisible(chromedp.CSS(settled))), "the new query's audit")
	verdict, err = chromedp.Run(page, chromedp.AttributeValue(chromedp.CSS(newRow), "data-audit"))
	require.NoError(t, err)
	require.Equal(t, dashboard.VerdictPending, verdict.Value)
	t.Logf("e2e: the new query's audit showed %.2f s after its request committed", time.Since(t2).Seconds())
	require.NoError(t, chromedp.Do(live, chromedp.Click(chromedp.CSS(newRow))), "click the new query")
	require.NoError(t, chromedp.Do(live,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-query-id=%q] li.stage[data-stage="approvals"][data-state="waiting"]`, next.ID))),
	), "the new query's timeline")
	stages, err = chromedp.Run(page, chromedp.Evaluate[[]pageStage](readTimeline))
	require.NoError(t, err)
	require.Equal(t, dashboard.StateDone, stages[0].State)
	require.Equal(t, []string{next.TxID}, stages[0].TxIDs)
	require.Contains(t, stages[1].Text, "needs 2 more approvals")

	// The screenshot: the released query's page.
	require.NoError(t, chromedp.Do(page,
		chromedp.Navigate(hs.URL+"/#query="+q.ID),
		chromedp.WaitVisible(chromedp.CSS(detail+` tr.check-row[data-check="release"]`)),
	))
	png, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.True(t, len(png) > 8 && string(png[1:4]) == "PNG", "a PNG screenshot")
	shot := filepath.Join(t.ArtifactDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("e2e: dashboard screenshot (%d KiB): %s", len(png)/1024, shot)
}

// txIDs returns the transaction IDs of records.
func txIDs[T any](records []T, txID func(T) string) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		out = append(out, txID(r))
	}
	return slices.Clip(out)
}

// TestDashboardCommandServesAndStopsOnSIGTERM runs the built `statledger audit serve` as
// the Regulator: it serves the page, /healthz and /metrics over the real network, and
// stops cleanly on SIGTERM with an open event stream.
func TestDashboardCommandServesAndStopsOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(env.BinDir, "statledger") // nettest built it
	c := newCLIEnv(t)

	cmd := exec.CommandContext(ctx, bin, "--profile", c.profiles[regulator], "audit", "serve", "--listen", "127.0.0.1:0", "--debounce", "50ms")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncLog
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }() // after a failure; an error once it exited
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	m := regexp.MustCompile(`^audit dashboard on (http://127\.0\.0\.1:\d+/) `).FindStringSubmatch(line)
	require.NotNil(t, m, "the first line names the address: %q", line)
	base := m[1]

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := get("healthz")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"status":"ok"`)
	require.Eventually(t, func() bool {
		code, body := get("api/overview")
		return code == http.StatusOK && strings.Contains(body, `"name":"statledger-demo"`)
	}, time.Minute, 100*time.Millisecond, "the overview of the consortium; stderr: %s", stderr.String())
	code, body = get("")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "statledger audit")
	code, body = get("api/queries/not%20an%20id")
	require.Equal(t, http.StatusBadRequest, code, body)
	code, body = get("metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "statledger_dashboard_sse_clients")

	stream, err := http.Get(base + "api/events")
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	t0 := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status 0 on SIGTERM; stderr: %s", stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("statledger audit serve did not stop within 15 s of SIGTERM; stderr: %s", stderr.String())
	}
	t.Logf("e2e: statledger audit serve stopped %.2f s after SIGTERM with an event stream open", time.Since(t0).Seconds())
	require.Contains(t, stderr.String(), "dashboard stopped")
}
