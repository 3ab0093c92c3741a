package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
	testnetwork "github.com/statledger/statledger/test-network"
)

func TestFreshNetworkIsReadyWithin30Seconds(t *testing.T) {
	if !env.Fresh {
		t.Skip("the network was already running; its start time was not measured here")
	}
	t.Logf("network ready in %.1fs", env.StartTime.Seconds())
	require.Less(t, env.StartTime, 30*time.Second)
}

func TestProviderSubmissionEmitsEventAndIsReadByAnotherOrganisation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)

	listener := connectRaw(t, hospitalA)
	evCtx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	events, _, err := listener.Events(evCtx, "")
	require.NoError(t, err)

	sub, err := connect(t, hospitalA).SubmitData(ctx, submission(ds.ID, "2026-Q3"))
	require.NoError(t, err)
	require.Equal(t, mspID(hospitalA), sub.Provider)

	var got ledger.Event
	for got.TxID != sub.TxID {
		select {
		case e, ok := <-events:
			require.True(t, ok, "the event stream ended")
			require.NoError(t, json.Unmarshal(e.Payload, &got))
			require.Equal(t, e.Name, got.Name)
		case <-ctx.Done():
			t.Fatal("no event for the submission")
		}
	}
	require.Equal(t, ledger.EventName(ledger.RecordSubmission, ledger.StatusLive), got.Name)
	require.Equal(t, sub.ID, got.ID)

	// The submit returned once HospitalA's peer committed the block; StatOffice's peer
	// commits it on its own schedule, within moments.
	stat := connect(t, statOffice)
	var read ledger.Submission
	require.Eventually(t, func() bool {
		read, err = stat.GetSubmission(ctx, sub.ID)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "StatOffice never sees the submission: %v", err)
	require.Equal(t, sub, read)
}

func TestStoppedMemberPeerCatchesUpAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	peer := testnetwork.PeerNode(hospitalB)
	require.NoError(t, env.Net.StopNode(peer))
	restarted := false
	defer func() {
		if !restarted {
			_ = env.Net.StartNode(context.Background(), peer)
		}
	}()

	// The majority (StatOffice and HospitalA) endorses while HospitalB is down.
	api := connect(t, hospitalA, fabric.WithRetry(fabric.Retry{Attempts: 15, Backoff: 300 * time.Millisecond, MaxBackoff: 3 * time.Second}))
	var subs []ledger.Submission
	for _, period := range []string{"2026-01", "2026-02", "2026-03"} {
		sub, err := api.SubmitData(ctx, submission(ds.ID, period))
		require.NoError(t, err, "submit with HospitalB's peer down")
		subs = append(subs, sub)
	}

	require.NoError(t, env.Net.StartNode(ctx, peer))
	restarted = true
	want, err := env.Net.BlockHeight(ctx, statOffice)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		h, err := env.Net.BlockHeight(ctx, hospitalB)
		return err == nil && h >= want
	}, time.Minute, 250*time.Millisecond, "HospitalB's peer does not catch up to block height %d", want)

	// HospitalB's own peer serves the blocks it missed.
	reader := connect(t, hospitalB)
	for _, sub := range subs {
		got, err := reader.GetSubmission(ctx, sub.ID)
		require.NoError(t, err)
		require.Equal(t, sub, got)
	}
}

// The peers serve the batched state calls that tools/fabric/patch.sh adds and the
// contract uses them: a submission reads the consortium and the records its argument
// names in one message and sends all its writes in another, and no statledger
// transaction has ever written key by key.
func TestContractUsesBatchedStateCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	before, err := env.Net.ShimRequests(ctx, hospitalA)
	require.NoError(t, err)

	// HospitalA's gateway endorses on HospitalA's own peer first.
	_, err = connect(t, hospitalA).SubmitData(ctx, submission(ds.ID, "2026-Q3"))
	require.NoError(t, err)

	after, err := env.Net.ShimRequests(ctx, hospitalA)
	require.NoError(t, err)
	require.Greater(t, after[testnetwork.ShimGetStateMultiple], before[testnetwork.ShimGetStateMultiple], "no batched read: %v", after)
	require.Greater(t, after[testnetwork.ShimWriteBatch], before[testnetwork.ShimWriteBatch], "no write batch: %v", after)
	require.Zero(t, after["PUT_STATE"], "single-key writes reached the peer: %v", after)
	require.Zero(t, after["DEL_STATE"], "single-key deletes reached the peer: %v", after)
}
