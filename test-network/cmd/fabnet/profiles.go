package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statledger/statledger/client/profile"
)

// runProfiles writes one statledger CLI profile per organisation of the running
// network into dir: <org>.yaml, acting as the organisation's ordinary user, sharing the
// blob store blobDir, with key holders' key shares under dir/keys.
func runProfiles(cfg Config, dir, blobDir string, out io.Writer) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	blobs, err := filepath.Abs(blobDir)
	if err != nil {
		return err
	}
	l := n.Layout()
	for _, org := range n.Definition().Orgs {
		id, err := n.User(org.Name)
		if err != nil {
			return err
		}
		p := profile.Profile{
			Name: strings.ToLower(org.Name), Org: org.Name, MSPID: id.MSPID, PeerEndpoint: id.PeerAddress,
			Channel: l.ChannelID, Chaincode: l.ChaincodeName,
			TLSCAFile: id.TLSCAFile, CertFile: id.CertFile, KeyFile: id.KeyFile,
			BlobStoreURL: "file://" + blobs, Output: profile.DefaultOutput,
		}
		if org.KeyHolder {
			abs, err := filepath.Abs(filepath.Join(dir, "keys", strings.ToLower(org.Name)))
			if err != nil {
				return err
			}
			p.KeySharePath = abs
		}
		data, err := yaml.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode profile of %s: %w", org.Name, err)
		}
		file := filepath.Join(dir, strings.ToLower(org.Name)+".yaml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return fmt.Errorf("write profile of %s: %w", org.Name, err)
		}
		fmt.Fprintln(out, file)
	}
	return nil
}
