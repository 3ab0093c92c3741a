package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds how long Serve waits for open requests when it stops.
const ShutdownTimeout = 5 * time.Second

// Serve serves the dashboard on ln and runs it (see Run) until ctx ends; then it ends
// the pages' event streams, waits up to ShutdownTimeout for other requests to finish
// and returns nil. It returns an error when serving fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = s.Run(runCtx)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("dashboard: serve on %s: %w", ln.Addr(), err)
	}
	stop()
	<-ran // Run ends the event streams when it returns
	shutdown, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil && err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = fmt.Errorf("dashboard: shut down: %w", serr)
	}
	return err
}
