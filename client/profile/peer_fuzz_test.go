package profile_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/profile"
)

// FuzzParsePeer feeds arbitrary --peer specs to ParsePeer: it never panics; it refuses
// with ErrMalformed only; an accepted peer's CA file is absolute (or empty); and writing
// an accepted peer back as a spec parses to the same peer.
func FuzzParsePeer(f *testing.F) {
	f.Add("org=HospitalA,endpoint=localhost:7061,tlsCAFile=hospitala-ca.pem")
	f.Add("org=HospitalB,endpoint=10.0.0.2:7061,tlsCAFile=/etc/ca.pem,serverName=peer0.hospitalb.example")
	f.Add("org=A,org=B")
	f.Add("endpoint")
	f.Add(" org = x ,tlsCAFile=../../ca=.pem")
	f.Add("colour=blue")
	f.Add("")
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := profile.ParsePeer(spec)
		if err != nil {
			require.True(t, errors.Is(err, profile.ErrMalformed), "%v", err)
			require.Equal(t, profile.Peer{}, p)
			return
		}
		if p.TLSCAFile != "" && !strings.ContainsAny(p.TLSCAFile, "\r\n") {
			require.True(t, filepath.IsAbs(p.TLSCAFile), "%q", p.TLSCAFile)
		}
		again, err := profile.ParsePeer(strings.Join([]string{
			"org=" + p.Org, "endpoint=" + p.Endpoint, "tlsCAFile=" + p.TLSCAFile, "serverName=" + p.ServerName,
		}, ","))
		require.NoError(t, err)
		require.Equal(t, p, again)
	})
}
