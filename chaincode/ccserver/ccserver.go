// Package ccserver runs a chaincode as a service: a gRPC server that the peers dial
// (Fabric's chaincode-as-a-service), configured from the environment:
//
//	CHAINCODE_ID                   the package ID the peers installed (label:sha256)
//	CHAINCODE_SERVER_ADDRESS       host:port to listen on
//	CHAINCODE_TLS_CERT_FILE        server certificate (PEM); with the key, enables TLS
//	CHAINCODE_TLS_KEY_FILE         server key (PEM)
//	CHAINCODE_TLS_CLIENT_CA_FILE   CA of the peers' client certificates (mutual TLS)
//	CHAINCODE_TLS_DISABLED         "true" to run without TLS (development only)
//	CHAINCODE_PROFILE_ADDRESS      host:port for Go's pprof endpoints (/debug/pprof/);
//	                               unset, none are served. Like the peer's profile
//	                               setting, for diagnosis: bind it to a loopback address.
//
// The statledger contract's server and the benchmarks' bare key-value chaincode share it.
package ccserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Config is a chaincode server's configuration.
type Config struct {
	ID              string
	Address         string
	TLSCertFile     string
	TLSKeyFile      string
	TLSClientCAFile string
	TLSDisabled     bool
	ProfileAddress  string
}

// Validate reports missing or contradictory settings.
func (c Config) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("CHAINCODE_ID is required"))
	}
	if c.Address == "" {
		errs = append(errs, errors.New("CHAINCODE_SERVER_ADDRESS is required"))
	}
	if !c.TLSDisabled && (c.TLSCertFile == "" || c.TLSKeyFile == "") {
		errs = append(errs, errors.New("CHAINCODE_TLS_CERT_FILE and CHAINCODE_TLS_KEY_FILE are required unless CHAINCODE_TLS_DISABLED=true"))
	}
	if c.ProfileAddress != "" {
		if _, _, err := net.SplitHostPort(c.ProfileAddress); err != nil {
			errs = append(errs, fmt.Errorf("CHAINCODE_PROFILE_ADDRESS must be host:port: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ConfigFromEnv reads the configuration from the environment variables listed in the
// package comment.
func ConfigFromEnv() Config {
	return Config{
		ID:              os.Getenv("CHAINCODE_ID"),
		Address:         os.Getenv("CHAINCODE_SERVER_ADDRESS"),
		TLSCertFile:     os.Getenv("CHAINCODE_TLS_CERT_FILE"),
		TLSKeyFile:      os.Getenv("CHAINCODE_TLS_KEY_FILE"),
		TLSClientCAFile: os.Getenv("CHAINCODE_TLS_CLIENT_CA_FILE"),
		TLSDisabled:     os.Getenv("CHAINCODE_TLS_DISABLED") == "true",
		ProfileAddress:  os.Getenv("CHAINCODE_PROFILE_ADDRESS"),
	}
}

// Main is a chaincode server's main: it reads the configuration from the environment,
// serves cc and exits with status 1, logging the reason as JSON, when the server cannot
// start or stops.
func Main(cc shim.Chaincode) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := Serve(ConfigFromEnv(), cc, log); err != nil {
		log.Error("chaincode server stopped", "err", err)
		os.Exit(1)
	}
}

// Serve validates cfg and serves cc until the server fails. It returns configuration
// and TLS file errors before listening.
func Serve(cfg Config, cc shim.Chaincode, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	tls, err := tlsProperties(cfg)
	if err != nil {
		return err
	}
	if cfg.ProfileAddress != "" {
		go serveProfiles(cfg.ProfileAddress, log)
	}
	server := &shim.ChaincodeServer{CCID: cfg.ID, Address: cfg.Address, CC: cc, TLSProps: tls}
	log.Info("chaincode server listening", "address", cfg.Address, "id", cfg.ID, "tls", !cfg.TLSDisabled)
	return server.Start()
}

// serveProfiles serves Go's pprof endpoints on addr. Profiling is a diagnosis aid: when
// it cannot listen, the error is logged and the chaincode keeps serving.
func serveProfiles(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("profiling endpoints listening", "address", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("profiling endpoints stopped", "address", addr, "err", err)
	}
}

func tlsProperties(cfg Config) (shim.TLSProperties, error) {
	if cfg.TLSDisabled {
		return shim.TLSProperties{Disabled: true}, nil
	}
	var props shim.TLSProperties
	var err error
	if props.Cert, err = os.ReadFile(cfg.TLSCertFile); err != nil {
		return props, fmt.Errorf("read TLS certificate: %w", err)
	}
	if props.Key, err = os.ReadFile(cfg.TLSKeyFile); err != nil {
		return props, fmt.Errorf("read TLS key: %w", err)
	}
	if cfg.TLSClientCAFile != "" {
		if props.ClientCACerts, err = os.ReadFile(cfg.TLSClientCAFile); err != nil {
			return props, fmt.Errorf("read TLS client CA: %w", err)
		}
	}
	return props, nil
}
