// Package submit is a data provider's side of statledger: read the provider's records
// (CSV or FHIR), clip and aggregate them locally into the dataset's cube, encrypt the
// cube under the consortium's collective public key, upload the ciphertext blob to the
// content-addressed blob store and register the submission on the ledger. The raw
// records never leave the provider; only the encrypted cube and its digest do.
//
// A Provider is safe for concurrent use if its Ledger, Store and Keys are.
package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
)

// Ledger is what a provider needs of the ledger; *ledgerapi.API implements it.
type Ledger interface {
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
	SubmitData(ctx context.Context, in ledger.SubmissionInput) (ledger.Submission, error)
}

// Store is the blob store the ciphertexts go to; *blobstore.Bucket implements it.
type Store interface {
	Put(ctx context.Context, data []byte) (string, error)
	URI(digest string) string
}

// Keys finds the collective public key of a collective key recorded on the ledger,
// checked against the digest the ledger records.
type Keys interface {
	PublicKey(ctx context.Context, keyID string) (*params.Set, *rlwe.PublicKey, error)
}

// Request is one submission: the provider's records for a dataset and period.
type Request struct {
	DatasetID string
	Period    string
	Records   io.Reader
	Format    records.Format
	// Progress, if set, is called now and then with the number of records read.
	Progress func(records int)
}

// Stats describe a submission.
type Stats struct {
	Records    int           // records read and aggregated
	Bytes      int           // size of the ciphertext blob
	Aggregate  time.Duration // reading and aggregating the records
	Encryption time.Duration // encrypting and encoding the cube
}

// Provider submits a provider organisation's data.
type Provider struct {
	Ledger Ledger
	Store  Store
	Keys   Keys
}

// Submit reads, aggregates, encrypts, uploads and registers req, declaring the number of
// records aggregated to the ledger. Bad records are reported with their line or entry
// (records.ParseError), and input with no records or with more than the dataset policy's
// MaxRecordsPerSubmission records is refused (an error wrapping
// records.ErrTooManyRecords that names the limit); nothing is uploaded or registered
// then. It returns the ledger's errors (such as NOT_FOUND for an unknown dataset or
// CONFLICT for a reused digest) and the blob store's.
func (p Provider) Submit(ctx context.Context, req Request) (ledger.Submission, Stats, error) {
	var st Stats
	ds, err := p.Ledger.GetDataset(ctx, req.DatasetID)
	if err != nil {
		return ledger.Submission{}, st, err
	}
	set, pk, err := p.Keys.PublicKey(ctx, ds.KeyID)
	if err != nil {
		return ledger.Submission{}, st, fmt.Errorf("collective key %s of dataset %s: %w", ds.KeyID, ds.ID, err)
	}
	if set.Name() != ds.ParamSetID {
		return ledger.Submission{}, st, fmt.Errorf("dataset %s uses parameter set %s but its key %s is for %s", ds.ID, ds.ParamSetID, ds.KeyID, set.Name())
	}
	limit := ds.Policy.MaxRecordsPerSubmission
	if limit < 1 {
		return ledger.Submission{}, st, fmt.Errorf("the policy of dataset %s sets no maxRecordsPerSubmission", ds.ID)
	}
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	if err != nil {
		return ledger.Submission{}, st, fmt.Errorf("layout of dataset %s: %w", ds.ID, err)
	}
	t0 := time.Now()
	c, n, err := Aggregate(req.Records, req.Format, layout, set.MaxAggregate(), limit, req.Progress)
	if err != nil {
		return ledger.Submission{}, st, fmt.Errorf("dataset %s: %w", ds.ID, err)
	}
	if n == 0 {
		return ledger.Submission{}, st, fmt.Errorf("dataset %s: no records to submit; a submission aggregates at least one", ds.ID)
	}
	st.Records, st.Aggregate = n, time.Since(t0)
	enc, err := encrypt.New(set, layout, pk)
	if err != nil {
		return ledger.Submission{}, st, err
	}
	t1 := time.Now()
	blob, err := enc.Encrypt(c)
	if err != nil {
		return ledger.Submission{}, st, fmt.Errorf("encrypt the cube: %w", err)
	}
	st.Encryption, st.Bytes = time.Since(t1), len(blob)
	digest, err := p.Store.Put(ctx, blob)
	if err != nil {
		return ledger.Submission{}, st, err
	}
	sub, err := p.Ledger.SubmitData(ctx, ledger.SubmissionInput{
		DatasetID: ds.ID, Period: req.Period, ParamSetID: set.Name(), Records: int64(n),
		Ciphertexts: []ledger.Ciphertext{{Digest: digest, Size: int64(len(blob)), URI: p.Store.URI(digest)}},
	})
	return sub, st, err
}

// progressEvery is how many records pass between two Progress calls.
const progressEvery = 1 << 16

// Aggregate reads records in format f and aggregates them into a new cube of layout,
// clipping measures to their bounds. It accepts at most maxRecords records (the dataset
// policy's MaxRecordsPerSubmission), and never more than the cube holds under
// maxAggregate. It returns the cube and the number of records, or the first bad record's
// error; for too many records an error wrapping records.ErrTooManyRecords that names the
// limit.
func Aggregate(r io.Reader, f records.Format, layout *cube.Layout, maxAggregate uint64, maxRecords int64, progress func(int)) (*cube.Cube, int, error) {
	c := layout.NewCube(maxAggregate)
	limit := min(maxRecords, c.MaxRecords(), int64(^uint(0)>>1))
	seen := 0
	n, err := records.Read(r, f, layout.Schema(), func(codes []int, values []int64) error {
		if err := c.Add(codes, values); err != nil {
			return err
		}
		if seen++; progress != nil && seen%progressEvery == 0 {
			progress(seen)
		}
		return nil
	}, records.WithMaxRecords(int(limit)))
	if errors.Is(err, records.ErrTooManyRecords) {
		if limit == maxRecords {
			return nil, 0, fmt.Errorf("read records: the policy allows at most %d records per submission (maxRecordsPerSubmission): %w", maxRecords, err)
		}
		return nil, 0, fmt.Errorf("read records: the parameter set holds exact sums of at most %d records: %w", limit, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read records: %w", err)
	}
	if progress != nil {
		progress(n)
	}
	return c, n, nil
}
