package ledger

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrittenKeyRecognisesOnlyAReference(t *testing.T) {
	ref, err := json.Marshal(Written{Key: QueryKey("q-1")})
	require.NoError(t, err)
	key, ok := WrittenKey(ref)
	require.True(t, ok)
	require.Equal(t, QueryKey("q-1"), key)

	for _, resp := range []string{
		``, `null`, `{}`, `{"written":""}`, `{"written":"k","id":"q-1"}`, `{"written":"k"} {"written":"l"}`,
		`{"id":"q-1","written":"k"}`, `{"written":7}`, `{"written":"k"`, `[{"written":"k"}]`,
	} {
		_, ok := WrittenKey([]byte(resp))
		require.False(t, ok, "%s", resp)
	}
}

func FuzzWrittenKey(f *testing.F) {
	f.Add([]byte(`{"written":"\u0000query\u0000q-1\u0000"}`))
	f.Add([]byte(`{"id":"q-1"}`))
	f.Fuzz(func(t *testing.T, resp []byte) {
		key, ok := WrittenKey(resp)
		if !ok {
			return
		}
		again, err := json.Marshal(Written{Key: key})
		require.NoError(t, err)
		k2, ok2 := WrittenKey(again)
		require.True(t, ok2)
		require.Equal(t, key, k2)
	})
}
