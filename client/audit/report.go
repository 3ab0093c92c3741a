// Package audit verifies, read-only and as the regulator, that every query on the ledger
// followed the consortium's rules: the policy in force, the approvals, the privacy
// budget, the frozen inputs and their blobs, the computation (re-executed), the
// decryption shares and the release. It also compares the chain of blocks served by
// several organisations' peers, so that one lying peer is caught.
//
// The result is a Report: pass, fail or pending per check, each with its evidence
// (transaction IDs, digests, organisations), so that a person can follow it up.
package audit

import "time"

// Status is the outcome of one check.
type Status string

const (
	// StatusPass: the check holds.
	StatusPass Status = "pass"
	// StatusFail: the check does not hold; Detail says why and Evidence names the records.
	StatusFail Status = "fail"
	// StatusPending: the step the check verifies has not happened yet (a query still
	// waiting for approvals has no results to re-execute). Not a failure.
	StatusPending Status = "pending"
)

// CheckName names a check. Every query report lists the query checks in this order.
type CheckName string

const (
	// CheckPolicy: the request satisfied the dataset policy in force when it was made.
	CheckPolicy CheckName = "policy"
	// CheckApprovals: approvals came from distinct eligible members and met the rule.
	CheckApprovals CheckName = "approvals"
	// CheckBudget: the query spent exactly the epsilon it was approved for, and the
	// dataset's budget history adds up.
	CheckBudget CheckName = "budget"
	// CheckInputs: the frozen inputs are exactly submissions on the ledger, and every
	// input blob in the store has its recorded digest.
	CheckInputs CheckName = "inputs"
	// CheckComputation: re-executing the computation on the inputs gives the posted
	// output digest, and the required number of workers agreed on it.
	CheckComputation CheckName = "computation"
	// CheckShares: at least t decryption shares, from distinct key holders named as the
	// query's decryptors, each at most once.
	CheckShares CheckName = "shares"
	// CheckRelease: the released table's digest matches the published table.
	CheckRelease CheckName = "release"
	// CheckChain: the peers compared serve the same blocks, each chain intact, and every
	// transaction cited as evidence is in them and valid.
	CheckChain CheckName = "chain"
)

// QueryChecks are the checks of every query, in report order.
var QueryChecks = []CheckName{CheckPolicy, CheckApprovals, CheckBudget, CheckInputs, CheckComputation, CheckShares, CheckRelease}

// Evidence is one ledger or blob-store fact a check rests on.
type Evidence struct {
	// Kind is what the evidence is: "transaction", "submission", "blob", "result",
	// "share", "approval", "release", "block".
	Kind string `json:"kind"`
	// ID names the record (a submission ID, a block number, a query ID).
	ID     string `json:"id,omitempty"`
	TxID   string `json:"txID,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Org is the organisation (MSP ID) the evidence is about, such as the worker that
	// posted a result or the key holder that posted a share.
	Org string `json:"org,omitempty"`
	// Note says what this evidence shows, in a few words.
	Note string `json:"note,omitempty"`
}

// Check is the outcome of one check.
type Check struct {
	Name     CheckName  `json:"name"`
	Status   Status     `json:"status"`
	Detail   string     `json:"detail"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// QueryReport is the audit of one query.
type QueryReport struct {
	QueryID   string `json:"queryID"`
	DatasetID string `json:"datasetID"`
	// QueryStatus is the query's status on the ledger (pending, approved, ..., released).
	QueryStatus string  `json:"queryStatus"`
	Requester   string  `json:"requester"`
	Checks      []Check `json:"checks"`
	Passed      bool    `json:"passed"`
}

// DatasetReport is the audit of one dataset's budget arithmetic and submissions.
type DatasetReport struct {
	DatasetID string `json:"datasetID"`
	// BudgetTotalMicro, BudgetSpentMicro are the dataset's privacy budget, in micro-epsilon.
	BudgetTotalMicro int64   `json:"budgetTotalMicro"`
	BudgetSpentMicro int64   `json:"budgetSpentMicro"`
	Submissions      int     `json:"submissions"`
	Checks           []Check `json:"checks"`
	Passed           bool    `json:"passed"`
}

// PeerChain is what one peer served.
type PeerChain struct {
	Org      string `json:"org"`
	Endpoint string `json:"endpoint"`
	Height   uint64 `json:"height"`
	// TipHash is the hex SHA-256 header hash of the last block compared.
	TipHash string `json:"tipHash"`
}

// ChainReport is the comparison of the blocks served by several organisations' peers.
type ChainReport struct {
	Peers []PeerChain `json:"peers"`
	// Blocks is how many blocks (from 0) were compared across every peer.
	Blocks uint64 `json:"blocks"`
	Check  Check  `json:"check"`
}

// Scope says what an audit covers: every query, one dataset's or one query.
type Scope struct {
	DatasetID string `json:"datasetID,omitempty"`
	QueryID   string `json:"queryID,omitempty"`
}

// Report is the outcome of an audit. Passed is true when no check failed (pending
// checks do not fail an audit).
type Report struct {
	Scope       Scope           `json:"scope"`
	GeneratedAt time.Time       `json:"generatedAt"`
	Chain       ChainReport     `json:"chain"`
	Datasets    []DatasetReport `json:"datasets"`
	Queries     []QueryReport   `json:"queries"`
	Failures    int             `json:"failures"`
	Passed      bool            `json:"passed"`
}
