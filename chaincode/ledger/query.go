package ledger

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/statledger/statledger/policies"
)

// Query is an analyst's request for a table, with its approvals and its progress.
//
// Status moves pending → approved (the approval rule is met: the submission set is frozen
// and the budget debited) → decrypting (RequiredResults identical worker results) → ready
// (a decryption share from every one of the Decryptors) → released. From pending it may
// instead become rejected (a member's veto) or cancelled (by the requester); from
// approved or disputed, cancelled with a refund; from approved, disputed (worker results
// disagree). There is no refund once a query is decrypting.
type Query struct {
	ID             string         `json:"id"`
	IdempotencyKey string         `json:"idempotencyKey"`
	RequestDigest  string         `json:"requestDigest"`
	DatasetID      string         `json:"datasetID"`
	Period         string         `json:"period,omitempty"`
	Spec           policies.Query `json:"spec"`
	// EpsilonMicro is the privacy loss the query spends, in micro-epsilon.
	EpsilonMicro int64 `json:"epsilonMicro"`
	// Cells is the number of cells of the released table (policies.OutputCells).
	Cells int `json:"cells"`
	// Rule and RequiredResults are copied from the dataset's policy at request time.
	Rule            policies.ApprovalRule `json:"rule"`
	RequiredResults int                   `json:"requiredResults"`
	Requester       string                `json:"requester"`
	// AnalystKeyDigest is the SHA-256 digest (hex) of the analyst's public key blob, at
	// AnalystKeyURI: the key that decryption shares re-encrypt the result towards. Key
	// holders take it from here, never from the requester off the ledger.
	AnalystKeyDigest string `json:"analystKeyDigest"`
	AnalystKeyURI    string `json:"analystKeyURI"`
	// Decryptors are the MSP IDs of the key holders that decrypt the query, sorted:
	// exactly the threshold t of the dataset's collective key, each a participant of it.
	// They are fixed when the query is requested, before the first decryption share
	// (a threshold protocol is never re-run for another active set); only they may post
	// shares, and the query is ready when all of them have.
	Decryptors []string   `json:"decryptors"`
	Approvals  []Approval `json:"approvals"`
	Status     Status     `json:"status"`
	// SubmissionIDs and InputDigests are the frozen input set, sorted; set on approval.
	SubmissionIDs []string `json:"submissionIDs"`
	InputDigests  []string `json:"inputDigests"`
	// OutputDigest is the agreed result digest; set when the query is decrypting.
	OutputDigest string `json:"outputDigest,omitempty"`
	// ShareOrgs are the key holders that posted a decryption share, sorted.
	ShareOrgs     []string `json:"shareOrgs"`
	ReleaseDigest string   `json:"releaseDigest,omitempty"`
	// StatusReason says briefly why a query was rejected, cancelled or disputed.
	StatusReason string `json:"statusReason,omitempty"`
	// CancelReason is the requester's reason for cancelling.
	CancelReason string    `json:"cancelReason,omitempty"`
	TxID         string    `json:"txID"`
	RequestedAt  time.Time `json:"requestedAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// QueryInput is the argument of RequestQuery. IdempotencyKey names the request: sending
// the same key and content again returns the existing query and spends nothing. Period
// restricts the query to one period's submissions; empty means the live submissions of
// every period. AnalystKeyDigest (the SHA-256 of the analyst's public key blob, 64
// lowercase hex digits) and AnalystKeyURI (where that blob is) name the key the result
// is re-encrypted towards. Decryptors are the MSP IDs of the key holders that will
// decrypt: exactly the threshold t of the dataset's collective key, distinct, each a
// participant of that key; their order does not matter.
type QueryInput struct {
	IdempotencyKey   string         `json:"idempotencyKey"`
	DatasetID        string         `json:"datasetID"`
	Period           string         `json:"period,omitempty"`
	Spec             policies.Query `json:"spec"`
	AnalystKeyDigest string         `json:"analystKeyDigest"`
	AnalystKeyURI    string         `json:"analystKeyURI"`
	Decryptors       []string       `json:"decryptors"`
}

// Validate checks the input on its own. It returns an INVALID *Error.
func (in QueryInput) Validate() error {
	if err := validateToken("idempotency key", in.IdempotencyKey, MaxIdempotencyKeyLength); err != nil {
		return err
	}
	if err := ValidateID("dataset ID", in.DatasetID); err != nil {
		return err
	}
	if in.Period != "" {
		if err := ValidateID("period", in.Period); err != nil {
			return err
		}
	}
	if err := in.Spec.Validate(); err != nil {
		return invalid("%w", err)
	}
	if err := ValidateDigest("analyst key digest", in.AnalystKeyDigest); err != nil {
		return err
	}
	if err := ValidateURI("analyst key URI", in.AnalystKeyURI); err != nil {
		return err
	}
	if len(in.Decryptors) == 0 || len(in.Decryptors) > MaxOrgs {
		return invalid("a query needs 1 to %d decryptors, not %d", MaxOrgs, len(in.Decryptors))
	}
	for _, d := range in.Decryptors {
		if err := ValidateID("decryptor MSP ID", d); err != nil {
			return err
		}
	}
	if sorted, ok := sortedUnique(in.Decryptors); !ok {
		return invalid("decryptors must be distinct; %s is named twice", firstRepeat(sorted))
	}
	return nil
}

// Digest returns the SHA-256 digest of the request's content (dataset, period,
// specification, analyst key and the set of decryptors, in canonical JSON), which
// idempotent replays must match.
func (in QueryInput) Digest() string {
	decryptors, _ := sortedUnique(in.Decryptors)
	b, err := json.Marshal(struct {
		DatasetID        string         `json:"datasetID"`
		Period           string         `json:"period"`
		Spec             policies.Query `json:"spec"`
		AnalystKeyDigest string         `json:"analystKeyDigest"`
		AnalystKeyURI    string         `json:"analystKeyURI"`
		Decryptors       []string       `json:"decryptors"`
	}{in.DatasetID, in.Period, in.Spec, in.AnalystKeyDigest, in.AnalystKeyURI, decryptors})
	if err != nil {
		// A Query always marshals: it holds strings, slices of strings and an Epsilon.
		return ""
	}
	return Digest(b)
}

// ReplayQuery handles a request whose query ID already exists: the same requester with
// the same content gets the existing query back (nothing is written); different content
// under the same idempotency key is a CONFLICT.
func ReplayQuery(existing Query, in QueryInput, caller string) (Query, error) {
	if existing.Requester != caller || existing.IdempotencyKey != in.IdempotencyKey || existing.RequestDigest != in.Digest() {
		return Query{}, conflict("idempotency key %s was already used for query %s with different content; use a new key", in.IdempotencyKey, existing.ID)
	}
	return existing, nil
}

// NewQuery checks a request by analyst caller against the dataset (with the shares of
// the collective key its data is encrypted under, ds.KeyShares), its budget and the
// number of live submissions the query would run on now, and returns the pending query
// with ID id. It returns INVALID when the policy refuses the query (the message names the
// field) or the decryptors are not exactly the key's threshold of its participants that
// are key holders of c, BAD_STATE for an inactive dataset or too few or too many live
// submissions (minSubmissions, maxSubmissions; approval checks the count again) and
// BUDGET_EXCEEDED when the remaining budget is smaller than the query's epsilon.
func NewQuery(c Consortium, ds Dataset, b Budget, live int, in QueryInput, caller, id, txID string, at time.Time) (Query, error) {
	if err := in.Validate(); err != nil {
		return Query{}, err
	}
	if in.DatasetID != ds.ID {
		return Query{}, invalid("query names dataset %s, not %s", in.DatasetID, ds.ID)
	}
	if !c.HasRole(caller, RoleAnalyst) {
		return Query{}, forbidden("only an analyst may request a query; %s is not one", caller)
	}
	if err := RequireActive(ds); err != nil {
		return Query{}, err
	}
	decryptors, cells, err := checkRequest(c, ds, in)
	if err != nil {
		return Query{}, err
	}
	eps := int64(in.Spec.Epsilon)
	if eps > b.Remaining() {
		return Query{}, overBudget("dataset %s has %s epsilon left; the query asks for %s", ds.ID, policies.Epsilon(b.Remaining()), in.Spec.Epsilon)
	}
	if err := checkSubmissionCount(ds, in.Period, live); err != nil {
		return Query{}, err
	}
	return Query{
		ID:               id,
		IdempotencyKey:   in.IdempotencyKey,
		RequestDigest:    in.Digest(),
		DatasetID:        ds.ID,
		Period:           in.Period,
		Spec:             in.Spec,
		EpsilonMicro:     eps,
		Cells:            cells,
		Rule:             ds.Policy.Approval,
		RequiredResults:  max(ds.Policy.RequiredResults, 1),
		Requester:        caller,
		AnalystKeyDigest: in.AnalystKeyDigest,
		AnalystKeyURI:    in.AnalystKeyURI,
		Decryptors:       decryptors,
		Approvals:        []Approval{},
		Status:           StatusPending,
		SubmissionIDs:    []string{},
		InputDigests:     []string{},
		ShareOrgs:        []string{},
		TxID:             txID,
		RequestedAt:      at,
		UpdatedAt:        at,
	}, nil
}

// checkRequest checks a request's decryptors against the dataset's key shares and its
// specification against the dataset's policy, and returns the sorted decryptors and the
// number of output cells. It returns an INVALID *Error.
func checkRequest(c Consortium, ds Dataset, in QueryInput) ([]string, int, error) {
	decryptors, err := checkDecryptors(c, ds, in.Decryptors)
	if err != nil {
		return nil, 0, err
	}
	if err := policies.CheckQuery(ds.Schema, ds.Policy, in.Spec); err != nil {
		return nil, 0, invalid("the policy of dataset %s refuses the query: %w", ds.ID, err)
	}
	cells, err := policies.OutputCells(ds.Schema, in.Spec)
	if err != nil {
		return nil, 0, invalid("the policy of dataset %s refuses the query: %w", ds.ID, err)
	}
	return decryptors, cells, nil
}

// Input returns the request q was made from.
func (q Query) Input() QueryInput {
	return QueryInput{IdempotencyKey: q.IdempotencyKey, DatasetID: q.DatasetID, Period: q.Period, Spec: q.Spec,
		AnalystKeyDigest: q.AnalystKeyDigest, AnalystKeyURI: q.AnalystKeyURI, Decryptors: q.Decryptors}
}

// RecheckQuery checks, after the fact, the recorded query q against the consortium c,
// the dataset ds as it was when q was requested and its collective key: that the
// dataset's copy of the key's shares is the key's, the rules of NewQuery that do not
// depend on the budget or the submissions at that moment (the request on its own, the
// requester an analyst, the dataset active, the decryptors, the policy), and that every
// field NewQuery derives (request digest, epsilon, cells, approval rule, required
// results, decryptors) is the one it would have derived. An auditor calls it. It returns
// NewQuery's INVALID, FORBIDDEN and BAD_STATE errors, and an INVALID *Error naming the
// first field that differs.
func RecheckQuery(c Consortium, ds Dataset, key CollectiveKey, q Query) error {
	in := q.Input()
	if err := in.Validate(); err != nil {
		return err
	}
	if in.DatasetID != ds.ID {
		return invalid("query names dataset %s, not %s", in.DatasetID, ds.ID)
	}
	if key.ID != ds.KeyID || ds.KeyShares.Threshold != key.Threshold || !equalStrings(ds.KeyShares.Participants, key.Participants) {
		return invalid("dataset %s records key shares other than those of its collective key %s", ds.ID, ds.KeyID)
	}
	if !c.HasRole(q.Requester, RoleAnalyst) {
		return forbidden("only an analyst may request a query; %s is not one", q.Requester)
	}
	if err := RequireActive(ds); err != nil {
		return err
	}
	decryptors, cells, err := checkRequest(c, ds, in)
	if err != nil {
		return err
	}
	switch {
	case q.RequestDigest != in.Digest():
		return invalid("query %s: the request digest is not the digest of the recorded request", q.ID)
	case q.EpsilonMicro != int64(in.Spec.Epsilon):
		return invalid("query %s spends %s epsilon, but its specification asks for %s", q.ID, policies.Epsilon(q.EpsilonMicro), in.Spec.Epsilon)
	case q.Cells != cells:
		return invalid("query %s records %d output cells; the policy gives %d", q.ID, q.Cells, cells)
	case q.Rule != ds.Policy.Approval:
		return invalid("query %s records an approval rule other than the policy's", q.ID)
	case q.RequiredResults != max(ds.Policy.RequiredResults, 1):
		return invalid("query %s requires %d worker results; the policy requires %d", q.ID, q.RequiredResults, max(ds.Policy.RequiredResults, 1))
	case !equalStrings(q.Decryptors, decryptors):
		return invalid("query %s records decryptors %s, not the sorted set it named", q.ID, strings.Join(q.Decryptors, ", "))
	}
	return nil
}

// checkDecryptors checks the decryptors a query names against the shares of its
// dataset's collective key and returns them sorted: exactly the key's threshold of them,
// distinct, each a participant of the key and still a key holder of the consortium (only
// key holders may post shares). The key's threshold is the consortium's when the key was
// recorded; it is the one the key's Shamir shares were made for. It returns an INVALID
// *Error, or INTERNAL for a dataset without the copy (registered by an older contract,
// whose ledger this one cannot take over).
func checkDecryptors(c Consortium, ds Dataset, names []string) ([]string, error) {
	key := ds.KeyShares
	if key.Threshold < 1 {
		return nil, Errorf(CodeInternal, "dataset %s carries no copy of collective key %s's shares; it was registered by an older contract", ds.ID, ds.KeyID)
	}
	decryptors, ok := sortedUnique(names)
	if !ok {
		return nil, invalid("decryptors must be distinct; %s is named twice", firstRepeat(decryptors))
	}
	if len(decryptors) != key.Threshold {
		return nil, invalid("a query of dataset %s needs exactly %s, the threshold of collective key %s, not %d", ds.ID, plural(key.Threshold, "decryptor"), ds.KeyID, len(decryptors))
	}
	for _, d := range decryptors {
		if !contains(key.Participants, d) {
			return nil, invalid("decryptor %s holds no share of collective key %s; its key holders are %s", d, ds.KeyID, strings.Join(key.Participants, ", "))
		}
		if !c.HasRole(d, RoleKeyHolder) {
			return nil, invalid("decryptor %s is no longer a key holder of the consortium and could not post a decryption share", d)
		}
	}
	return decryptors, nil
}

// firstRepeat returns the first string of the sorted slice ss that equals its
// predecessor, or "".
func firstRepeat(ss []string) string {
	for i := 1; i < len(ss); i++ {
		if ss[i] == ss[i-1] {
			return ss[i]
		}
	}
	return ""
}

// checkSubmissionCount checks the number of live submissions a query of ds would run on
// against the policy's minSubmissions and maxSubmissions and MaxFrozenSubmissions. It
// returns a BAD_STATE *Error.
func checkSubmissionCount(ds Dataset, period string, live int) error {
	where := "dataset " + ds.ID
	if period != "" {
		where += " period " + period
	}
	if live < ds.Policy.MinSubmissions {
		return badState("%s has %s; the policy needs at least %d", where, plural(live, "live submission"), ds.Policy.MinSubmissions)
	}
	if live > ds.Policy.MaxSubmissions {
		hint := ""
		if period == "" {
			hint = "; restrict the query to a period"
		}
		return badState("%s has %d live submissions; its policy lets a query combine at most %d (maxSubmissions) so that sums stay exact%s", where, live, ds.Policy.MaxSubmissions, hint)
	}
	if live > MaxFrozenSubmissions {
		return badState("%s has %d live submissions; a query may run on at most %d, so restrict it to a period", where, live, MaxFrozenSubmissions)
	}
	return nil
}

// ApprovalInputs is what the approval that meets a query's rule reads: the query's
// dataset, its budget and the live-index entries of the query's dataset and period.
type ApprovalInputs struct {
	Dataset Dataset
	Budget  Budget
	Live    []LiveSubmission
}

// ApplyApproval records member caller's approval of the pending query q. When that meets
// the query's approval rule, in the same step it calls read for the query's dataset, its
// budget and its live submissions, freezes those submissions into the query, debits the
// budget and approves the query; it then returns the debited budget and the job to
// create. Otherwise the query stays pending, budget and job are nil, and read is not
// called, so that approvals that do not complete the rule read and write nothing but the
// query. It returns FORBIDDEN for a non-member or for the requester's organisation under
// ExcludeRequester, CONFLICT for an organisation that already decided, BAD_STATE when the
// query is not pending, its dataset is not active, or it has fewer live submissions than
// the policy's minSubmissions or more than its maxSubmissions (then nothing is debited),
// and BUDGET_EXCEEDED when the remaining budget is too small (then nothing changes).
func ApplyApproval(c Consortium, q Query, caller, reason, txID string, at time.Time, read func() (ApprovalInputs, error)) (Query, *Budget, *Job, error) {
	if err := checkDecider(c, q, caller, reason, false); err != nil {
		return q, nil, nil, err
	}
	q.Approvals = appendApproval(q.Approvals, Approval{MSPID: caller, Decision: DecisionApprove, Reason: reason, TxID: txID, At: at})
	q.UpdatedAt = at
	if CountApprovals(q.Approvals, q.Rule, q.Requester) < q.Rule.MinApprovals {
		return q, nil, nil, nil
	}
	in, err := read()
	if err != nil {
		return q, nil, nil, err
	}
	ds := in.Dataset
	if ds.ID != q.DatasetID {
		return q, nil, nil, Errorf(CodeInternal, "query %s names dataset %s, not %s", q.ID, q.DatasetID, ds.ID)
	}
	if err := RequireActive(ds); err != nil {
		return q, nil, nil, err
	}
	var ids, digests []string
	for _, s := range in.Live {
		if s.DatasetID != q.DatasetID || (q.Period != "" && s.Period != q.Period) {
			return q, nil, nil, Errorf(CodeInternal, "the live index of dataset %s names submission %s, which is not live for query %s", q.DatasetID, s.SubmissionID, q.ID)
		}
		ids = append(ids, s.SubmissionID)
		digests = append(digests, s.Digests...)
	}
	if err := checkSubmissionCount(ds, q.Period, len(ids)); err != nil {
		return q, nil, nil, err
	}
	nb, err := in.Budget.Debit(q.EpsilonMicro, at)
	if err != nil {
		return q, nil, nil, err
	}
	sort.Strings(ids)
	sort.Strings(digests)
	q.SubmissionIDs, q.InputDigests = ids, digests
	q.Status = StatusApproved
	job := NewJob(q, at)
	return q, &nb, &job, nil
}

// ApplyRejection records member caller's veto of the pending query q: the query becomes
// rejected. A reason is required. It returns the errors of ApplyApproval's checks.
func ApplyRejection(c Consortium, q Query, caller, reason, txID string, at time.Time) (Query, error) {
	if err := checkDecider(c, q, caller, reason, true); err != nil {
		return q, err
	}
	q.Approvals = appendApproval(q.Approvals, Approval{MSPID: caller, Decision: DecisionReject, Reason: reason, TxID: txID, At: at})
	q.Status = StatusRejected
	q.StatusReason = "rejected by " + caller
	q.UpdatedAt = at
	return q, nil
}

func checkDecider(c Consortium, q Query, caller, reason string, reasonRequired bool) error {
	if err := validateText("reason", reason, MaxReasonLength, reasonRequired); err != nil {
		return err
	}
	if !c.HasRole(caller, RoleMember) {
		return forbidden("only a member may approve or reject a query; %s is not one", caller)
	}
	if q.Status != StatusPending {
		return badState("query %s is %s; approvals are closed", q.ID, q.Status)
	}
	if q.Rule.ExcludeRequester && caller == q.Requester {
		return forbidden("%s requested query %s and may not approve or reject it; %s", caller, q.ID, QueryProgress(q))
	}
	for _, a := range q.Approvals {
		if a.MSPID == caller {
			return conflict("%s has already decided on query %s (%s)", caller, q.ID, a.Decision)
		}
	}
	return nil
}

// QueryProgress says where the query stands, in a sentence such as "query q-17 needs 1
// more approval from a member other than StatOfficeMSP".
func QueryProgress(q Query) string {
	switch q.Status {
	case StatusPending:
		n := q.Rule.MinApprovals - CountApprovals(q.Approvals, q.Rule, q.Requester)
		return "query " + q.ID + " needs " + plural(n, "more approval") + fromWhom(q.Rule, q.Requester)
	case StatusApproved:
		return "query " + q.ID + " is approved and waits for " + plural(q.RequiredResults, "matching worker result")
	case StatusDecrypting:
		s := "query " + q.ID + " is decrypting and has " + plural(len(q.ShareOrgs), "decryption share")
		if missing := missingShares(q); len(missing) > 0 {
			s += "; it waits for " + strings.Join(missing, ", ")
		}
		return s
	default:
		s := "query " + q.ID + " is " + string(q.Status)
		if q.StatusReason != "" {
			s += " (" + q.StatusReason + ")"
		}
		return s
	}
}

// CancelQuery lets the requester withdraw its query. A pending query is cancelled; an
// approved or disputed one is cancelled and its epsilon refunded to b (refunded is then
// true). Once decryption may have started (decrypting, ready, released) nothing is
// refunded and the query cannot be cancelled: BAD_STATE. Others get FORBIDDEN.
func CancelQuery(q Query, b Budget, caller, reason string, at time.Time) (Query, Budget, bool, error) {
	if err := validateText("reason", reason, MaxReasonLength, true); err != nil {
		return q, b, false, err
	}
	if caller != q.Requester {
		return q, b, false, forbidden("only the requester %s may cancel query %s", q.Requester, q.ID)
	}
	refund := false
	switch q.Status {
	case StatusPending:
	case StatusApproved, StatusDisputed:
		nb, err := b.Refund(q.EpsilonMicro, at)
		if err != nil {
			return q, b, false, err
		}
		b, refund = nb, true
	case StatusDecrypting, StatusReady, StatusReleased:
		return q, b, false, badState("query %s is %s: decryption may have started, so it cannot be cancelled and its budget is spent", q.ID, q.Status)
	default:
		return q, b, false, badState("query %s is already %s", q.ID, q.Status)
	}
	q.Status = StatusCancelled
	q.StatusReason = "cancelled by " + caller
	q.CancelReason = reason
	q.UpdatedAt = at
	return q, b, refund, nil
}
