package keyceremony

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeRound checks the decoder of a holder's round record (RoundPath), the file a
// restarted holder trusts to re-send its message rather than make a new one: it never
// panics; whatever it accepts has valid digests and a holder index that is not negative;
// and it reads back exactly what writeRound's encoding of it says.
func FuzzDecodeRound(f *testing.F) {
	d := strings.Repeat("ab", 32)
	good, err := json.Marshal(round{SetupDigest: d, Holder: 2, MessageDigest: strings.Repeat("0f", 32)})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"setupDigest":"` + d + `","holder":-1,"messageDigest":"` + d + `"}`))
	f.Add([]byte(`{"setupDigest":"` + d + `","holder":0,"messageDigest":"` + d + `"} {}`))
	f.Add([]byte(`{"setupDigest":"` + d + `","holder":0,"messageDigest":"` + d + `","extra":1}`))
	f.Add([]byte(`{"setupDigest":"AB","holder":0}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRound(data)
		if err != nil {
			require.Equal(t, round{}, r)
			return
		}
		require.NoError(t, validDigest("setup", r.SetupDigest))
		require.NoError(t, validDigest("message", r.MessageDigest))
		require.GreaterOrEqual(t, r.Holder, 0)
		enc, err := json.Marshal(r)
		require.NoError(t, err)
		again, err := decodeRound(enc)
		require.NoError(t, err)
		require.Equal(t, r, again)
	})
}
