// Command statledger is the statledger command line; see package cli.
package main

import (
	"os"

	"github.com/statledger/statledger/client/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
