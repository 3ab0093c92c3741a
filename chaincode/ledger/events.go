package ledger

import (
	"encoding/json"
	"time"
)

// Event is the payload of the one chaincode event every state-changing transaction
// emits. Its Name, also the Fabric event name, is the record kind and its new status
// joined by a dot, such as "query.approved" or "submission.live"; Action is the
// transaction that emitted it. It carries IDs and digests only, never record values.
type Event struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	Record string `json:"record"`
	ID     string `json:"id"`
	Status Status `json:"status"`
	// MSPID is the organisation that called the transaction.
	MSPID     string `json:"mspID"`
	DatasetID string `json:"datasetID,omitempty"`
	QueryID   string `json:"queryID,omitempty"`
	// QueryStatus is the query's status after the transaction, for events on records
	// that belong to a query (jobs, results, shares, releases).
	QueryStatus Status `json:"queryStatus,omitempty"`
	// Supersedes names the submission a new submission replaces.
	Supersedes string   `json:"supersedes,omitempty"`
	Digests    []string `json:"digests,omitempty"`
	TxID       string   `json:"txID"`
}

// The record kinds events name.
const (
	RecordConsortium       = "consortium"
	RecordConsortiumChange = "consortium-change"
	RecordCollectiveKey    = "key"
	RecordDataset          = "dataset"
	RecordSubmission       = "submission"
	RecordQuery            = "query"
	RecordJob              = "job"
	RecordResult           = "result"
	RecordShare            = "share"
	RecordRelease          = "release"
)

// NewEvent returns the event of action on the record kind record with ID id, which now has
// status status; Name is filled in. Callers set the optional fields.
func NewEvent(action, record, id string, status Status, mspID, txID string) Event {
	return Event{Name: EventName(record, status), Action: action, Record: record, ID: id, Status: status, MSPID: mspID, TxID: txID}
}

// EventName is the name of the event for a record kind reaching a status, such as
// "query.approved".
func EventName(record string, status Status) string { return record + "." + string(status) }

// Page is one page of a List transaction's records. Bookmark, when not empty, is passed
// to the same List transaction to get the next page.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark"`
}

// HistoryEntry is one version of a record from the ledger's history, in the order the
// peer's history database returns them. Value is the record's JSON as written by TxID
// (null when the key was deleted).
type HistoryEntry struct {
	TxID      string          `json:"txID"`
	Timestamp time.Time       `json:"timestamp"`
	IsDelete  bool            `json:"isDelete"`
	Value     json.RawMessage `json:"value"`
}

// DatasetHistory is what GetDatasetHistory returns: every version of a dataset record and
// of its budget, so that an auditor can check the budget arithmetic.
type DatasetHistory struct {
	Dataset []HistoryEntry `json:"dataset"`
	Budget  []HistoryEntry `json:"budget"`
}
