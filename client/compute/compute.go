// Package compute is the homomorphic evaluation of one query, as a worker runs it and as
// an auditor re-runs it: load the rotation keys of the dataset's collective key, lay out
// the dataset's schema, plan the query, fetch the frozen inputs from the blob store by
// digest and evaluate the plan on them (package crypto/eval). Evaluation is
// deterministic, so the same records give the same output digest wherever they run; one
// code path for both is what makes an auditor's re-execution evidence about the worker's.
//
// Errors are *Error values naming the stage that failed. Everything here is safe for
// concurrent use if the Keys and Store given are.
package compute

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
)

// The stages of a computation, as *Error.Stage names them.
const (
	StageKeys     = "keys"     // loading the rotation keys
	StagePlan     = "plan"     // laying out the schema and planning the query
	StageFetch    = "fetch"    // fetching the inputs from the blob store
	StageEvaluate = "evaluate" // summing and evaluating (digests checked)
)

// FetchParallelism is the number of inputs Fetch reads from the blob store at once.
const FetchParallelism = 4

// Error is a failed computation: the stage that failed and why.
type Error struct {
	Stage string
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(stage string, err error) error { return &Error{Stage: stage, Err: err} }

// InputError is the failure to fetch one input: its index in the query's InputDigests
// and its digest. Fetch joins one per input that failed.
type InputError struct {
	Index  int
	Digest string
	Err    error
}

func (e *InputError) Error() string { return fmt.Sprintf("fetch input %s: %v", e.Digest, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// Keys gives the collective rotation keys of a collective key recorded on the ledger,
// with the parameter set they belong to.
type Keys interface {
	EvaluationKeys(ctx context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error)
}

// Store is the content-addressed blob store the inputs come from; *blobstore.Bucket
// implements it. Fetch calls it from several goroutines.
type Store interface {
	Get(ctx context.Context, digest string) ([]byte, error)
}

// Task is a query ready to evaluate: the query with its frozen inputs, its dataset, the
// evaluator of the dataset's layout and the query's plan.
type Task struct {
	Query     ledger.Query
	Dataset   ledger.Dataset
	Evaluator *eval.Evaluator
	Plan      *cube.Plan
}

// Prepare loads the rotation keys of the dataset's collective key and plans query q on
// dataset ds. It fails at StageKeys when the keys cannot be loaded or belong to another
// parameter set than the dataset's, and at StagePlan when the schema cannot be laid out
// or the query not planned.
func Prepare(ctx context.Context, keys Keys, ds ledger.Dataset, q ledger.Query) (*Task, error) {
	set, evk, err := keys.EvaluationKeys(ctx, ds.KeyID)
	if err != nil {
		return nil, fail(StageKeys, fmt.Errorf("load rotation keys of key %s: %w", ds.KeyID, err))
	}
	if set == nil || evk == nil {
		return nil, fail(StageKeys, fmt.Errorf("load rotation keys of key %s: the key source returned no keys", ds.KeyID))
	}
	if set.Name() != ds.ParamSetID {
		return nil, fail(StageKeys, fmt.Errorf("key %s belongs to parameter set %s, but dataset %s uses %s", ds.KeyID, set.Name(), ds.ID, ds.ParamSetID))
	}
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	if err != nil {
		return nil, fail(StagePlan, fmt.Errorf("lay out dataset %s: %w", ds.ID, err))
	}
	plan, err := layout.Plan(q.Spec)
	if err != nil {
		return nil, fail(StagePlan, fmt.Errorf("plan query %s: %w", q.ID, err))
	}
	ev, err := eval.NewEvaluator(set, layout, evk)
	if err != nil {
		return nil, fail(StageKeys, fmt.Errorf("evaluator for dataset %s with key %s: %w", ds.ID, ds.KeyID, err))
	}
	return &Task{Query: q, Dataset: ds, Evaluator: ev, Plan: plan}, nil
}

// Run evaluates the task's plan on inputs (the query's frozen inputs, as Fetch returns
// them): it sums them, checking every digest, and evaluates the plan. It fails at
// StageEvaluate.
func (t *Task) Run(inputs []eval.Input) (*eval.Result, error) {
	res, err := t.Evaluator.Run(t.Plan, inputs)
	if err != nil {
		return nil, fail(StageEvaluate, fmt.Errorf("evaluate query %s on %d inputs: %w", t.Query.ID, len(inputs), err))
	}
	return res, nil
}

// Fetch reads the blobs of digests (hex SHA-256, as on the ledger), FetchParallelism at a
// time, and returns them, in the order of digests, with their total size. A malformed
// digest fails before anything is read. Otherwise every input that cannot be read gives
// an *InputError, and the error returned (at StageFetch) joins them all. Fetch does not
// hash what it reads: the store checks each blob against its digest, and evaluation
// (Task.Run) checks them again.
func Fetch(ctx context.Context, store Store, digests []string) ([]eval.Input, int64, error) {
	inputs := make([]eval.Input, len(digests))
	errs := make([]error, len(digests))
	for i, d := range digests {
		b, err := hex.DecodeString(d)
		if err != nil || len(b) != len(inputs[i].Digest) {
			return nil, 0, fail(StageFetch, fmt.Errorf("input %d: malformed digest %q on the ledger", i, d))
		}
		copy(inputs[i].Digest[:], b)
	}
	sem := make(chan struct{}, FetchParallelism)
	var wg sync.WaitGroup
	for i, d := range digests {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = &InputError{Index: i, Digest: d, Err: fmt.Errorf("panic: %v", r)}
				}
			}()
			if err := ctx.Err(); err != nil {
				errs[i] = &InputError{Index: i, Digest: d, Err: err}
				return
			}
			data, err := store.Get(ctx, d)
			if err != nil {
				errs[i] = &InputError{Index: i, Digest: d, Err: err}
				return
			}
			inputs[i].Data = data
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, fail(StageFetch, err)
	}
	var size int64
	for i := range inputs {
		size += int64(len(inputs[i].Data))
	}
	return inputs, size, nil
}

// InputErrors returns the *InputError values err carries (Fetch's joined error).
func InputErrors(err error) []*InputError {
	var out []*InputError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if ie, ok := e.(*InputError); ok {
			out = append(out, ie)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// KeyCache loads the rotation keys of each collective key once and keeps them (about
// 45 MB per key at N14T58). It is safe for concurrent use; two first loads of one key
// at the same time may both reach the source.
type KeyCache struct {
	src  Keys
	mu   sync.Mutex
	keys map[string]cachedKeys
}

type cachedKeys struct {
	set *params.Set
	evk *rlwe.MemEvaluationKeySet
}

var _ Keys = (*KeyCache)(nil)

// NewKeyCache returns a cache in front of src.
func NewKeyCache(src Keys) *KeyCache { return &KeyCache{src: src, keys: map[string]cachedKeys{}} }

// EvaluationKeys returns the keys of keyID, from the cache or else from the source. It
// returns the source's error, or an error when the source returned no keys.
func (c *KeyCache) EvaluationKeys(ctx context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	c.mu.Lock()
	k, ok := c.keys[keyID]
	c.mu.Unlock()
	if ok {
		return k.set, k.evk, nil
	}
	set, evk, err := c.src.EvaluationKeys(ctx, keyID)
	if err != nil {
		return nil, nil, err
	}
	if set == nil || evk == nil {
		return nil, nil, errors.New("the key source returned no keys")
	}
	c.mu.Lock()
	c.keys[keyID] = cachedKeys{set: set, evk: evk}
	c.mu.Unlock()
	return set, evk, nil
}
