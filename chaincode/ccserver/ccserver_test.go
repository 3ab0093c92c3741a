package ccserver

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServeRefusesBadConfiguration(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no package ID", Config{Address: "127.0.0.1:0", TLSDisabled: true}, "CHAINCODE_ID is required"},
		{"no address", Config{ID: "cc:1", TLSDisabled: true}, "CHAINCODE_SERVER_ADDRESS is required"},
		{"TLS without files", Config{ID: "cc:1", Address: "127.0.0.1:0"}, "CHAINCODE_TLS_CERT_FILE and CHAINCODE_TLS_KEY_FILE are required"},
		{"unreadable certificate", Config{ID: "cc:1", Address: "127.0.0.1:0", TLSCertFile: missing, TLSKeyFile: missing}, "read TLS certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Serve(tt.cfg, nil, log)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigFromEnvReadsEveryVariable(t *testing.T) {
	t.Setenv("CHAINCODE_ID", "cc:abc")
	t.Setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:7340")
	t.Setenv("CHAINCODE_TLS_CERT_FILE", "c.pem")
	t.Setenv("CHAINCODE_TLS_KEY_FILE", "k.pem")
	t.Setenv("CHAINCODE_TLS_CLIENT_CA_FILE", "ca.pem")
	t.Setenv("CHAINCODE_TLS_DISABLED", "false")
	require.Equal(t, Config{ID: "cc:abc", Address: "127.0.0.1:7340", TLSCertFile: "c.pem", TLSKeyFile: "k.pem", TLSClientCAFile: "ca.pem"}, ConfigFromEnv())
	require.NoError(t, ConfigFromEnv().Validate())
}
