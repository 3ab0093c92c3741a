package network

import (
	"fmt"
	"strings"
	"testing"
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
// growing size. Parse's only bound is maxDefinitionBytes (1 MiB). Measured on 2 busy
// cores: repeated keys took 68 ms at 4 KiB, 0.69 s at 16 KiB and 13.9 s at 64 KiB (so far
// longer at 1 MiB); unknown keys took 39 s at 1 MiB, with a 4 MB error message. Reported;
// the sizes here stop at 16 KiB so that the benchmark stays quick.
//
//	go test ./network -run '^$' -bench ParseHostile
func BenchmarkParseHostile(b *testing.B) {
	for _, repeated := range []bool{false, true} {
		for _, size := range []int{4 << 10, 16 << 10} {
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
