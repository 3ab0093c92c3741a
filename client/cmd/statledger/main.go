// Command statledger is the statledger command line; see package cli.
package main

import (
	"os"

	"github.com/statledger/statledger/client/cli"

	// S3-compatible object storage for blob store URLs s3://bucket?region=...
	_ "github.com/statledger/statledger/client/blobstore/s3"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
