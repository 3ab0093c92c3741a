package fabric

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConnectRefusesUnreadableOrMalformedIdentityFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not PEM"), 0o600))
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		id   Identity
		want string
	}{
		{"missing TLS CA", Identity{MSPID: "HospitalAMSP", TLSCAFile: missing}, "read peer TLS CA"},
		{"TLS CA that is not PEM", Identity{MSPID: "HospitalAMSP", TLSCAFile: garbage}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(tt.id, Target{Channel: "statistics", Chaincode: "statledger"})
			require.ErrorContains(t, err, tt.want)
		})
	}
}
