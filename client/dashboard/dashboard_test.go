package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/dashboard"
	"github.com/statledger/statledger/client/fabric"
)

// harness is a dashboard over the fake ledger, running until the test ends.
type harness struct {
	l   *fakeLedger
	a   *fakeAuditor
	e   *fakeEvents
	srv *httptest.Server
}

func start(t testing.TB, cfg dashboard.Config, setup func(*harness)) *harness {
	t.Helper()
	l := demoLedger()
	h := &harness{l: l, a: &fakeAuditor{l: l}, e: &fakeEvents{ch: make(chan fabric.Event)}}
	if setup != nil {
		setup(h)
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = 10 * time.Millisecond
	}
	if cfg.Retry == 0 {
		cfg.Retry = 20 * time.Millisecond
	}
	s, err := dashboard.New(cfg, h.l, h.a, h.e)
	require.NoError(t, err)
	h.srv = httptest.NewServer(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		h.srv.Close()
	})
	return h
}

func (h *harness) do(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := h.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func (h *harness) getJSON(t *testing.T, path string, want int, v any) {
	t.Helper()
	resp, body := h.do(t, http.MethodGet, path)
	require.Equal(t, want, resp.StatusCode, "GET %s: %s", path, body)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.NoError(t, json.Unmarshal(body, v), "GET %s: %s", path, body)
}

// overview waits until the dashboard has read and audited the ledger and returns the
// overview once ok accepts it.
func (h *harness) overview(t *testing.T, ok func(dashboard.Overview) bool) dashboard.Overview {
	t.Helper()
	var o dashboard.Overview
	require.Eventually(t, func() bool {
		resp, body := h.do(t, http.MethodGet, "/api/overview")
		if resp.StatusCode != http.StatusOK {
			return false
		}
		o = dashboard.Overview{}
		require.NoError(t, json.Unmarshal(body, &o))
		return ok(o)
	}, 5*time.Second, 5*time.Millisecond)
	return o
}

func audited(o dashboard.Overview) bool {
	for _, q := range o.Queries {
		if q.Audit == dashboard.VerdictUnaudited || q.Stale {
			return false
		}
	}
	return len(o.Queries) > 0
}

func query(o dashboard.Overview, id string) (dashboard.QuerySummary, bool) {
	for _, q := range o.Queries {
		if q.ID == id {
			return q, true
		}
	}
	return dashboard.QuerySummary{}, false
}

func TestPageAndAssetsAreServedWithAContentSecurityPolicy(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	for _, c := range []struct{ path, contentType, contains string }{
		{"/", "text/html", `<script src="static/app.js" defer></script>`},
		{"/static/app.js", "text/javascript", "textContent"},
		{"/static/style.css", "text/css", ".badge.fail"},
	} {
		resp, body := h.do(t, http.MethodGet, c.path)
		require.Equal(t, http.StatusOK, resp.StatusCode, c.path)
		require.Contains(t, resp.Header.Get("Content-Type"), c.contentType, c.path)
		require.Contains(t, string(body), c.contains, c.path)
		csp := resp.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self'", c.path)
		require.Contains(t, csp, "default-src 'none'", c.path)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	}
	// Nothing on the page comes from elsewhere, and the script never parses HTML.
	_, page := h.do(t, http.MethodGet, "/")
	_, script := h.do(t, http.MethodGet, "/static/app.js")
	_, style := h.do(t, http.MethodGet, "/static/style.css")
	for _, asset := range []string{string(page), string(script), string(style)} {
		require.NotContains(t, asset, "http://")
		require.NotContains(t, asset, "https://")
		require.NotContains(t, asset, "@import")
	}
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		require.NotContains(t, string(script), sink)
	}
}

func TestOverviewShowsTheConsortiumDatasetsBudgetsAndQueries(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	o := h.overview(t, audited)

	require.NotNil(t, o.Consortium)
	require.Equal(t, "Health statistics", o.Consortium.Name)
	require.Equal(t, 2, o.Consortium.Threshold)
	require.Equal(t, 2, o.Consortium.KeyHolders)
	require.Len(t, o.Consortium.Orgs, 3)
	require.Equal(t, []string{"analyst", "keyholder", "member", "worker"}, o.Consortium.Orgs[0].Roles)
	require.Equal(t, []string{"auditor"}, o.Consortium.Orgs[2].Roles)

	require.Len(t, o.Datasets, 1)
	ds := o.Datasets[0]
	require.Equal(t, dashboard.BudgetView{Total: "10", Spent: "2.5", Remaining: "7.5", SpentPercent: 25}, ds.Budget)
	require.Len(t, ds.Submissions, 1)
	require.Equal(t, "HospitalAMSP", ds.Submissions[0].Provider)
	require.Equal(t, int64(20000), ds.Submissions[0].Records)
	require.Equal(t, dashboard.VerdictPass, ds.Audit)

	// Newest first; the released query passes, the pending one waits.
	require.Equal(t, []string{pending, released}, []string{o.Queries[0].ID, o.Queries[1].ID})
	require.Equal(t, dashboard.VerdictPending, o.Queries[0].Audit)
	require.Equal(t, dashboard.VerdictPass, o.Queries[1].Audit)
	require.NotNil(t, o.Chain)
	require.Equal(t, audit.StatusPass, o.Chain.Check.Status)
	require.True(t, o.Stream.Connected)
	require.Equal(t, []audit.Scope{{}}, h.a.calls()[:1], "the first audit covers the whole ledger")

	// Ledger text is escaped in the JSON too, so that no HTML survives a careless reader.
	_, body := h.do(t, http.MethodGet, "/api/overview")
	require.NotContains(t, string(body), "<script>")
	require.Contains(t, string(body), `\u003cscript\u003e`)
}

func TestReleasedQueryTimelineShowsEveryStepWithItsTransaction(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	h.overview(t, audited)
	var d dashboard.QueryDetail
	h.getJSON(t, "/api/queries/"+released, http.StatusOK, &d)

	require.Equal(t, "count by region", d.Description)
	require.Equal(t, "0.5", d.Epsilon)
	require.Equal(t, "at least 2 approvals from distinct members, not the requester's", d.Rule)
	require.Equal(t, dashboard.VerdictPass, d.Audit)
	require.Len(t, d.Checks, len(audit.QueryChecks))
	require.Equal(t, "region,count\nNorth,1200\n", d.Table)

	want := []struct {
		stage string
		txIDs []string
		orgs  []string
	}{
		{dashboard.StageRequest, []string{tx(10)}, []string{"StatOfficeMSP"}},
		{dashboard.StageApprovals, []string{tx(11)}, []string{"HospitalAMSP"}},
		{dashboard.StageResults, []string{tx(12)}, []string{"StatOfficeMSP"}},
		// In the order they were posted, not as the ledger listed them.
		{dashboard.StageShares, []string{tx(13), tx(14)}, []string{"HospitalAMSP", "StatOfficeMSP"}},
		{dashboard.StageRelease, []string{tx(15)}, []string{"StatOfficeMSP"}},
	}
	require.Len(t, d.Stages, len(want))
	for i, w := range want {
		st := d.Stages[i]
		require.Equal(t, w.stage, st.Name)
		require.Equal(t, dashboard.StateDone, st.State, st.Name)
		var txIDs, orgs []string
		for _, s := range st.Steps {
			txIDs = append(txIDs, s.TxID)
			orgs = append(orgs, s.Org)
			require.False(t, s.At.IsZero(), st.Name)
		}
		require.Equal(t, w.txIDs, txIDs, st.Name)
		require.Equal(t, w.orgs, orgs, st.Name)
		require.NotEmpty(t, st.Checks, st.Name)
		for _, c := range st.Checks {
			require.Equal(t, "pass", c.Status, "%s: %s", st.Name, c.Name)
		}
	}
	require.Equal(t, "w1", d.Stages[2].Steps[0].Worker)
	require.Equal(t, tx(400), d.Stages[4].Steps[0].Digest)
	require.Equal(t, "5 cells, 1 suppressed, csv", d.Stages[4].Steps[0].Note)
}

func TestTimelineShowsWhereAQueryWaitsOrStopped(t *testing.T) {
	cases := []struct {
		name   string
		status ledger.Status
		reason string
		states []string
		note   string
	}{
		{"a pending query waits for approvals", ledger.StatusPending, "",
			[]string{"done", "waiting", "later", "later", "later"}, "needs 2 more approvals"},
		{"an approved query waits for a worker", ledger.StatusApproved, "",
			[]string{"done", "done", "waiting", "later", "later"}, "needs 1 more worker result"},
		{"a decrypting query waits for the missing shares", ledger.StatusDecrypting, "",
			[]string{"done", "done", "done", "waiting", "later"}, "needs shares from HospitalAMSP, StatOfficeMSP"},
		{"a ready query waits for its release", ledger.StatusReady, "",
			[]string{"done", "done", "done", "done", "waiting"}, "ready for the analyst to release"},
		{"a rejected query stopped at the approvals", ledger.StatusRejected, "HospitalAMSP vetoed it",
			[]string{"done", "stopped", "later", "later", "later"}, "query rejected: HospitalAMSP vetoed it"},
		{"a disputed query stopped at the results", ledger.StatusDisputed, "worker results disagree",
			[]string{"done", "done", "stopped", "later", "later"}, "query disputed: worker results disagree"},
		{"a cancelled query stopped where its records end", ledger.StatusCancelled, "no longer needed",
			[]string{"done", "stopped", "later", "later", "later"}, "query cancelled: no longer needed"},
		{"a query in a status the dashboard does not know is not placed", ledger.Status("frozen"), "",
			[]string{"waiting", "later", "later", "later", "later"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, dashboard.Config{}, func(h *harness) {
				q := h.l.queries[pending]
				q.Status, q.StatusReason = c.status, c.reason
				h.l.queries[pending] = q
			})
			h.overview(t, audited)
			var d dashboard.QueryDetail
			h.getJSON(t, "/api/queries/"+pending, http.StatusOK, &d)
			var states []string
			note := ""
			for _, s := range d.Stages {
				states = append(states, s.State)
				if s.State == dashboard.StateWaiting || s.State == dashboard.StateStopped {
					note = s.Note
				}
			}
			require.Equal(t, c.states, states)
			require.Equal(t, c.note, note)
		})
	}
}

func TestBadRequestsGetClearJSONErrors(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	h.overview(t, audited)
	cases := []struct {
		name, method, path string
		status             int
		msg                string
	}{
		{"an unknown query", "GET", "/api/queries/q-doesnotexist", 404, "no query q-doesnotexist on the ledger"},
		{"a query ID with a space", "GET", "/api/queries/q%20x", 400, "query ID must start with a letter or digit"},
		{"a query ID with a slash", "GET", "/api/queries/q%2Fx", 400, "query ID must start with a letter or digit"},
		{"a query ID with markup", "GET", "/api/queries/%3Cb%3E", 400, "query ID must start with a letter or digit"},
		{"a query ID starting with a dot", "GET", "/api/queries/.hidden", 400, "query ID must start with a letter or digit"},
		{"a query ID too long", "GET", "/api/queries/" + strings.Repeat("q", 300), 400, "query ID is 300 bytes long"},
		{"no query ID", "GET", "/api/queries/", 404, "no such page"},
		{"an unknown page", "GET", "/admin", 404, "no such page: /admin"},
		{"an unknown asset", "GET", "/static/secrets.txt", 404, "no such file: secrets.txt"},
		{"posting to the overview", "POST", "/api/overview", 405, "method POST is not allowed"},
		{"deleting a query", "DELETE", "/api/queries/" + released, 405, "method DELETE is not allowed"},
		{"putting the page", "PUT", "/", 405, "method PUT is not allowed"},
		{"posting to the event stream", "POST", "/api/events", 405, "method POST is not allowed"},
		{"posting to the health check", "POST", "/healthz", 405, "method POST is not allowed"},
		{"posting to the metrics", "POST", "/metrics", 405, "method POST is not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.do(t, c.method, c.path)
			require.Equal(t, c.status, resp.StatusCode, "%s", body)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &e), "%s", body)
			require.Contains(t, e.Error, c.msg)
			if c.status == http.StatusMethodNotAllowed {
				require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestUnreachableLedgerIsReportedAndTheViewRecovers(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) { h.l.setDown(errDown) })
	// Before the first read succeeds, the page's JSON says why it has nothing.
	require.Eventually(t, func() bool {
		resp, body := h.do(t, http.MethodGet, "/api/overview")
		return resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "unavailable")
	}, 5*time.Second, 5*time.Millisecond)
	resp, body := h.do(t, http.MethodGet, "/api/queries/"+released)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Contains(t, string(body), "has not read the ledger yet")
	var hl struct{ Status, Reason string }
	h.getJSON(t, "/healthz", http.StatusServiceUnavailable, &hl)
	require.Equal(t, "unavailable", hl.Status)
	require.Equal(t, "cannot read the ledger: "+errDown.Error(), hl.Reason)

	h.l.setDown(nil)
	h.overview(t, audited)
	hl.Status, hl.Reason = "", ""
	h.getJSON(t, "/healthz", http.StatusOK, &hl)
	require.Equal(t, "ok", hl.Status)
	require.Empty(t, hl.Reason)

	// Down again: the last view stays, with the error shown, until the ledger answers.
	h.l.setDown(errDown)
	h.e.ch <- queryEvent(released, ledger.StatusReleased)
	o := h.overview(t, func(o dashboard.Overview) bool { return o.LedgerError != "" })
	require.Contains(t, o.LedgerError, errDown.Error())
	require.Len(t, o.Queries, 2)
	h.l.setDown(nil)
	h.overview(t, func(o dashboard.Overview) bool { return o.LedgerError == "" })
}

func queryEvent(id string, st ledger.Status) fabric.Event {
	e := ledger.NewEvent("RequestQuery", ledger.RecordQuery, id, st, "StatOfficeMSP", tx(99))
	e.QueryID, e.DatasetID, e.QueryStatus = id, datasetID, st
	payload, _ := json.Marshal(e)
	return fabric.Event{Name: e.Name, Payload: payload, TxID: e.TxID, BlockNumber: 7}
}

// sseClient reads a page's event stream.
type sseClient struct {
	events chan string
	resp   *http.Response
}

func openStream(t *testing.T, h *harness) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+"/api/events", nil)
	require.NoError(t, err)
	resp, err := h.srv.Client().Do(req)
	require.NoError(t, err)
	c := &sseClient{events: make(chan string, 100), resp: resp}
	if resp.StatusCode != http.StatusOK {
		return c
	}
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				c.events <- name + " " + strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return c
}

// next returns the next event for which ok is true.
func (c *sseClient) next(t *testing.T, ok func(string) bool) string {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, open := <-c.events:
			require.True(t, open, "the event stream ended")
			if ok(e) {
				return e
			}
		case <-timeout:
			t.Fatal("no such event within 5 s")
		}
	}
}

func TestNewQueryReachesAnOpenPageThroughServerSentEvents(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	h.overview(t, audited)
	c := openStream(t, h)
	require.Equal(t, http.StatusOK, c.resp.StatusCode)
	require.Equal(t, "text/event-stream", c.resp.Header.Get("Content-Type"))
	c.next(t, func(e string) bool { return strings.HasPrefix(e, "hello ") })

	q := h.l.queries[pending]
	q.ID, q.TxID, q.RequestedAt = "q-new", tx(30), t0.Add(time.Hour)
	h.l.putQuery(q)
	h.e.ch <- queryEvent("q-new", ledger.StatusPending)

	e := c.next(t, func(e string) bool { return strings.Contains(e, `"q-new"`) })
	require.True(t, strings.HasPrefix(e, "update "), e)
	o := h.overview(t, func(o dashboard.Overview) bool {
		s, ok := query(o, "q-new")
		return ok && s.Audit != dashboard.VerdictUnaudited
	})
	require.Equal(t, "q-new", o.Queries[0].ID, "the newest query comes first")
	require.Contains(t, h.a.calls(), audit.Scope{QueryID: "q-new"})
	var d dashboard.QueryDetail
	h.getJSON(t, "/api/queries/q-new", http.StatusOK, &d)
	require.Equal(t, tx(30), d.Stages[0].Steps[0].TxID)

	_, metrics := h.do(t, http.MethodGet, "/metrics")
	require.Contains(t, string(metrics), `statledger_dashboard_events_received_total{record="query"} 1`)
	require.Contains(t, string(metrics), "statledger_dashboard_sse_clients 1")
	require.Contains(t, string(metrics), `statledger_dashboard_query_audits_total{verdict="pending"}`)
}

func TestBurstOfEventsIsAuditedOnce(t *testing.T) {
	h := start(t, dashboard.Config{Debounce: 300 * time.Millisecond}, nil)
	h.overview(t, audited)
	before := len(h.a.calls())
	for range 25 {
		h.e.ch <- queryEvent(released, ledger.StatusReleased)
	}
	require.Eventually(t, func() bool { return len(h.a.calls()) > before }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(400 * time.Millisecond) // a second audit would have run by now
	require.Equal(t, []audit.Scope{{QueryID: released}}, h.a.calls()[before:])
	_, metrics := h.do(t, http.MethodGet, "/metrics")
	require.Contains(t, string(metrics), `statledger_dashboard_events_received_total{record="query"} 25`)
}

func TestFailingCheckIsShownAndCounted(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) { h.a.failing = map[string]bool{released: true} })
	o := h.overview(t, audited)
	s, _ := query(o, released)
	require.Equal(t, dashboard.VerdictFail, s.Audit)
	var d dashboard.QueryDetail
	h.getJSON(t, "/api/queries/"+released, http.StatusOK, &d)
	require.Equal(t, dashboard.VerdictFail, d.Audit)
	for _, st := range d.Stages {
		if st.Name == dashboard.StageResults {
			require.Contains(t, st.Checks, dashboard.CheckRef{Name: "computation", Status: "fail"})
		}
	}
	_, metrics := h.do(t, http.MethodGet, "/metrics")
	require.Contains(t, string(metrics), "statledger_dashboard_failing_checks 1")
	require.Contains(t, string(metrics), `statledger_dashboard_query_audits_total{verdict="fail"} 1`)
}

func TestAuditThatCannotRunIsShownAsAnError(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) { h.a.err = errors.New("blob store unreachable") })
	o := h.overview(t, audited)
	for _, q := range o.Queries {
		require.Equal(t, dashboard.VerdictError, q.Audit)
	}
	var d dashboard.QueryDetail
	h.getJSON(t, "/api/queries/"+released, http.StatusOK, &d)
	require.Equal(t, "the audit could not run: blob store unreachable", d.AuditError)
}

func TestEventStreamThatCannotConnectIsShown(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) { h.e.fail = errors.New("deliver service refused") })
	o := h.overview(t, func(o dashboard.Overview) bool { return audited(o) && o.Stream.Error != "" })
	require.False(t, o.Stream.Connected)
	require.Equal(t, "cannot listen to chaincode events: deliver service refused", o.Stream.Error)
	var hl struct{ Status string }
	h.getJSON(t, "/healthz", http.StatusOK, &hl)
}

func TestEventStreamsBeyondTheLimitAreRefused(t *testing.T) {
	h := start(t, dashboard.Config{MaxClients: 1}, nil)
	first := openStream(t, h)
	require.Equal(t, http.StatusOK, first.resp.StatusCode)
	first.next(t, func(e string) bool { return strings.HasPrefix(e, "hello ") })
	second := openStream(t, h)
	defer second.resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, second.resp.StatusCode)
	body, err := io.ReadAll(second.resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), "too many pages follow updates (the limit is 1)")
}

func TestConfigRefusesNegativeValues(t *testing.T) {
	cfg := dashboard.Config{Debounce: -time.Second, MaxClients: -1}
	err := cfg.Validate()
	require.ErrorContains(t, err, "debounce -1s: want a positive duration")
	require.ErrorContains(t, err, "max clients -1: want a positive number")
	_, err = dashboard.New(dashboard.Config{Heartbeat: -1}, demoLedger(), nil, nil)
	require.ErrorContains(t, err, "heartbeat")

	var ok dashboard.Config
	require.NoError(t, ok.Validate())
	require.Equal(t, dashboard.DefaultDebounce, ok.Debounce)
	require.Equal(t, dashboard.DefaultMaxClients, ok.MaxClients)
}

func TestServeStopsGracefullyWithOpenEventStreams(t *testing.T) {
	l := demoLedger()
	s, err := dashboard.New(dashboard.Config{Debounce: time.Millisecond}, l, &fakeAuditor{l: l}, &fakeEvents{ch: make(chan fabric.Event)})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	stream, err := http.Get(base + "/api/events")
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)

	t0 := time.Now()
	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(dashboard.ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	require.Less(t, time.Since(t0), dashboard.ShutdownTimeout, "the open event stream did not hold the shutdown up")
	_, err = io.ReadAll(stream.Body) // the stream ended
	require.NoError(t, err)
	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "the listener is closed")
}

func TestServeReportsAListenerThatFails(t *testing.T) {
	l := demoLedger()
	s, err := dashboard.New(dashboard.Config{}, l, &fakeAuditor{l: l}, &fakeEvents{ch: make(chan fabric.Event)})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	err = s.Serve(context.Background(), ln)
	require.ErrorContains(t, err, "dashboard: serve on "+ln.Addr().String())
}

func TestEventsRereadAndReauditWhatTheyName(t *testing.T) {
	h := start(t, dashboard.Config{}, nil)
	h.overview(t, audited)

	// A new submission: the dataset is read again and audited.
	h.l.mu.Lock()
	h.l.subs[datasetID] = append(h.l.subs[datasetID], ledger.Submission{ID: "s-b", DatasetID: datasetID, Period: "2026",
		Provider: "HospitalBMSP", Records: 7, Status: ledger.StatusLive, TxID: tx(40), SubmittedAt: t0.Add(time.Hour)})
	h.l.mu.Unlock()
	before := len(h.a.calls())
	e := ledger.NewEvent("SubmitData", ledger.RecordSubmission, "s-b", ledger.StatusLive, "HospitalBMSP", tx(40))
	e.DatasetID = datasetID
	payload, err := json.Marshal(e)
	require.NoError(t, err)
	h.e.ch <- fabric.Event{Name: e.Name, Payload: payload, TxID: e.TxID}
	o := h.overview(t, func(o dashboard.Overview) bool { return len(o.Datasets[0].Submissions) == 2 && !o.Datasets[0].Stale })
	require.Equal(t, "HospitalBMSP", o.Datasets[0].Submissions[1].Provider)
	require.Eventually(t, func() bool { return len(h.a.calls()) > before }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, audit.Scope{DatasetID: datasetID}, h.a.calls()[before])

	// A consortium change: the consortium is read again.
	h.l.mu.Lock()
	h.l.cons.Version, h.l.cons.Threshold = 2, 1
	h.l.mu.Unlock()
	e = ledger.NewEvent("ApproveConsortiumChange", ledger.RecordConsortium, "c-2", ledger.StatusApplied, "HospitalAMSP", tx(41))
	payload, err = json.Marshal(e)
	require.NoError(t, err)
	h.e.ch <- fabric.Event{Name: e.Name, Payload: payload, TxID: e.TxID}
	o = h.overview(t, func(o dashboard.Overview) bool { return o.Consortium.Version == 2 })
	require.Equal(t, 1, o.Consortium.Threshold)

	// An event the dashboard cannot read: everything is read and audited again.
	before = len(h.a.calls())
	h.e.ch <- fabric.Event{Name: "query.pending", Payload: []byte("{not json"), TxID: tx(42)}
	require.Eventually(t, func() bool { return slices.Contains(h.a.calls()[before:], audit.Scope{}) }, 5*time.Second, 5*time.Millisecond)
	_, metrics := h.do(t, http.MethodGet, "/metrics")
	require.Contains(t, string(metrics), `statledger_dashboard_events_received_total{record="other"} 1`)
	require.Contains(t, string(metrics), `statledger_dashboard_events_received_total{record="submission"} 1`)
}

func TestADatasetThatCannotBeAuditedDoesNotHideTheOthers(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) {
		h.l.datasets["broken"] = ledger.Dataset{ID: "broken", Title: "Broken", Status: ledger.StatusActive}
		q := h.l.queries[pending]
		q.ID, q.DatasetID = "q-broken", "broken"
		h.l.queries[q.ID] = q
		h.a.broken = map[string]bool{"broken": true}
	})
	wantQuery := map[string]string{released: dashboard.VerdictPass, pending: dashboard.VerdictPending, "q-broken": dashboard.VerdictError}
	wantDataset := map[string]string{datasetID: dashboard.VerdictPass, "broken": dashboard.VerdictError}
	// The whole-ledger audit fails first and marks every query "error" until the audits
	// dataset by dataset have run: wait for those.
	o := h.overview(t, func(o dashboard.Overview) bool {
		if !audited(o) {
			return false
		}
		for _, q := range o.Queries {
			if q.Audit != wantQuery[q.ID] {
				return false
			}
		}
		for _, d := range o.Datasets {
			if d.Audit != wantDataset[d.ID] {
				return false
			}
		}
		return true
	})
	for _, q := range o.Queries {
		require.Equal(t, wantQuery[q.ID], q.Audit, q.ID)
	}
	for _, d := range o.Datasets {
		require.Equal(t, wantDataset[d.ID], d.Audit, d.ID)
	}
	var d dashboard.QueryDetail
	h.getJSON(t, "/api/queries/q-broken", http.StatusOK, &d)
	require.Equal(t, "the audit could not run: dataset broken: collective key not found", d.AuditError)
	require.Equal(t, []audit.Scope{{}, {DatasetID: "admissions-2026"}, {DatasetID: "broken"}}, h.a.calls()[:3])
}
