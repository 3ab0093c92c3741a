package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// The benchmark's data: 10 submissions of 60,000 admissions each, 600,000 in all. The
// demo network has two providers and a provider has one live submission per dataset and
// period, so the 10 submissions are 5 periods of both hospitals.
const (
	latencyPeriods       = 5
	latencyPerSubmission = 60_000
)

// BenchmarkQueryLatency measures, on the real network, the end-to-end latency of one
// query from its request to its recorded release: request, HospitalA's and HospitalB's
// approvals, StatOffice's worker (claim, fetch and verify the 10 frozen submissions,
// evaluate, upload, post), both decryptors' shares (made concurrently) and the
// analyst's release. The query is a mean length of stay by region and age band over
// every period (latencyQuery), under policy.yaml (noise on). Set-up (the key ceremony, the dataset and
// the 10 encrypted submissions) is not timed. Besides s/query it reports each stage's
// mean duration, and how much of the total was spent waiting for an organisation's peer
// to show the record the previous stage committed through another one (polled every
// flowPoll).
func BenchmarkQueryLatency(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	f := newFlow(b, ctx)
	ds := f.dataset(b, ctx, "policy.yaml", func(p *policies.Policy) {
		// Every iteration spends the query's epsilon.
		p.EpsilonTotal = max(p.EpsilonTotal, p.EpsilonPerQuery*policies.Epsilon(b.N))
	})
	t0 := time.Now()
	for period := range latencyPeriods {
		for i, org := range []string{hospitalA, hospitalB} {
			data := synthCSV(b, org, uint64(1000+10*period+i), latencyPerSubmission)
			f.submit(b, ctx, org, ds, fmt.Sprintf("2026-%02d", period+1), data, latencyPerSubmission)
		}
	}
	const submissions = 2 * latencyPeriods
	for _, org := range []string{statOffice, hospitalA, hospitalB} {
		_, err := f.await(ctx, org, "the submissions", func(ctx context.Context) (bool, error) {
			n, err := liveSubmissions(ctx, f, org, ds.ID)
			return n == submissions, err
		})
		require.NoError(b, err)
	}
	b.Logf("e2e: set-up of %d submissions of %d admissions: %.1f s", submissions, latencyPerSubmission, time.Since(t0).Seconds())

	var sum flowTimes
	n := 0
	for b.Loop() {
		table, _, q, ft := f.run(b, ctx, ds, latencyQuery(ds, n))
		require.Len(b, q.SubmissionIDs, submissions, "the query covers every period")
		require.Len(b, table.Rows(), 60)
		sum.Request += ft.Request
		sum.Approve += ft.Approve
		sum.Compute += ft.Compute
		sum.Share += ft.Share
		sum.Release += ft.Release
		sum.Waiting += ft.Waiting
		n++
		b.Logf("e2e: query %s released in %.3f s (request %.3f, approvals %.3f, worker %.3f, shares %.3f, release %.3f; waiting for peers %.3f)",
			q.ID, ft.Total().Seconds(), ft.Request.Seconds(), ft.Approve.Seconds(), ft.Compute.Seconds(), ft.Share.Seconds(), ft.Release.Seconds(), ft.Waiting.Seconds())
	}
	mean := func(d time.Duration) float64 { return d.Seconds() / float64(n) }
	b.ReportMetric(mean(sum.Total()), "s/query")
	b.ReportMetric(mean(sum.Request), "request-s")
	b.ReportMetric(mean(sum.Approve), "approve-s")
	b.ReportMetric(mean(sum.Compute), "worker-s")
	b.ReportMetric(mean(sum.Share), "share-s")
	b.ReportMetric(mean(sum.Release), "release-s")
	b.ReportMetric(mean(sum.Waiting), "peerwait-s")
}

// latencyQuery is the benchmark's i-th query: the mean length of stay by region and age
// band (60 cells) of every diagnosis group but one, a different one each time, so that
// each iteration's result is new and the key holders make new shares rather than
// re-post the ones their journals hold for an identical earlier request.
func latencyQuery(ds ledger.Dataset, i int) policies.Query {
	d, _, _ := ds.Schema.Dimension("diagnosisGroup")
	skip := i % len(d.Codes)
	codes := append(slices.Clone(d.Codes[:skip]), d.Codes[skip+1:]...)
	return policies.Query{Statistic: policies.StatMean, Measure: "lengthOfStay", GroupBy: []string{"region", "ageBand"},
		Filters: []policies.Filter{{Dimension: "diagnosisGroup", Codes: codes}}, Epsilon: ds.Policy.EpsilonPerQuery}
}

// liveSubmissions counts the live submissions of a dataset, every period, on org's peer.
func liveSubmissions(ctx context.Context, f *flow, org, datasetID string) (int, error) {
	n := 0
	for bookmark := ""; ; {
		page, err := f.api[org].ListSubmissions(ctx, datasetID, "", bookmark)
		if err != nil {
			return 0, err
		}
		for _, s := range page.Items {
			if s.Status == ledger.StatusLive {
				n++
			}
		}
		if bookmark = page.Bookmark; bookmark == "" || len(page.Items) == 0 {
			return n, nil
		}
	}
}
