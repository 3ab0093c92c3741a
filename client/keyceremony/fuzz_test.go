package keyceremony_test

import (
	"bytes"
	"testing"

	"github.com/statledger/statledger/client/keyceremony"
)

// FuzzDecodeManifest feeds arbitrary bytes to the manifest decoder: it must never panic,
// and whatever it accepts must be valid and re-encode to exactly the same bytes.
// The seed corpus is testdata/fuzz/FuzzDecodeManifest.
func FuzzDecodeManifest(f *testing.F) {
	good, err := sampleManifest().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := keyceremony.DecodeManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid manifest: %v", err)
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted a non-canonical manifest")
		}
	})
}
