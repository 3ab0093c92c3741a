// Command statledger-cc runs the statledger chaincode as a service: a gRPC server that
// the peers dial (Fabric's chaincode-as-a-service). It is configured from the environment;
// package ccserver lists the variables.
package main

import (
	"fmt"
	"os"

	"github.com/statledger/statledger/chaincode/ccserver"
	"github.com/statledger/statledger/chaincode/contract"
)

func main() {
	cc, err := contract.NewChaincode()
	if err != nil {
		fmt.Fprintf(os.Stderr, "create chaincode: %v\n", err)
		os.Exit(1)
	}
	ccserver.Main(cc)
}
