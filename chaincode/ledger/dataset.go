package ledger

import (
	"slices"
	"time"

	"github.com/statledger/statledger/policies"
)

// Dataset is a registered dataset: its schema, the parameter set its submissions are
// encoded and encrypted with, the collective key they are encrypted under, and the
// restriction policy. Status is "pending" while it awaits the approval of members
// (RequireApproval) and "active" once providers may submit and analysts may query.
type Dataset struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	KeyID string `json:"keyID"`
	// KeyShares is what the dataset's queries need of collective key KeyID, copied from
	// the key record at registration (a key record never changes), so that a query
	// request reads the dataset alone.
	KeyShares       KeyShares       `json:"keyShares"`
	ParamSetID      string          `json:"paramSetID"`
	Schema          policies.Schema `json:"schema"`
	Policy          policies.Policy `json:"policy"`
	RequireApproval bool            `json:"requireApproval"`
	Registrant      string          `json:"registrant"`
	Approvals       []Approval      `json:"approvals"`
	Status          Status          `json:"status"`
	TxID            string          `json:"txID"`
	RegisteredAt    time.Time       `json:"registeredAt"`
	UpdatedAt       time.Time       `json:"updatedAt"`
}

// Clone returns a copy of d that shares no memory with it.
func (d Dataset) Clone() Dataset {
	d.KeyShares.Participants = slices.Clone(d.KeyShares.Participants)
	d.Schema = d.Schema.Clone()
	d.Policy = d.Policy.Clone()
	d.Approvals = slices.Clone(d.Approvals)
	return d
}

// DatasetInput is the argument of RegisterDataset. When RequireApproval is set, the
// dataset needs the approval of members under the policy's approval rule (MinApprovals
// distinct members, not counting the registrant's organisation when ExcludeRequester is
// set) before providers may submit.
type DatasetInput struct {
	ID              string          `json:"id"`
	Title           string          `json:"title"`
	KeyID           string          `json:"keyID"`
	ParamSetID      string          `json:"paramSetID"`
	Schema          policies.Schema `json:"schema"`
	Policy          policies.Policy `json:"policy"`
	RequireApproval bool            `json:"requireApproval"`
}

// Validate checks the input on its own, the policy against the schema included. It
// returns an INVALID *Error; for the schema and the policy its message is the
// *policies.FieldError's, naming the field and the reason.
func (in DatasetInput) Validate() error {
	if err := ValidateID("dataset ID", in.ID); err != nil {
		return err
	}
	if err := validateText("title", in.Title, MaxTitleLength, true); err != nil {
		return err
	}
	if err := ValidateID("key ID", in.KeyID); err != nil {
		return err
	}
	if err := ValidateID("parameter-set ID", in.ParamSetID); err != nil {
		return err
	}
	if err := in.Policy.ValidateFor(in.Schema); err != nil {
		return invalid("dataset %s: %w", in.ID, err)
	}
	if _, err := in.Schema.Cells(); err != nil {
		return invalid("dataset %s: %w", in.ID, err)
	}
	return nil
}

// Budget is a dataset's privacy budget in integer micro-epsilon (policies.Epsilon units),
// kept in one key per dataset so that concurrent approvals spending it conflict (MVCC)
// instead of overspending. Spent never exceeds Total.
type Budget struct {
	DatasetID         string    `json:"datasetID"`
	TotalMicroEpsilon int64     `json:"totalMicroEpsilon"`
	SpentMicroEpsilon int64     `json:"spentMicroEpsilon"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// Remaining returns the unspent budget in micro-epsilon.
func (b Budget) Remaining() int64 { return b.TotalMicroEpsilon - b.SpentMicroEpsilon }

// Debit spends amount micro-epsilon. It returns BUDGET_EXCEEDED (and b unchanged) when
// the remaining budget is smaller, and INVALID for a negative amount.
func (b Budget) Debit(amount int64, at time.Time) (Budget, error) {
	if amount < 0 {
		return b, invalid("cannot spend a negative privacy loss")
	}
	if amount > b.Remaining() {
		return b, overBudget("dataset %s has %s epsilon left; the query needs %s", b.DatasetID, policies.Epsilon(b.Remaining()), policies.Epsilon(amount))
	}
	b.SpentMicroEpsilon += amount
	b.UpdatedAt = at
	return b, nil
}

// Refund gives back amount micro-epsilon spent earlier. It returns INVALID when amount is
// negative or larger than what was spent.
func (b Budget) Refund(amount int64, at time.Time) (Budget, error) {
	if amount < 0 || amount > b.SpentMicroEpsilon {
		return b, invalid("cannot refund %s epsilon to dataset %s: only %s was spent", policies.Epsilon(amount), b.DatasetID, policies.Epsilon(b.SpentMicroEpsilon))
	}
	b.SpentMicroEpsilon -= amount
	b.UpdatedAt = at
	return b, nil
}

// NewDataset checks a dataset registered by caller against the consortium, the key it
// names (nil when that key is not recorded: NOT_FOUND) and whether the ID is taken
// (CONFLICT), and returns the dataset and its budget, initialised from the policy's
// EpsilonTotal. The dataset is "active" at once unless it requires approval.
func NewDataset(in DatasetInput, exists bool, key *CollectiveKey, caller, txID string, at time.Time) (Dataset, Budget, error) {
	if err := in.Validate(); err != nil {
		return Dataset{}, Budget{}, err
	}
	if exists {
		return Dataset{}, Budget{}, conflict("dataset %s is already registered", in.ID)
	}
	if key == nil {
		return Dataset{}, Budget{}, notFound("collective key %s is not recorded; record it with RecordCollectiveKey first", in.KeyID)
	}
	if key.ParamSetID != in.ParamSetID {
		return Dataset{}, Budget{}, invalid("dataset %s uses parameter set %s, but collective key %s was made for %s", in.ID, in.ParamSetID, key.ID, key.ParamSetID)
	}
	ds := Dataset{
		ID:              in.ID,
		Title:           in.Title,
		KeyID:           in.KeyID,
		KeyShares:       key.Shares(),
		ParamSetID:      in.ParamSetID,
		Schema:          in.Schema,
		Policy:          in.Policy,
		RequireApproval: in.RequireApproval,
		Registrant:      caller,
		Approvals:       []Approval{},
		Status:          StatusActive,
		TxID:            txID,
		RegisteredAt:    at,
		UpdatedAt:       at,
	}
	if in.RequireApproval {
		ds.Status = StatusPending
	}
	b := Budget{DatasetID: in.ID, TotalMicroEpsilon: int64(in.Policy.EpsilonTotal), UpdatedAt: at}
	return ds, b, nil
}

// ApproveDataset adds member caller's approval to a pending dataset and activates it when
// the policy's approval rule is met. It returns FORBIDDEN for a non-member or the
// registrant's organisation under ExcludeRequester, CONFLICT for a second approval and
// BAD_STATE for a dataset that is not pending.
func ApproveDataset(c Consortium, ds Dataset, caller, reason, txID string, at time.Time) (Dataset, error) {
	if err := validateText("reason", reason, MaxReasonLength, false); err != nil {
		return ds, err
	}
	if !c.HasRole(caller, RoleMember) {
		return ds, forbidden("only a member may approve a dataset; %s is not one", caller)
	}
	if ds.Status != StatusPending {
		return ds, badState("dataset %s is %s, not pending approval", ds.ID, ds.Status)
	}
	rule := ds.Policy.Approval
	if rule.ExcludeRequester && caller == ds.Registrant {
		return ds, forbidden("%s registered dataset %s and may not approve it", caller, ds.ID)
	}
	for _, a := range ds.Approvals {
		if a.MSPID == caller {
			return ds, conflict("%s has already approved dataset %s", caller, ds.ID)
		}
	}
	ds.Approvals = appendApproval(ds.Approvals, Approval{MSPID: caller, Decision: DecisionApprove, Reason: reason, TxID: txID, At: at})
	ds.UpdatedAt = at
	if CountApprovals(ds.Approvals, rule, ds.Registrant) >= rule.MinApprovals {
		ds.Status = StatusActive
	}
	return ds, nil
}

// DatasetProgress says what a pending dataset still needs, such as "dataset d-1 needs 1
// more approval from a member other than StatOfficeMSP".
func DatasetProgress(ds Dataset) string {
	n := ds.Policy.Approval.MinApprovals - CountApprovals(ds.Approvals, ds.Policy.Approval, ds.Registrant)
	return "dataset " + ds.ID + " needs " + plural(n, "more approval") + fromWhom(ds.Policy.Approval, ds.Registrant)
}

// RequireActive returns BAD_STATE unless ds is active.
func RequireActive(ds Dataset) error {
	if ds.Status == StatusActive {
		return nil
	}
	return badState("%s before it accepts submissions and queries", DatasetProgress(ds))
}

// CountApprovals counts the approvals of as that count under rule for a record requested
// (or registered) by requester: approve decisions, without the requester's own under
// ExcludeRequester. Only members can approve, so every recorded approval is a member's.
func CountApprovals(as []Approval, rule policies.ApprovalRule, requester string) int {
	n := 0
	for _, a := range as {
		if a.Decision != DecisionApprove {
			continue
		}
		if rule.ExcludeRequester && a.MSPID == requester {
			continue
		}
		n++
	}
	return n
}

func fromWhom(rule policies.ApprovalRule, requester string) string {
	if rule.ExcludeRequester {
		return " from a member other than " + requester
	}
	return " from a member"
}
