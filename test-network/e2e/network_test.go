package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/network"
)

func TestFreshNetworkIsReadyWithin30Seconds(t *testing.T) {
	if !env.Fresh {
		t.Skip("the network was already running; its start time was not measured here")
	}
	t.Logf("network ready in %.1fs", env.StartTime.Seconds())
	require.Less(t, env.StartTime, 30*time.Second)
}

func TestOrganisationOutsideTheChannelIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	outsider, err := env.Connect(network.OutsiderOrg.Name, fabric.WithRetry(fabric.Retry{Attempts: 1}))
	require.NoError(t, err)
	defer outsider.Close()

	_, err = outsider.Evaluate(ctx, "GetConsortium")
	require.Error(t, err)
	require.Contains(t, err.Error(), "access denied")
	_, err = outsider.Submit(ctx, "GetConsortium")
	require.Error(t, err)

	member, err := env.Connect("StatOffice")
	require.NoError(t, err)
	defer member.Close()
	_, err = member.Evaluate(ctx, "GetConsortium")
	require.NoError(t, err, "a member organisation reads the same record")
}
