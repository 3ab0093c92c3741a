package worker

import (
	"context"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
)

// Claims are the transactions of a job's lifecycle. Errors wrap the *ledger.Error the
// contract returned, so that errors.Is(err, ledger.ErrConflict) works.
type Claims interface {
	ClaimJob(ctx context.Context, queryID string, leaseSeconds int) (ledger.Job, error)
	RenewLease(ctx context.Context, queryID string, leaseSeconds int) (ledger.Job, error)
	PostResult(ctx context.Context, in ledger.ResultInput) (ledger.Result, error)
}

// Records reads the records a job works on.
type Records interface {
	GetJob(ctx context.Context, queryID string) (ledger.Job, error)
	GetQuery(ctx context.Context, queryID string) (ledger.Query, error)
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
}

// Catalog finds the worker's identity and the queries that may have jobs.
type Catalog interface {
	GetCaller(ctx context.Context) (ledger.Caller, error)
	ListDatasets(ctx context.Context, bookmark string) (ledger.Page[ledger.Dataset], error)
	ListQueries(ctx context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error)
}

// Ledger is everything a worker needs of the ledger; *ledgerapi.API implements it.
type Ledger interface {
	Claims
	Records
	Catalog
}

// Store is the content-addressed blob store the inputs come from and the results go to;
// *blobstore.Bucket implements it. The worker calls it from several goroutines.
type Store interface {
	// Get returns the blob stored under digest.
	Get(ctx context.Context, digest string) ([]byte, error)
	// Put stores data and returns its digest.
	Put(ctx context.Context, data []byte) (string, error)
	// URI is where the blob with digest lives, as recorded on the ledger.
	URI(digest string) string
}

// Keys gives the collective rotation keys of a collective key recorded on the ledger,
// with the parameter set they belong to (compute.Keys). The worker may call it from
// several goroutines; it keeps the keys of a key ID once loaded and only reads them.
type Keys = compute.Keys

// Events streams the chaincode's events, resuming after the last one acknowledged in
// checkpointFile when it is not empty; *fabric.Client implements it.
type Events interface {
	Events(ctx context.Context, checkpointFile string) (<-chan fabric.Event, func(fabric.Event) error, error)
}

var (
	_ Ledger = (*ledgerapi.API)(nil)
	_ Store  = (*blobstore.Bucket)(nil)
	_ Events = (*fabric.Client)(nil)
)
