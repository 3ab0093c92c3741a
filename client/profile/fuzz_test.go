package profile_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/statledger/statledger/client/profile"
)

// FuzzParse decodes arbitrary profile files: Parse and Validate must never panic, a
// decoded profile's paths must be absolute, and encoding a decoded profile and decoding it
// again must give the same profile. The seed corpus is under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profile.Parse(data, "/base")
		if err != nil {
			return
		}
		_ = p.Validate()
		for _, fl := range profile.Fields {
			if !fl.Path {
				continue
			}
			v := fieldValue(t, p, fl.Key)
			if v != "" && !strings.ContainsAny(v, "\r\n") && !filepath.IsAbs(v) {
				t.Fatalf("%s %q is not absolute", fl.Key, v)
			}
		}
		once, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		q, err := profile.Parse(once, "/base")
		if err != nil {
			t.Fatalf("decode the encoded profile: %v\n%s", err, once)
		}
		twice, err := yaml.Marshal(q)
		if err != nil {
			t.Fatalf("encode again: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the profile:\n%s\n---\n%s", once, twice)
		}
	})
}

// fieldValue returns the value of the field with YAML key key.
func fieldValue(t *testing.T, p profile.Profile, key string) string {
	t.Helper()
	var m map[string]string
	data, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}
