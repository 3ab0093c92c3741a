package profile_test

import (
	"bytes"
	"path/filepath"
	"reflect"
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
	f.Add([]byte(good + peersDoc))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profile.Parse(data, "/base")
		if err != nil {
			return
		}
		for _, fl := range profile.Fields {
			if !fl.Path {
				continue
			}
			v := fieldValue(t, p, fl.Key)
			if v != "" && !strings.ContainsAny(v, "\r\n") && !filepath.IsAbs(v) {
				t.Fatalf("%s %q is not absolute", fl.Key, v)
			}
		}
		for i, peer := range p.Peers {
			v := peer.TLSCAFile
			if v != "" && !strings.ContainsAny(v, "\r\n") && !filepath.IsAbs(v) {
				t.Fatalf("peers[%d].tlsCAFile %q is not absolute", i, v)
			}
		}
		if p.Validate() != nil {
			// Only profiles the CLI would use need to survive a round trip: yaml.v3
			// drops the leading line break of a block scalar ("\n0" comes back as "0"),
			// and Validate refuses every path with a line break.
			return
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

// fieldValue returns the value of the string field with YAML key key.
func fieldValue(t *testing.T, p profile.Profile, key string) string {
	t.Helper()
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); name == key {
			return v.Field(i).String()
		}
	}
	t.Fatalf("no field %q", key)
	return ""
}
