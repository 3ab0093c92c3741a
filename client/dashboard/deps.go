package dashboard

import (
	"context"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
)

// Directory reads the consortium and the datasets with their budgets and submissions.
type Directory interface {
	GetConsortium(ctx context.Context) (ledger.Consortium, error)
	ListDatasets(ctx context.Context, bookmark string) (ledger.Page[ledger.Dataset], error)
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
	GetBudget(ctx context.Context, datasetID string) (ledger.Budget, error)
	ListSubmissions(ctx context.Context, datasetID, period, bookmark string) (ledger.Page[ledger.Submission], error)
}

// Trail reads a query and the records of its steps. GetRelease returns an error
// matching ledger.ErrNotFound for a query not released yet.
type Trail interface {
	ListQueries(ctx context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error)
	GetQuery(ctx context.Context, queryID string) (ledger.Query, error)
	ListResults(ctx context.Context, queryID string) ([]ledger.Result, error)
	ListDecryptionShares(ctx context.Context, queryID string) ([]ledger.DecryptionShare, error)
	GetRelease(ctx context.Context, queryID string) (ledger.Release, error)
}

// Ledger is every read the dashboard makes; *ledgerapi.API implements it. The Server
// calls it from one goroutine at a time, except for /healthz, which calls
// GetConsortium concurrently.
type Ledger interface {
	Directory
	Trail
}

// Auditor audits the ledger; *audit.Auditor implements it. The Server calls it from one
// goroutine at a time.
type Auditor interface {
	Run(ctx context.Context, scope audit.Scope) (*audit.Report, error)
}

// Events streams the chaincode's events, resuming after the last one acknowledged in
// checkpointFile when it is not empty; *fabric.Client implements it. The dashboard
// passes no checkpoint file: it reads the whole ledger again on every connection.
type Events interface {
	Events(ctx context.Context, checkpointFile string) (<-chan fabric.Event, func(fabric.Event) error, error)
}

var (
	_ Ledger  = (*ledgerapi.API)(nil)
	_ Auditor = (*audit.Auditor)(nil)
	_ Events  = (*fabric.Client)(nil)
)
