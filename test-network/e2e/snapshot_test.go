package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
)

// A snapshot is what the auditor reads of the ledger records an attack aims at: every
// record by a name such as "GetBudget(ds-1)" or "ListSubmissions(ds-1)[sub-1]", with its
// JSON as the chaincode returns it (deterministic for a given world state). The history
// of each dataset and query is part of it, so that any write to them shows, even one
// that restored the value it replaced.
type snapshot map[string]string

// scope names the records a snapshot covers: some datasets (with their budgets,
// submissions, queries, and each query's approvals, job, results, shares, release and
// history) and some queries of other datasets, plus the consortium, its pending changes,
// the collective keys, the datasets and the releases.
type scope struct {
	datasets []string
	queries  []string
}

// takeSnapshot reads the scope through the auditor's peer after every peer has caught up.
func takeSnapshot(t testing.TB, ctx context.Context, sc scope) snapshot {
	t.Helper()
	settle(t, ctx)
	r := &snapshotReader{t: t, ctx: ctx, c: connectRaw(t, regulator), s: snapshot{}}
	r.one("GetConsortium")
	r.pages("ListConsortiumChanges")
	r.pages("ListCollectiveKeys")
	r.pages("ListDatasets")
	r.pages("ListReleases")
	queries := slices.Clone(sc.queries)
	for _, ds := range sc.datasets {
		r.one("GetDataset", ds)
		r.one("GetBudget", ds)
		r.one("GetDatasetHistory", ds)
		r.pages("ListSubmissions", ds, "")
		for _, q := range r.pages("ListQueries", ds) {
			queries = append(queries, q)
		}
	}
	slices.Sort(queries)
	for _, q := range slices.Compact(queries) {
		r.one("GetQuery", q)
		r.one("GetQueryHistory", q)
		r.one("GetJob", q)
		r.one("GetRelease", q)
		r.list("ListApprovals", q)
		r.list("ListResults", q)
		r.list("ListDecryptionShares", q)
	}
	return r.s
}

type snapshotReader struct {
	t   testing.TB
	ctx context.Context
	c   *fabric.Client
	s   snapshot
}

// one records a single record; a record that does not exist is left out.
func (r *snapshotReader) one(fn string, args ...string) {
	raw, ok := r.read(fn, args...)
	if ok {
		r.s[name(fn, args)] = string(raw)
	}
}

// list records each item of a list result under its ID, or its position when it has
// none.
func (r *snapshotReader) list(fn string, args ...string) {
	raw, ok := r.read(fn, args...)
	if !ok {
		return
	}
	var items []json.RawMessage
	require.NoError(r.t, json.Unmarshal(raw, &items), "%s", name(fn, args))
	r.items(name(fn, args), 0, items)
}

// pages records every item of every page of a List transaction whose last argument is
// the bookmark, and returns the items' IDs.
func (r *snapshotReader) pages(fn string, args ...string) []string {
	var ids []string
	bookmark, n := "", 0
	for {
		raw, ok := r.read(fn, append(slices.Clone(args), bookmark)...)
		require.True(r.t, ok, "%s: not found", name(fn, args))
		var page ledger.Page[json.RawMessage]
		require.NoError(r.t, json.Unmarshal(raw, &page), "%s", name(fn, args))
		ids = append(ids, r.items(name(fn, args), n, page.Items)...)
		n += len(page.Items)
		if bookmark = page.Bookmark; bookmark == "" {
			return ids
		}
	}
}

func (r *snapshotReader) items(prefix string, offset int, items []json.RawMessage) []string {
	var ids []string
	for i, item := range items {
		var key struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(item, &key)
		k := key.ID
		if k == "" {
			k = fmt.Sprint(offset + i)
		} else {
			ids = append(ids, k)
		}
		r.s[prefix+"["+k+"]"] = string(item)
	}
	return ids
}

func (r *snapshotReader) read(fn string, args ...string) ([]byte, bool) {
	raw, err := r.c.Evaluate(r.ctx, fn, args...)
	if ledger.CodeOf(err) == ledger.CodeNotFound {
		return nil, false
	}
	require.NoError(r.t, err, "%s", name(fn, args))
	return raw, true
}

func name(fn string, args []string) string {
	return fn + "(" + strings.Join(args, ",") + ")"
}

// compare returns the number of records of before that changed or vanished in after,
// and the names of those records and of records that appeared.
func compare(before, after snapshot) (lost int, changed []string) {
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if v, ok := after[k]; !ok || v != before[k] {
			lost++
			changed = append(changed, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			changed = append(changed, k+" (new)")
		}
	}
	return lost, changed
}

// A stateCheck adds up the snapshot comparisons of a scenario.
type stateCheck struct {
	lost, records int
}

// unchanged takes a second snapshot of the scope of before and fails the test when any
// record changed, vanished or appeared; records that changed or vanished count as lost.
func (c *stateCheck) unchanged(t testing.TB, ctx context.Context, sc scope, before snapshot) {
	t.Helper()
	lost, changed := compare(before, takeSnapshot(t, ctx, sc))
	if len(changed) > 0 {
		t.Errorf("the ledger changed: %v", changed)
	}
	c.lost += lost
	c.records += len(before)
}

// String says what the comparisons found, for the report.
func (c stateCheck) String() string {
	return fmt.Sprintf("%d of %d ledger records changed", c.lost, c.records)
}
