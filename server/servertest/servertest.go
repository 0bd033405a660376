// Package servertest starts real tickwire servers on loopback for tests,
// benchmarks and bots: the harness every end-to-end test in the repo shares.
package servertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// Server is a running tickwire server on a random loopback port.
type Server struct {
	*server.Server
	// Addr is host:port; URL is the WebSocket endpoint (ws://Addr/ws);
	// HTTP is the base URL (http://Addr).
	Addr, URL, HTTP string

	serveErr chan error
	stopOnce sync.Once
}

// Start starts a server with opts (nil: defaults; a nil Logger is replaced
// by one that discards, unless -v is set) on a random loopback port and
// stops it when the test ends.
func Start(tb testing.TB, opts *server.Options) *Server {
	tb.Helper()
	var o server.Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("servertest: listen: %v", err)
	}
	s := &Server{
		Server:   server.New(&o),
		Addr:     ln.Addr().String(),
		serveErr: make(chan error, 1),
	}
	s.URL = "ws://" + s.Addr + "/ws"
	s.HTTP = "http://" + s.Addr
	go func() { s.serveErr <- s.Serve(ln) }()
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// Stop shuts the server down (gracefully, for at most 10 s) and waits for
// Serve to return. Calling it more than once is safe.
func (s *Server) Stop(tb testing.TB) {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			tb.Errorf("servertest: shutdown: %v", err)
		}
		if err := <-s.serveErr; !errors.Is(err, server.ErrServerClosed) {
			tb.Errorf("servertest: serve: %v", err)
		}
	})
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
