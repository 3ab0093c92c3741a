// Package e2e runs statledger's end-to-end tests against a real local Fabric network
// (see package nettest): real orderer and peers as native processes, TLS, the chaincode
// as a service.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/statledger/statledger/test-network/nettest"
)

// env is the network every test in this package uses.
var env *nettest.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	progress := func(format string, args ...any) { fmt.Printf("e2e: "+format, args...) }
	var err error
	if env, err = nettest.Start(ctx, progress); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the local network:", err)
		return 1
	}
	code := m.Run()
	printReport(os.Stdout)
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the network:", err)
		return 1
	}
	return code
}
