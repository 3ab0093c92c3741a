package fabric

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/statledger/statledger/chaincode/ledger"
)

// gatewayError builds the error the gateway returns: a gRPC status whose details are
// the peers' own answers.
func gatewayError(t *testing.T, code codes.Code, msg string, peerMessages ...string) error {
	t.Helper()
	st := status.New(code, msg)
	for i, m := range peerMessages {
		var err error
		st, err = st.WithDetails(&gateway.ErrorDetail{Address: fmt.Sprintf("127.0.0.1:%d", 7150+10*i), MspId: "HospitalAMSP", Message: m})
		require.NoError(t, err)
	}
	return st.Err()
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      ledger.Code
		transient bool
		contains  string
	}{
		{
			name: "a chaincode refusal in a peer's details becomes a ledger error",
			err:  gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details", "chaincode response 500, BUDGET_EXCEEDED: dataset d-1 has 0.2 left"),
			code: ledger.CodeBudgetExceeded, contains: "dataset d-1 has 0.2 left",
		},
		{
			name: "a chaincode refusal in the message of an evaluate becomes a ledger error",
			err:  gatewayError(t, codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: query q-1 does not exist"),
			code: ledger.CodeNotFound, contains: "query q-1 does not exist",
		},
		{
			name: "an unavailable peer is transient",
			err:  gatewayError(t, codes.Unavailable, "connection error"), transient: true,
		},
		{
			name:      "an endorsement plan that cannot be met yet is transient, and names the peers",
			err:       gatewayError(t, codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy", "peer restarting"),
			transient: true, contains: "127.0.0.1:7150 (HospitalAMSP): peer restarting",
		},
		{
			name:     "a refusal without a code is permanent and shows every peer's answer",
			err:      gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details", "access denied", "creator org unknown"),
			contains: "access denied; 127.0.0.1:7160 (HospitalAMSP): creator org unknown",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.transient, e.Transient)
			require.Equal(t, tt.transient, IsTransient(err))
			require.Equal(t, tt.code, ledger.CodeOf(err))
			require.Contains(t, err.Error(), tt.contains)
			if tt.code != "" {
				require.ErrorIs(t, err, &ledger.Error{Code: tt.code})
			}
		})
	}
}

func TestClassifyLeavesNilAndContextErrorsAlone(t *testing.T) {
	require.NoError(t, classify(nil))
	require.Equal(t, context.Canceled, classify(context.Canceled))
	require.False(t, IsTransient(classify(context.DeadlineExceeded)))
}

func TestRetryStopsAtPermanentErrorsAndAfterAttempts(t *testing.T) {
	c := &Client{retry: Retry{Attempts: 4, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}}
	calls := 0
	err := c.withRetry(context.Background(), func() error {
		calls++
		return gatewayError(t, codes.Unavailable, "connection refused")
	})
	require.True(t, IsTransient(err))
	require.Equal(t, 4, calls, "a transient error is tried Attempts times")

	calls = 0
	err = c.withRetry(context.Background(), func() error {
		calls++
		return gatewayError(t, codes.Aborted, "failed", "FORBIDDEN: no")
	})
	require.ErrorIs(t, err, ledger.ErrForbidden)
	require.Equal(t, 1, calls, "a chaincode refusal is never retried")

	calls = 0
	err = c.withRetry(context.Background(), func() error {
		calls++
		if calls < 3 {
			return gatewayError(t, codes.Unavailable, "no orderers could successfully process transaction")
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)
}

func TestRetryGivesUpWhenTheContextEnds(t *testing.T) {
	c := &Client{retry: Retry{Attempts: 100, Backoff: time.Hour, MaxBackoff: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.withRetry(ctx, func() error { return gatewayError(t, codes.Unavailable, "down") })
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, errors.Is(err, context.Canceled))
}

func TestJitterStaysWithinHalfToFullPause(t *testing.T) {
	for range 1000 {
		d := jitter(100 * time.Millisecond)
		require.GreaterOrEqual(t, d, 50*time.Millisecond)
		require.Less(t, d, 100*time.Millisecond)
	}
}
