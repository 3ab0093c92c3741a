package ccserver

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"profile address without a port", Config{ID: "cc:1", Address: "127.0.0.1:0", TLSDisabled: true, ProfileAddress: "localhost"}, "CHAINCODE_PROFILE_ADDRESS must be host:port"},
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
	t.Setenv("CHAINCODE_PROFILE_ADDRESS", "127.0.0.1:6070")
	require.Equal(t, Config{ID: "cc:abc", Address: "127.0.0.1:7340", TLSCertFile: "c.pem", TLSKeyFile: "k.pem", TLSClientCAFile: "ca.pem", ProfileAddress: "127.0.0.1:6070"}, ConfigFromEnv())
	require.NoError(t, ConfigFromEnv().Validate())
}

func TestServeProfilesServesPprof(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	go serveProfiles(addr, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "goroutine profile")
	}, 5*time.Second, 20*time.Millisecond)
}
