package dashboard

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/policies"
)

// The JSON the page reads. Every string in it may come from the ledger and is shown
// with textContent.

// Overview is what GET /api/overview returns: everything but the queries' timelines.
type Overview struct {
	// Version grows by one with every change of the dashboard's view.
	Version     uint64             `json:"version"`
	GeneratedAt time.Time          `json:"generatedAt"`
	Stream      StreamState        `json:"stream"`
	LedgerError string             `json:"ledgerError,omitempty"`
	Consortium  *ConsortiumView    `json:"consortium"`
	Chain       *audit.ChainReport `json:"chain"`
	Datasets    []DatasetView      `json:"datasets"`
	Queries     []QuerySummary     `json:"queries"`
}

// StreamState says whether the dashboard follows the chaincode's events.
type StreamState struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
}

// ConsortiumView is the consortium record as the page shows it.
type ConsortiumView struct {
	Name       string    `json:"name"`
	Version    int       `json:"version"`
	Threshold  int       `json:"threshold"`
	KeyHolders int       `json:"keyHolders"`
	Orgs       []OrgView `json:"orgs"`
}

// OrgView is one organisation: its roles, key holder included, sorted.
type OrgView struct {
	Name      string   `json:"name"`
	MSPID     string   `json:"mspID"`
	Roles     []string `json:"roles"`
	KeyHolder bool     `json:"keyHolder"`
}

// DatasetView is a dataset with its budget, its submissions and its audit checks.
type DatasetView struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Status       string           `json:"status"`
	Registrant   string           `json:"registrant"`
	TxID         string           `json:"txID"`
	RegisteredAt time.Time        `json:"registeredAt"`
	Budget       BudgetView       `json:"budget"`
	Submissions  []SubmissionView `json:"submissions"`
	// Audit is the verdict of the dataset's checks, Stale whether a new audit is under
	// way: see QuerySummary.
	Audit  string        `json:"audit"`
	Stale  bool          `json:"stale"`
	Checks []audit.Check `json:"checks,omitempty"`
}

// BudgetView is a privacy budget in epsilon, written as decimals.
type BudgetView struct {
	Total     string `json:"total"`
	Spent     string `json:"spent"`
	Remaining string `json:"remaining"`
	// SpentPercent is the share of the budget spent, 0 to 100.
	SpentPercent int `json:"spentPercent"`
}

// SubmissionView is one submission.
type SubmissionView struct {
	ID          string    `json:"id"`
	Provider    string    `json:"provider"`
	Period      string    `json:"period"`
	Records     int64     `json:"records"`
	Ciphertexts int       `json:"ciphertexts"`
	Status      string    `json:"status"`
	TxID        string    `json:"txID"`
	SubmittedAt time.Time `json:"submittedAt"`
}

// The verdicts of an audit as the page shows them (QuerySummary.Audit).
const (
	VerdictPass      = "pass"      // every check passed
	VerdictFail      = "fail"      // a check failed
	VerdictPending   = "pending"   // no check failed, some wait for a later step
	VerdictUnaudited = "unaudited" // not audited yet
	VerdictError     = "error"     // the audit itself failed; AuditError says why
)

// QuerySummary is one line of the list of queries.
type QuerySummary struct {
	ID          string    `json:"id"`
	DatasetID   string    `json:"datasetID"`
	Statistic   string    `json:"statistic"`
	Status      string    `json:"status"`
	Requester   string    `json:"requester"`
	RequestedAt time.Time `json:"requestedAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	Audit       string    `json:"audit"`
	// Stale says the query changed on the ledger after its last audit, and a new one
	// is under way.
	Stale bool `json:"stale"`
}

// QueryDetail is what GET /api/queries/{id} returns.
type QueryDetail struct {
	QuerySummary
	Description  string        `json:"description"`
	Epsilon      string        `json:"epsilon"`
	Cells        int           `json:"cells"`
	Rule         string        `json:"rule"`
	Decryptors   []string      `json:"decryptors"`
	StatusReason string        `json:"statusReason,omitempty"`
	Stages       []Stage       `json:"stages"`
	Checks       []audit.Check `json:"checks"`
	AuditedAt    time.Time     `json:"auditedAt,omitzero"`
	AuditError   string        `json:"auditError,omitempty"`
	// Table is the released table when the policy made it public, cut to
	// maxTablePreview bytes.
	Table string `json:"table,omitempty"`
}

// The timeline's stages, in order, and the states of a stage.
const (
	StageRequest   = "request"
	StageApprovals = "approvals"
	StageResults   = "results"
	StageShares    = "shares"
	StageRelease   = "release"

	StateDone    = "done"    // the stage is complete
	StateWaiting = "waiting" // the query is at this stage
	StateLater   = "later"   // the query has not reached this stage
	StateStopped = "stopped" // the query stopped here (rejected, cancelled, disputed)
)

// stageChecks are the audit checks that verify each stage.
var stageChecks = map[string][]audit.CheckName{
	StageRequest:   {audit.CheckPolicy},
	StageApprovals: {audit.CheckApprovals, audit.CheckBudget},
	StageResults:   {audit.CheckInputs, audit.CheckComputation},
	StageShares:    {audit.CheckShares},
	StageRelease:   {audit.CheckRelease},
}

// Stage is one stage of a query's timeline with the ledger records of its steps.
type Stage struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	State string `json:"state"`
	// Note says what the stage waits for, or why the query stopped.
	Note   string     `json:"note,omitempty"`
	Steps  []Step     `json:"steps"`
	Checks []CheckRef `json:"checks"`
}

// Step is one transaction of a stage.
type Step struct {
	Org    string    `json:"org"`
	TxID   string    `json:"txID"`
	At     time.Time `json:"at"`
	Digest string    `json:"digest,omitempty"`
	// Worker is the identity of the worker process that posted a result.
	Worker string `json:"worker,omitempty"`
	Note   string `json:"note,omitempty"`
}

// CheckRef is the status of one audit check of a stage ("" when not audited).
type CheckRef struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// maxTablePreview caps the released table the detail carries.
const maxTablePreview = 4096

// trail is what the ledger holds about one query.
type trail struct {
	query   ledger.Query
	results []ledger.Result
	shares  []ledger.DecryptionShare
	release *ledger.Release
}

// auditState is the last audit of a query or a dataset.
type auditState struct {
	checks []audit.Check
	passed bool
	at     time.Time
	err    string
	// stale: the record changed on the ledger after this audit.
	stale bool
	// done: an audit report (or error) exists.
	done bool
}

// verdict returns the page's verdict of an audit.
func (a auditState) verdict() string {
	switch {
	case !a.done:
		return VerdictUnaudited
	case a.err != "":
		return VerdictError
	case !a.passed:
		return VerdictFail
	}
	for _, c := range a.checks {
		if c.Status == audit.StatusFail {
			return VerdictFail
		}
	}
	for _, c := range a.checks {
		if c.Status == audit.StatusPending {
			return VerdictPending
		}
	}
	return VerdictPass
}

func consortiumView(c ledger.Consortium) *ConsortiumView {
	v := &ConsortiumView{Name: c.Name, Version: c.Version, Threshold: c.Threshold, KeyHolders: len(c.KeyHolders())}
	for _, o := range c.Orgs {
		roles := []string{}
		for _, r := range c.OrgRoles(o.MSPID) {
			roles = append(roles, string(r))
		}
		v.Orgs = append(v.Orgs, OrgView{Name: o.Name, MSPID: o.MSPID, Roles: roles, KeyHolder: o.KeyHolder})
	}
	return v
}

func budgetView(b ledger.Budget) BudgetView {
	v := BudgetView{
		Total:     policies.Epsilon(b.TotalMicroEpsilon).String(),
		Spent:     policies.Epsilon(b.SpentMicroEpsilon).String(),
		Remaining: policies.Epsilon(b.Remaining()).String(),
	}
	if b.TotalMicroEpsilon > 0 {
		v.SpentPercent = int(min(100, max(0, b.SpentMicroEpsilon*100/b.TotalMicroEpsilon)))
	}
	return v
}

func submissionViews(subs []ledger.Submission) []SubmissionView {
	out := make([]SubmissionView, 0, len(subs))
	for _, s := range subs {
		out = append(out, SubmissionView{ID: s.ID, Provider: s.Provider, Period: s.Period, Records: s.Records,
			Ciphertexts: len(s.Ciphertexts), Status: string(s.Status), TxID: s.TxID, SubmittedAt: s.SubmittedAt})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	return out
}

func summary(q ledger.Query, a auditState) QuerySummary {
	return QuerySummary{ID: q.ID, DatasetID: q.DatasetID, Statistic: string(q.Spec.Statistic), Status: string(q.Status),
		Requester: q.Requester, RequestedAt: q.RequestedAt, UpdatedAt: q.UpdatedAt, Audit: a.verdict(), Stale: a.stale}
}

// describe writes a query's specification in a line, such as
// "mean of lengthOfStay by region, sex where sex in F".
func describe(s policies.Query) string {
	var b strings.Builder
	b.WriteString(string(s.Statistic))
	if s.Measure != "" {
		b.WriteString(" of " + s.Measure)
	}
	if len(s.GroupBy) > 0 {
		b.WriteString(" by " + strings.Join(s.GroupBy, ", "))
	}
	for i, f := range s.Filters {
		if i == 0 {
			b.WriteString(" where ")
		} else {
			b.WriteString(" and ")
		}
		b.WriteString(f.Dimension + " in " + strings.Join(f.Codes, ", "))
	}
	return b.String()
}

func ruleText(r policies.ApprovalRule) string {
	s := "at least " + plural(r.MinApprovals, "approval") + " from distinct members"
	if r.ExcludeRequester {
		s += ", not the requester's"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// detail builds a query's detail from its trail and its last audit.
func detail(tr trail, a auditState) QueryDetail {
	q := tr.query
	d := QueryDetail{
		QuerySummary: summary(q, a),
		Description:  describe(q.Spec),
		Epsilon:      policies.Epsilon(q.EpsilonMicro).String(),
		Cells:        q.Cells,
		Rule:         ruleText(q.Rule),
		Decryptors:   append([]string{}, q.Decryptors...),
		StatusReason: q.StatusReason,
		Stages:       timeline(tr),
		Checks:       append([]audit.Check{}, a.checks...),
		AuditedAt:    a.at,
		AuditError:   a.err,
	}
	if tr.release != nil && tr.release.Table != "" {
		d.Table = tr.release.Table
		if len(d.Table) > maxTablePreview {
			d.Table = d.Table[:maxTablePreview] + "\n…"
		}
	}
	status := map[audit.CheckName]audit.Status{}
	for _, c := range a.checks {
		status[c.Name] = c.Status
	}
	for i := range d.Stages {
		for _, name := range stageChecks[d.Stages[i].Name] {
			d.Stages[i].Checks = append(d.Stages[i].Checks, CheckRef{Name: string(name), Status: string(status[name])})
		}
	}
	return d
}

// reached is how far each query status has come: the index of the stage the query is at.
var reached = map[ledger.Status]int{
	ledger.StatusPending:    1,
	ledger.StatusRejected:   1,
	ledger.StatusApproved:   2,
	ledger.StatusDisputed:   2,
	ledger.StatusDecrypting: 3,
	ledger.StatusReady:      4,
	ledger.StatusReleased:   5,
}

// timeline lays a query's records out as its five stages.
func timeline(tr trail) []Stage {
	q := tr.query
	stages := []Stage{
		{Name: StageRequest, Title: "Request", Steps: []Step{{Org: q.Requester, TxID: q.TxID, At: q.RequestedAt,
			Digest: q.RequestDigest, Note: describe(q.Spec) + "; ε " + policies.Epsilon(q.EpsilonMicro).String()}}},
		{Name: StageApprovals, Title: "Approvals", Steps: approvalSteps(q.Approvals)},
		{Name: StageResults, Title: "Worker results", Steps: resultSteps(tr.results)},
		{Name: StageShares, Title: "Decryption shares", Steps: shareSteps(tr.shares)},
		{Name: StageRelease, Title: "Release", Steps: []Step{}},
	}
	if r := tr.release; r != nil {
		stages[4].Steps = append(stages[4].Steps, Step{Org: r.Analyst, TxID: r.TxID, At: r.ReleasedAt, Digest: r.TableDigest,
			Note: plural(r.Cells, "cell") + ", " + strconv.Itoa(len(r.Suppressed)) + " suppressed, " + r.Format})
	}
	at, known := reached[q.Status]
	if q.Status == ledger.StatusCancelled {
		// A cancelled query stops at the first stage it has no record of.
		at = 1
		for at < len(stages) && len(stages[at].Steps) > 0 {
			at++
		}
		known = true
	}
	if !known {
		at = 0
	}
	for i := range stages {
		switch {
		case i < at:
			stages[i].State = StateDone
		case i > at:
			stages[i].State = StateLater
		case q.Status == ledger.StatusRejected || q.Status == ledger.StatusCancelled || q.Status == ledger.StatusDisputed:
			stages[i].State = StateStopped
			stages[i].Note = "query " + string(q.Status)
			if q.StatusReason != "" {
				stages[i].Note += ": " + q.StatusReason
			}
		default:
			stages[i].State = StateWaiting
			stages[i].Note = waitingFor(stages[i].Name, tr)
		}
	}
	return stages
}

// waitingFor says what a query waits for at a stage.
func waitingFor(stage string, tr trail) string {
	q := tr.query
	switch stage {
	case StageApprovals:
		approvals := 0
		for _, a := range q.Approvals {
			if a.Decision == ledger.DecisionApprove {
				approvals++
			}
		}
		return "needs " + plural(max(q.Rule.MinApprovals-approvals, 1), "more approval")
	case StageResults:
		return "needs " + plural(max(q.RequiredResults-len(tr.results), 1), "more worker result")
	case StageShares:
		var missing []string
		for _, d := range q.Decryptors {
			if !slices.Contains(q.ShareOrgs, d) {
				missing = append(missing, d)
			}
		}
		return "needs shares from " + strings.Join(missing, ", ")
	case StageRelease:
		return "ready for the analyst to release"
	}
	return ""
}

func approvalSteps(as []ledger.Approval) []Step {
	out := []Step{}
	for _, a := range as {
		note := string(a.Decision)
		if a.Reason != "" {
			note += ": " + a.Reason
		}
		out = append(out, Step{Org: a.MSPID, TxID: a.TxID, At: a.At, Note: note})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func resultSteps(rs []ledger.Result) []Step {
	out := []Step{}
	for _, r := range rs {
		out = append(out, Step{Org: r.WorkerMSPID, TxID: r.TxID, At: r.PostedAt, Digest: r.OutputDigest, Worker: r.WorkerID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func shareSteps(ss []ledger.DecryptionShare) []Step {
	out := []Step{}
	for _, s := range ss {
		out = append(out, Step{Org: s.KeyHolder, TxID: s.TxID, At: s.PostedAt, Digest: s.Digest})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
