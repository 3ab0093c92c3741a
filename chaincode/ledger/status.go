package ledger

import (
	"sort"
	"strconv"
	"time"
)

// Status is the state of a record. Each record type uses the subset its doc comment
// lists.
type Status string

// The statuses.
const (
	// Consortium changes.
	StatusProposed Status = "proposed"
	StatusApplied  Status = "applied"
	// Datasets (and queries: pending).
	StatusPending Status = "pending"
	StatusActive  Status = "active"
	// Submissions.
	StatusLive       Status = "live"
	StatusSuperseded Status = "superseded"
	// Queries.
	StatusApproved   Status = "approved"
	StatusRejected   Status = "rejected"
	StatusCancelled  Status = "cancelled"
	StatusDecrypting Status = "decrypting"
	StatusDisputed   Status = "disputed"
	StatusReady      Status = "ready"
	StatusReleased   Status = "released"
	// Jobs.
	StatusOpen   Status = "open"
	StatusLeased Status = "leased"
	StatusDone   Status = "done"
	// Write-once records (collective keys, results, shares, releases).
	StatusRecorded Status = "recorded"
)

// Decision is a member's decision on a query, dataset or consortium change.
type Decision string

// The decisions.
const (
	DecisionApprove Decision = "approve"
	DecisionReject  Decision = "reject"
)

// Approval is one organisation's decision, with its reason and the transaction that
// recorded it. Approvals are kept inside the record they decide on, sorted by MSP ID.
type Approval struct {
	MSPID    string    `json:"mspID"`
	Decision Decision  `json:"decision"`
	Reason   string    `json:"reason,omitempty"`
	TxID     string    `json:"txID"`
	At       time.Time `json:"at"`
}

// appendApproval returns a copy of as with a added, sorted by MSP ID.
func appendApproval(as []Approval, a Approval) []Approval {
	out := append(append([]Approval(nil), as...), a)
	sort.SliceStable(out, func(i, j int) bool { return out[i].MSPID < out[j].MSPID })
	return out
}

// plural writes n and noun, adding "s" when n is not 1: plural(2, "more approval") is
// "2 more approvals".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func itoa(n int) string { return strconv.Itoa(n) }
