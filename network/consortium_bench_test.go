package network

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostileDefinition is size bytes of one organisation whose mapping repeats a key
// (repeated) or holds ever new unknown keys (!repeated): input that the typed YAML
// decoder refuses only after work quadratic in the number of keys.
func hostileDefinition(size int, repeated bool) []byte {
	var b strings.Builder
	b.WriteString("orgs:\n  - name: A\n")
	for i := 0; b.Len() < size-32; i++ {
		if repeated {
			b.WriteString("    name: A\n")
		} else {
			fmt.Fprintf(&b, "    k%d: 1\n", i)
		}
	}
	return []byte(b.String())
}

// BenchmarkParseHostile measures how long Parse takes to refuse hostile definitions of
// growing size, up to maxDefinitionBytes (64 KiB). Before Parse walked the syntax tree
// first, yaml.v3's typed decoder refused them in quadratic time: on 2 busy cores repeated
// keys took 68 ms at 4 KiB, 0.69 s at 16 KiB and 13.9 s at 64 KiB, and unknown keys 39 s
// at 1 MiB (then the size cap). The walk stops at the first repeated or unknown key.
//
//	go test ./network -run '^$' -bench ParseHostile
func BenchmarkParseHostile(b *testing.B) {
	for _, repeated := range []bool{false, true} {
		for _, size := range []int{4 << 10, 16 << 10, maxDefinitionBytes} {
			kind := "unknown-keys"
			if repeated {
				kind = "repeated-keys"
			}
			data := hostileDefinition(size, repeated)
			b.Run(fmt.Sprintf("%s-%dKiB", kind, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := Parse(data); err == nil {
						b.Fatal("a hostile definition was accepted")
					}
				}
			})
		}
	}
}

// TestParseRefusesHostileDefinitionsQuickly: definitions of the largest size Parse reads
// that repeat a key, or hold ever new unknown keys, are refused in well under the bound
// (generous, for busy machines and the race detector).
func TestParseRefusesHostileDefinitionsQuickly(t *testing.T) {
	const bound = 2 * time.Second
	tests := []struct {
		name     string
		repeated bool
		want     string
	}{
		{name: "a maximal definition repeating one key", repeated: true, want: `mapping key "name" already defined at line 2`},
		{name: "a maximal definition of unknown keys", repeated: false, want: "field k0 not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused quickly", func(t *testing.T) {
			data := hostileDefinition(maxDefinitionBytes, tc.repeated)
			require.LessOrEqual(t, len(data), maxDefinitionBytes)
			require.Greater(t, len(data), maxDefinitionBytes-64, "as large as Parse reads")
			start := time.Now()
			d, err := Parse(data)
			elapsed := time.Since(start)
			require.ErrorContains(t, err, tc.want)
			require.Less(t, len(err.Error()), 200, "one short error, not one per key")
			require.Equal(t, Definition{}, d)
			require.Less(t, elapsed, bound)
		})
	}
	t.Run("a definition one byte over the limit is refused before it is read", func(t *testing.T) {
		data := append(hostileDefinition(maxDefinitionBytes, true), strings.Repeat("#", maxDefinitionBytes)...)
		start := time.Now()
		_, err := Parse(data[:maxDefinitionBytes+1])
		require.ErrorContains(t, err, "more than the 65536 allowed")
		require.Less(t, time.Since(start), bound)
	})
}
