package testnetwork

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShimRequestsSumsOneChaincodeOnOneChannel(t *testing.T) {
	body := []byte(`# HELP chaincode_shim_requests_received The number of chaincode shim requests received.
# TYPE chaincode_shim_requests_received counter
chaincode_shim_requests_received{chaincode="benchkv_1:aa",channel="statistics",type="GET_STATE"} 2906
chaincode_shim_requests_received{chaincode="statledger_1:23",channel="statistics",type="24"} 4090
chaincode_shim_requests_received{chaincode="statledger_1:23",channel="statistics",type="25"} 4.514e+06
chaincode_shim_requests_received{chaincode="statledger_1:23",channel="other",type="25"} 7
chaincode_shim_requests_received{chaincode="statledger_10:99",channel="statistics",type="25"} 9
chaincode_shim_requests_received{chaincode="statledger_1:23",channel="statistics",type="GET_STATE_BY_RANGE"} 930
`)
	got := shimRequests(body, "statistics", "statledger_1")
	require.Equal(t, map[string]int64{ShimWriteBatch: 4090, ShimGetStateMultiple: 4514000, "GET_STATE_BY_RANGE": 930}, got)
	require.Empty(t, shimRequests([]byte("garbage\n"), "statistics", "statledger_1"))
}
