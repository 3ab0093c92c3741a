package blobstore_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/blobstore"
)

// FuzzParseDigest checks the digest parser that every ledger-supplied blob reference
// passes through: it never panics; it refuses with ErrInvalidDigest only; and it accepts
// exactly the canonical form, the one Digest writes, so that parse then encode is the
// identity.
func FuzzParseDigest(f *testing.F) {
	f.Add(blobstore.Digest([]byte("a submission")))
	f.Add(blobstore.Digest(nil))
	f.Add("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")
	f.Add("../../etc/passwd")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := blobstore.ParseDigest(s)
		if err != nil {
			require.True(t, errors.Is(err, blobstore.ErrInvalidDigest), "%v", err)
			require.Error(t, blobstore.ValidDigest(s))
			return
		}
		require.NoError(t, blobstore.ValidDigest(s))
		require.Equal(t, s, hex.EncodeToString(d[:]))
	})
}
