package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/policies"
)

func pass(name CheckName, detail string, ev []Evidence) Check {
	return Check{Name: name, Status: StatusPass, Detail: detail, Evidence: ev}
}

func failed(name CheckName, detail string, ev []Evidence) Check {
	return Check{Name: name, Status: StatusFail, Detail: detail, Evidence: ev}
}

func pending(name CheckName, detail string) Check {
	return Check{Name: name, Status: StatusPending, Detail: detail}
}

func txEvidence(id, txID, note string) Evidence {
	return Evidence{Kind: "transaction", ID: id, TxID: txID, Note: note}
}

// problems collects what a check found wrong, with the evidence of each.
type problems struct {
	msgs []string
	ev   []Evidence
}

func (p *problems) add(e Evidence, format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
	p.ev = append(p.ev, e)
}

func (p *problems) note(format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

func (p *problems) any() bool { return len(p.msgs) > 0 }

// check returns a failing check listing the problems (and their evidence, then ev), or
// a passing one with detail and ev.
func (p *problems) check(name CheckName, detail string, ev []Evidence) Check {
	if p.any() {
		all := slices.Clone(p.ev)
		for _, e := range ev {
			if !slices.Contains(all, e) {
				all = append(all, e)
			}
		}
		return failed(name, strings.Join(p.msgs, "; "), all)
	}
	return pass(name, detail, ev)
}

// auditQuery runs every check of one query.
func (a *Auditor) auditQuery(ctx context.Context, c ledger.Consortium, dt *datasetTrail, qt *queryTrail, blobs *blobCache) QueryReport {
	q := qt.q
	r := QueryReport{QueryID: q.ID, DatasetID: q.DatasetID, QueryStatus: string(q.Status), Requester: q.Requester}
	inputs, inputsCheck := a.checkInputs(ctx, dt, qt, blobs)
	r.Checks = []Check{
		checkPolicy(c, dt, qt),
		checkApprovals(c, qt),
		checkQueryBudget(dt, qt),
		inputsCheck,
		a.checkComputation(ctx, dt, qt, inputs),
		a.checkShares(ctx, c, dt, qt, blobs),
		a.checkRelease(ctx, dt, qt),
	}
	return r
}

// requestView is what a query's request fixed: it never changes afterwards.
type requestView struct {
	In              ledger.QueryInput
	ID, TxID        string
	Requester       string
	RequestDigest   string
	EpsilonMicro    int64
	Cells           int
	Rule            any
	RequiredResults int
}

// describe names a query's statistic, such as "mean of lengthOfStay by region x sex".
func describe(spec policies.Query) string {
	s := string(spec.Statistic)
	if spec.Measure != "" {
		s += " of " + spec.Measure
	}
	if len(spec.GroupBy) > 0 {
		s += " by " + strings.Join(spec.GroupBy, " x ")
	}
	if len(spec.Filters) > 0 {
		s += fmt.Sprintf(" (%d filters)", len(spec.Filters))
	}
	return s
}

func schemaAndPolicy(ds ledger.Dataset) string {
	b, _ := json.Marshal(struct{ S, P any }{ds.Schema, ds.Policy})
	return string(b)
}

func viewOf(q ledger.Query) string {
	b, _ := json.Marshal(requestView{In: q.Input(), ID: q.ID, TxID: q.TxID, Requester: q.Requester, RequestDigest: q.RequestDigest,
		EpsilonMicro: q.EpsilonMicro, Cells: q.Cells, Rule: q.Rule, RequiredResults: q.RequiredResults})
	return string(b)
}

// checkPolicy re-validates the request against the dataset as it was when the query was
// requested (ledger.RecheckQuery), and checks that the history starts with that request
// and never changes it, and that the dataset's schema and policy never changed.
func checkPolicy(c ledger.Consortium, dt *datasetTrail, qt *queryTrail) Check {
	q := qt.q
	ev := []Evidence{txEvidence(q.ID, q.TxID, "query requested by "+q.Requester), txEvidence(dt.ds.ID, dt.ds.TxID, "dataset registered with its policy")}
	var p problems
	if len(qt.versions) == 0 {
		return failed(CheckPolicy, "the ledger has no history of query "+q.ID, ev)
	}
	if first := qt.versions[0]; first.TxID != q.TxID || first.V.Status != ledger.StatusPending {
		p.add(txEvidence(q.ID, first.TxID, "first version of the query"), "the query's first version was written by transaction %s (%s), not by its request %s", first.TxID, first.V.Status, q.TxID)
	}
	// What the request fixed never changes: every later version, and the record read
	// now, must fix the same.
	want := viewOf(qt.versions[0].V)
	for _, v := range qt.versions[1:] {
		if viewOf(v.V) != want {
			p.add(txEvidence(q.ID, v.TxID, "rewrote the request"), "transaction %s changed what the request fixed (specification, epsilon, rule, decryptors)", v.TxID)
		}
	}
	if viewOf(q) != want {
		p.note("the query record read now differs from its request")
	}
	if qt.badVersions > 0 {
		p.note("%d versions of the query do not decode", qt.badVersions)
	}
	dv, ok := dt.atRequest(q)
	if !ok {
		p.note("dataset %s has no version at or before the request (%s)", dt.ds.ID, q.RequestedAt.UTC().Format("2006-01-02T15:04:05Z"))
		return p.check(CheckPolicy, "", ev)
	}
	// The schema and policy registered never change either.
	registered := schemaAndPolicy(dt.dsVersions[0].V)
	for _, v := range dt.dsVersions[1:] {
		if schemaAndPolicy(v.V) != registered {
			p.add(txEvidence(dt.ds.ID, v.TxID, "dataset version with another schema or policy"), "transaction %s recorded another schema or policy for dataset %s", v.TxID, dt.ds.ID)
		}
	}
	if schemaAndPolicy(dt.ds) != registered {
		p.note("the dataset record read now has another schema or policy than registered")
	}
	if dt.keyErr != nil {
		p.note("collective key %s of dataset %s cannot be read: %v", dt.ds.KeyID, dt.ds.ID, dt.keyErr)
		return p.check(CheckPolicy, "", ev)
	}
	if err := ledger.RecheckQuery(c, dv.V, dt.key, q); err != nil {
		p.add(txEvidence(q.ID, q.TxID, "request"), "the request breaks the policy in force: %v", err)
	}
	return p.check(CheckPolicy, fmt.Sprintf("%s, epsilon %s, %d cells: within the policy of dataset %s as recorded by transaction %s",
		describe(q.Spec), q.Spec.Epsilon, q.Cells, dt.ds.ID, dv.TxID), ev)
}

// checkApprovals checks that the decisions came from distinct members, each recorded by
// its own transaction, without the requester under the rule, and that the rule was met
// exactly when the query was approved.
func checkApprovals(c ledger.Consortium, qt *queryTrail) Check {
	q := qt.q
	var p problems
	var ev []Evidence
	seen := map[string]bool{}
	rejected := ""
	for _, ap := range q.Approvals {
		e := Evidence{Kind: "approval", ID: q.ID, TxID: ap.TxID, Org: ap.MSPID, Note: string(ap.Decision)}
		ev = append(ev, e)
		if seen[ap.MSPID] {
			p.add(e, "%s decided twice", ap.MSPID)
		}
		seen[ap.MSPID] = true
		if !c.HasRole(ap.MSPID, ledger.RoleMember) {
			p.add(e, "%s is not a member of the consortium", ap.MSPID)
		}
		if q.Rule.ExcludeRequester && ap.MSPID == q.Requester {
			p.add(e, "%s requested the query and may not decide on it", ap.MSPID)
		}
		v, _, ok := qt.byTx(ap.TxID)
		if !ok || !slices.ContainsFunc(v.V.Approvals, func(x ledger.Approval) bool { return x.MSPID == ap.MSPID && x.Decision == ap.Decision }) {
			p.add(e, "the decision of %s is not what its transaction %s wrote", ap.MSPID, ap.TxID)
		}
		if ap.Decision == ledger.DecisionReject {
			rejected = ap.MSPID
		}
	}
	n := ledger.CountApprovals(q.Approvals, q.Rule, q.Requester)
	approved, wasApproved := qt.firstWith(ledger.StatusApproved)
	switch {
	case wasApproved:
		if rejected != "" {
			p.note("%s rejected the query, yet it was approved", rejected)
		}
		if got := ledger.CountApprovals(approved.V.Approvals, q.Rule, q.Requester); got < q.Rule.MinApprovals {
			p.add(txEvidence(q.ID, approved.TxID, "approved the query"), "transaction %s approved the query with %d of the %d approvals the rule requires", approved.TxID, got, q.Rule.MinApprovals)
		}
		if !slices.ContainsFunc(q.Approvals, func(x ledger.Approval) bool { return x.TxID == approved.TxID }) {
			p.add(txEvidence(q.ID, approved.TxID, "approved the query"), "transaction %s approved the query but records no approval", approved.TxID)
		}
		return p.check(CheckApprovals, fmt.Sprintf("%d approvals from distinct members (the rule asks for %d%s)", n, q.Rule.MinApprovals, excluding(q)), ev)
	case q.Status == ledger.StatusRejected:
		if rejected == "" {
			p.note("the query is rejected but no member's rejection is recorded")
		}
		if p.any() {
			return p.check(CheckApprovals, "", ev)
		}
		return Check{Name: CheckApprovals, Status: StatusPending, Detail: "rejected by " + rejected + "; never approved", Evidence: ev}
	default:
		if n >= q.Rule.MinApprovals {
			p.note("the rule (%d approvals) is met but the query was never approved", q.Rule.MinApprovals)
		}
		if p.any() {
			return p.check(CheckApprovals, "", ev)
		}
		return Check{Name: CheckApprovals, Status: StatusPending, Detail: fmt.Sprintf("%d of %d approvals; %s", n, q.Rule.MinApprovals, ledger.QueryProgress(q)), Evidence: ev}
	}
}

func excluding(q ledger.Query) string {
	if q.Rule.ExcludeRequester {
		return ", not from " + q.Requester
	}
	return ""
}

// checkQueryBudget checks that the query's approval debited exactly its epsilon from
// the dataset's budget, and that a cancellation after approval refunded it.
func checkQueryBudget(dt *datasetTrail, qt *queryTrail) Check {
	q := qt.q
	approved, ok := qt.firstWith(ledger.StatusApproved)
	if !ok {
		if q.Status == ledger.StatusPending {
			return pending(CheckBudget, "not approved yet; nothing debited")
		}
		return pass(CheckBudget, "never approved; nothing debited", nil)
	}
	var p problems
	ev := []Evidence{}
	delta, found := dt.budgetDelta(approved.TxID)
	e := txEvidence(q.ID, approved.TxID, "debited the budget")
	ev = append(ev, e)
	switch {
	case !found:
		p.add(e, "the approval (transaction %s) left no debit in the budget's history", approved.TxID)
	case delta != q.EpsilonMicro:
		p.add(e, "the approval debited %d micro-epsilon, not the %d approved", delta, q.EpsilonMicro)
	}
	detail := fmt.Sprintf("debited %s epsilon on approval", q.Spec.Epsilon)
	if tx, ok := qt.refunded(); ok {
		delta, found := dt.budgetDelta(tx)
		e := txEvidence(q.ID, tx, "refunded the budget")
		ev = append(ev, e)
		switch {
		case !found:
			p.add(e, "the cancellation (transaction %s) refunded nothing", tx)
		case delta != -q.EpsilonMicro:
			p.add(e, "the cancellation refunded %d micro-epsilon, not the %d debited", -delta, q.EpsilonMicro)
		}
		detail += ", refunded on cancellation"
	}
	return p.check(CheckBudget, detail, ev)
}

// checkInputs checks the frozen inputs of the query: every submission is on the ledger,
// of the query's dataset and period and live when the query was approved, every live
// one is frozen, the input digests are exactly theirs, and every blob in the store
// hashes to its digest. It returns the inputs read (nil when one could not be).
func (a *Auditor) checkInputs(ctx context.Context, dt *datasetTrail, qt *queryTrail, blobs *blobCache) ([]eval.Input, Check) {
	q := qt.q
	approved, ok := qt.firstWith(ledger.StatusApproved)
	if !ok {
		if q.Status == ledger.StatusPending {
			return nil, pending(CheckInputs, "inputs are frozen on approval")
		}
		return nil, pending(CheckInputs, "never approved; no inputs were frozen")
	}
	var p problems
	var ev []Evidence
	frozen := map[string]bool{}
	owner := map[string]ledger.Submission{} // digest -> submission
	var digests []string
	for _, id := range q.SubmissionIDs {
		frozen[id] = true
		s, ok := dt.submission(id)
		if !ok {
			p.add(Evidence{Kind: "submission", ID: id, Note: "frozen, not on the ledger"}, "submission %s is not a submission of dataset %s on the ledger", id, dt.ds.ID)
			continue
		}
		e := Evidence{Kind: "submission", ID: s.ID, TxID: s.TxID, Org: s.Provider}
		ev = append(ev, e)
		if q.Period != "" && s.Period != q.Period {
			p.add(e, "submission %s of %s is of period %s, not %s", s.ID, s.Provider, s.Period, q.Period)
		}
		if !liveAt(s, approved) {
			p.add(e, "submission %s of %s was not live when the query was approved", s.ID, s.Provider)
		}
		if s.Records < 1 || s.Records > dt.ds.Policy.MaxRecordsPerSubmission {
			p.add(e, "submission %s of %s declares %d records; the policy allows 1 to %d (maxRecordsPerSubmission)", s.ID, s.Provider, s.Records, dt.ds.Policy.MaxRecordsPerSubmission)
		}
		if s.ParamSetID != dt.ds.ParamSetID {
			p.add(e, "submission %s of %s uses parameter set %s, not the dataset's %s", s.ID, s.Provider, s.ParamSetID, dt.ds.ParamSetID)
		}
		for _, d := range s.Digests() {
			owner[d] = s
			digests = append(digests, d)
		}
	}
	for _, s := range dt.submissions {
		if !frozen[s.ID] && (q.Period == "" || s.Period == q.Period) && liveAt(s, approved) {
			p.add(Evidence{Kind: "submission", ID: s.ID, TxID: s.TxID, Org: s.Provider, Note: "live, not frozen"}, "submission %s of %s was live when the query was approved but is not among its inputs", s.ID, s.Provider)
		}
	}
	if n := len(q.SubmissionIDs); n < dt.ds.Policy.MinSubmissions || n > dt.ds.Policy.MaxSubmissions {
		p.note("the query combines %d submissions; the policy allows %d to %d", n, dt.ds.Policy.MinSubmissions, dt.ds.Policy.MaxSubmissions)
	}
	slices.Sort(digests)
	if !slices.Equal(digests, q.InputDigests) {
		p.note("the query's %d input digests are not the %d ciphertext digests of its submissions", len(q.InputDigests), len(digests))
	}
	inputs, _, err := compute.Fetch(ctx, blobs, q.InputDigests)
	if err != nil {
		ies := compute.InputErrors(err)
		if len(ies) == 0 {
			p.note("cannot read the inputs: %v", err)
		}
		for _, ie := range ies {
			s, ok := owner[ie.Digest]
			e := Evidence{Kind: "blob", ID: s.ID, Digest: ie.Digest, Org: s.Provider, Note: "input blob unreadable or altered"}
			if !ok {
				p.add(e, "input blob %s, of none of the query's submissions, does not verify: %v", ie.Digest, ie.Err)
				continue
			}
			p.add(e, "the blob of submission %s (provider %s, digest %s) does not verify: %v", s.ID, s.Provider, ie.Digest, ie.Err)
		}
		inputs = nil
	}
	for _, in := range inputs {
		d := hex.EncodeToString(in.Digest[:])
		s := owner[d]
		if got := sha256.Sum256(in.Data); got != in.Digest {
			p.add(Evidence{Kind: "blob", ID: s.ID, Digest: d, Org: s.Provider, Note: "input blob altered"},
				"the blob of submission %s (provider %s) hashes to %x, not to its digest %s", s.ID, s.Provider, got, d)
			inputs = nil
			break
		}
		for _, ct := range s.Ciphertexts {
			if ct.Digest == d && ct.Size != int64(len(in.Data)) {
				p.add(Evidence{Kind: "blob", ID: s.ID, Digest: d, Org: s.Provider, Note: "input blob of another size"},
					"the blob of submission %s is %d bytes, not the %d recorded", s.ID, len(in.Data), ct.Size)
			}
		}
	}
	return inputs, p.check(CheckInputs, fmt.Sprintf("%d submissions live at approval (transaction %s), %d blobs verified", len(q.SubmissionIDs), approved.TxID, len(inputs)), ev)
}

// liveAt reports whether submission s was live when the version v was written: submitted
// before, and not superseded before.
func liveAt(s ledger.Submission, v version[ledger.Query]) bool {
	if s.SubmittedAt.After(v.At) {
		return false
	}
	if s.Status == ledger.StatusSuperseded && !s.UpdatedAt.After(v.At) {
		return false
	}
	return true
}

// checkComputation re-executes the query on its inputs (package compute, the worker's
// own code) and compares every posted result with it.
func (a *Auditor) checkComputation(ctx context.Context, dt *datasetTrail, qt *queryTrail, inputs []eval.Input) Check {
	q := qt.q
	if !qt.reached(ledger.StatusApproved) {
		return pending(CheckComputation, "never approved; nothing to compute")
	}
	results, err := a.ledger.ListResults(ctx, q.ID)
	if err != nil {
		return failed(CheckComputation, "cannot read the results: "+err.Error(), nil)
	}
	slices.SortFunc(results, func(x, y ledger.Result) int { return cmpString(x.WorkerMSPID, y.WorkerMSPID) })
	if len(results) == 0 {
		if q.Status == ledger.StatusApproved {
			return pending(CheckComputation, "no worker result yet")
		}
		return pending(CheckComputation, "no worker result was posted")
	}
	var p problems
	var ev []Evidence
	if inputs == nil {
		for _, r := range results {
			ev = append(ev, Evidence{Kind: "result", ID: q.ID, TxID: r.TxID, Digest: r.OutputDigest, Org: r.WorkerMSPID})
		}
		return failed(CheckComputation, "cannot re-execute: the inputs do not verify (see the inputs check)", ev)
	}
	task, err := compute.Prepare(ctx, a.keys, dt.ds, q)
	var res *eval.Result
	if err == nil {
		res, err = task.Run(inputs)
	}
	if err != nil {
		return failed(CheckComputation, "cannot re-execute: "+err.Error(), nil)
	}
	want := hex.EncodeToString(res.Digest[:])
	agree := 0
	var liars []string
	for _, r := range results {
		e := Evidence{Kind: "result", ID: q.ID, TxID: r.TxID, Digest: r.OutputDigest, Org: r.WorkerMSPID}
		if r.OutputDigest == want {
			e.Note = "matches the re-execution"
		} else {
			e.Note = "differs from the re-execution " + want
			liars = append(liars, r.WorkerMSPID)
			p.add(e, "worker %s posted output digest %s; the re-execution gives %s", r.WorkerMSPID, r.OutputDigest, want)
			continue
		}
		if !slices.Equal(r.InputDigests, q.InputDigests) {
			p.add(e, "worker %s posted input digests other than the frozen ones", r.WorkerMSPID)
			continue
		}
		agree++
		ev = append(ev, e)
	}
	switch {
	case q.Status == ledger.StatusApproved && agree < q.RequiredResults && len(liars) == 0:
		return Check{Name: CheckComputation, Status: StatusPending, Detail: fmt.Sprintf("%d of %d matching worker results", agree, q.RequiredResults), Evidence: ev}
	case q.OutputDigest != "" && q.OutputDigest != want:
		p.note("the query's agreed output digest %s is not the re-execution's %s", q.OutputDigest, want)
	case qt.reached(ledger.StatusDecrypting) && agree < q.RequiredResults:
		p.note("decryption started with %d matching worker results; the policy requires %d", agree, q.RequiredResults)
	}
	return p.check(CheckComputation, fmt.Sprintf("re-executed: output digest %s; %d of %d required workers agree", want, agree, q.RequiredResults), ev)
}

// checkShares checks the decryption shares: from distinct decryptors of the query, each
// a key holder of the consortium and a participant of the key, each recorded once by its
// own transaction, at least the key's threshold of them, each blob in the store with its
// digest.
func (a *Auditor) checkShares(ctx context.Context, c ledger.Consortium, dt *datasetTrail, qt *queryTrail, blobs *blobCache) Check {
	q := qt.q
	if !qt.reached(ledger.StatusDecrypting) {
		return pending(CheckShares, "decryption has not started")
	}
	shares, err := a.ledger.ListDecryptionShares(ctx, q.ID)
	if err != nil {
		return failed(CheckShares, "cannot read the decryption shares: "+err.Error(), nil)
	}
	slices.SortFunc(shares, func(x, y ledger.DecryptionShare) int { return cmpString(x.KeyHolder, y.KeyHolder) })
	t := len(q.Decryptors)
	if dt.keyErr == nil {
		t = dt.key.Threshold
	}
	var p problems
	var ev []Evidence
	seen := map[string]bool{}
	var holders []string
	for _, s := range shares {
		e := Evidence{Kind: "share", ID: q.ID, TxID: s.TxID, Digest: s.Digest, Org: s.KeyHolder}
		ev = append(ev, e)
		if seen[s.KeyHolder] {
			p.add(e, "%s posted more than one share", s.KeyHolder)
		}
		seen[s.KeyHolder] = true
		holders = append(holders, s.KeyHolder)
		if !slices.Contains(q.Decryptors, s.KeyHolder) {
			p.add(e, "%s is not one of the query's decryptors (%s)", s.KeyHolder, strings.Join(q.Decryptors, ", "))
		}
		if !c.HasRole(s.KeyHolder, ledger.RoleKeyHolder) || (dt.keyErr == nil && !slices.Contains(dt.key.Participants, s.KeyHolder)) {
			p.add(e, "%s holds no share of collective key %s", s.KeyHolder, dt.ds.KeyID)
		}
		if v, prev, ok := qt.byTx(s.TxID); !ok || !slices.Contains(v.V.ShareOrgs, s.KeyHolder) || slices.Contains(prev.V.ShareOrgs, s.KeyHolder) {
			p.add(e, "the share of %s is not what its transaction %s recorded on the query", s.KeyHolder, s.TxID)
		}
		data, err := blobs.Get(ctx, s.Digest)
		switch {
		case err != nil:
			p.add(e, "the share blob of %s (digest %s) does not verify: %v", s.KeyHolder, s.Digest, err)
		case hex.EncodeToString(sha256Of(data)) != s.Digest:
			p.add(e, "the share blob of %s does not hash to its digest %s", s.KeyHolder, s.Digest)
		case int64(len(data)) != s.Size:
			p.add(e, "the share blob of %s is %d bytes, not the %d recorded", s.KeyHolder, len(data), s.Size)
		}
	}
	if !slices.Equal(holders, q.ShareOrgs) {
		p.note("the query lists shares from %s, the ledger holds shares from %s", strings.Join(q.ShareOrgs, ", "), strings.Join(holders, ", "))
	}
	if !p.any() && len(shares) < t {
		if q.Status == ledger.StatusDecrypting {
			return Check{Name: CheckShares, Status: StatusPending, Detail: fmt.Sprintf("%d of %d decryption shares", len(shares), t), Evidence: ev}
		}
		p.note("only %d decryption shares; the threshold is %d", len(shares), t)
	}
	return p.check(CheckShares, fmt.Sprintf("%d shares (threshold %d) from distinct decryptors: %s", len(shares), t, strings.Join(holders, ", ")), ev)
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// checkRelease checks the release record against the query and the published table:
// the table on the ledger (public releases) and the blob at the release's URI must hash
// to the recorded digest, and the table's suppressed cells must be the recorded ones.
func (a *Auditor) checkRelease(ctx context.Context, dt *datasetTrail, qt *queryTrail) Check {
	q := qt.q
	if q.Status != ledger.StatusReleased {
		if q.Status == ledger.StatusReady || q.Status == ledger.StatusDecrypting || q.Status == ledger.StatusApproved || q.Status == ledger.StatusPending {
			return pending(CheckRelease, "not released yet")
		}
		return pending(CheckRelease, "never released ("+string(q.Status)+")")
	}
	rel, err := a.ledger.GetRelease(ctx, q.ID)
	if err != nil {
		return failed(CheckRelease, "cannot read the release: "+err.Error(), nil)
	}
	e := Evidence{Kind: "release", ID: q.ID, TxID: rel.TxID, Digest: rel.TableDigest, Org: rel.Analyst}
	ev := []Evidence{e}
	var p problems
	if rel.TableDigest != q.ReleaseDigest {
		p.add(e, "the release's table digest %s is not the query's %s", rel.TableDigest, q.ReleaseDigest)
	}
	if rel.Analyst != q.Requester {
		p.add(e, "the release was recorded by %s, not by the requester %s", rel.Analyst, q.Requester)
	}
	if rel.Cells != q.Cells {
		p.add(e, "the release has %d cells, the query %d", rel.Cells, q.Cells)
	}
	if v, _, ok := qt.byTx(rel.TxID); !ok || v.V.Status != ledger.StatusReleased {
		p.add(e, "transaction %s of the release did not release the query", rel.TxID)
	}
	var tables []publishedTable
	public := dt.ds.Policy.PublicReleases
	switch {
	case public && rel.Table == "":
		p.add(e, "the dataset's releases are public, but the release carries no table")
	case !public && rel.Table != "":
		p.add(e, "the dataset's releases are private, but the release carries its table on the ledger")
	case rel.Table != "":
		if d := hex.EncodeToString(sha256Of([]byte(rel.Table))); d != rel.TableDigest {
			p.add(e, "the table on the ledger hashes to %s, not to the release's digest %s", d, rel.TableDigest)
		} else {
			tables = append(tables, publishedTable{where: "the table on the ledger", data: []byte(rel.Table)})
		}
	}
	if rel.TableURI != "" {
		be := Evidence{Kind: "blob", ID: q.ID, Digest: rel.TableDigest, Org: rel.Analyst, Note: "published table at " + rel.TableURI}
		ev = append(ev, be)
		if last := rel.TableURI[strings.LastIndexAny(rel.TableURI, "/:")+1:]; last != rel.TableDigest {
			p.add(be, "the table URI %s does not name the table's digest %s", rel.TableURI, rel.TableDigest)
		} else if data, err := a.store.Get(ctx, rel.TableDigest); err != nil {
			p.add(be, "the published table at %s does not verify: %v", rel.TableURI, err)
		} else if d := hex.EncodeToString(sha256Of(data)); d != rel.TableDigest {
			p.add(be, "the published table at %s hashes to %s, not to the release's digest %s", rel.TableURI, d, rel.TableDigest)
		} else {
			tables = append(tables, publishedTable{where: "the published table", data: data})
		}
	}
	if rel.Table == "" && rel.TableURI == "" {
		p.add(e, "the release names no published table to check its digest against")
	}
	for _, t := range tables {
		if err := t.consistent(q, rel); err != nil {
			p.add(e, "%s: %v", t.where, err)
		}
	}
	return p.check(CheckRelease, fmt.Sprintf("table %s matches the published table; %d of %d cells suppressed", rel.TableDigest, len(rel.Suppressed), rel.Cells), ev)
}

// publishedTable is a released table the audit read, and where from.
type publishedTable struct {
	where string
	data  []byte
}

// consistent checks a canonical JSON table (package release) against the query and its
// release record: the IDs, one row per cell, and the suppressed cells flagged.
func (t publishedTable) consistent(q ledger.Query, rel ledger.Release) error {
	var doc struct {
		Version   string `json:"version"`
		DatasetID string `json:"datasetID"`
		QueryID   string `json:"queryID"`
		Rows      []struct {
			Value      json.RawMessage    `json:"value"`
			ObsStatus  release.ObsStatus  `json:"obsStatus"`
			ConfStatus release.ConfStatus `json:"confStatus"`
		} `json:"rows"`
		Suppressed []int `json:"suppressed"`
	}
	if rel.Format != ledger.FormatJSON {
		return nil // only the canonical JSON is read back
	}
	if err := json.Unmarshal(t.data, &doc); err != nil {
		return fmt.Errorf("not a canonical table: %w", err)
	}
	switch {
	case doc.Version != release.Version:
		return fmt.Errorf("layout %q, not %q", doc.Version, release.Version)
	case doc.QueryID != q.ID || doc.DatasetID != q.DatasetID:
		return fmt.Errorf("the table is of query %s of dataset %s", doc.QueryID, doc.DatasetID)
	case len(doc.Rows) != rel.Cells:
		return fmt.Errorf("%d rows for %d cells", len(doc.Rows), rel.Cells)
	}
	var flagged []int
	for i, r := range doc.Rows {
		if r.ConfStatus == release.ConfConfidential {
			flagged = append(flagged, i)
			if string(r.Value) != "null" || r.ObsStatus != release.ObsSuppressed {
				return fmt.Errorf("suppressed row %d shows a value or another status", i)
			}
		}
	}
	if !slices.Equal(flagged, doc.Suppressed) || !slices.Equal(normal(doc.Suppressed), normal(rel.Suppressed)) {
		return errors.New("the suppressed cells flagged in the table differ from those recorded in the release")
	}
	return nil
}

func normal(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return s
}

// checkChain checks that every transaction cited by the query's checks is in a compared
// block and valid.
func checkChain(ch Chain, checks []Check) Check {
	var p problems
	var ev []Evidence
	seen := map[string]bool{}
	for _, c := range checks {
		for _, e := range c.Evidence {
			if e.TxID == "" || seen[e.TxID] {
				continue
			}
			seen[e.TxID] = true
			block, valid, found := ch.Tx(e.TxID)
			be := Evidence{Kind: "block", ID: fmt.Sprint(block), TxID: e.TxID, Org: e.Org}
			switch {
			case !found:
				be.ID = ""
				p.add(be, "transaction %s is in no compared block", e.TxID)
			case !valid:
				p.add(be, "transaction %s in block %d is invalid", e.TxID, block)
			default:
				ev = append(ev, be)
			}
		}
	}
	return p.check(CheckChain, fmt.Sprintf("%d transactions found valid in the compared blocks", len(ev)), ev)
}
