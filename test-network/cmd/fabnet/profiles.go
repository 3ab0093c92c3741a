package main

import (
	"fmt"
	"io"
)

// runProfiles writes one statledger CLI profile per organisation of the running
// network into dir (see testnetwork.Network.WriteProfiles) and prints their paths.
func runProfiles(cfg Config, dir, blobDir string, out io.Writer) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	files, err := n.WriteProfiles(dir, blobDir)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(out, f)
	}
	return nil
}
