package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
	"github.com/tickwire/tickwire/sim/tag"
)

// Errors the Server's methods return.
var (
	// ErrServerClosed is returned by Run and Serve after Shutdown or Close.
	ErrServerClosed = errors.New("tickwire: server closed")
	// ErrUnknownGame is returned when a room asks for a game nobody registered.
	ErrUnknownGame = errors.New("tickwire: unknown game")
)

// Server is a tickwire game server: an HTTP handler with the WebSocket
// endpoint /ws and the rooms behind it. Create it with New, register games,
// then Run (or Serve a listener, or mount Handler). Stop it with Shutdown,
// which tells every player why, or Close.
type Server struct {
	opts  Options
	log   *slog.Logger
	start time.Time // the origin of every monotonic timestamp the server sends

	mu       sync.Mutex
	games    map[string]GameFactory
	httpSrv  *http.Server
	closing  bool
	nextSeed uint64

	rooms   *directory
	beat    *metronome // beats every room's tick
	nextPID atomic.Uint32
	metrics *metrics
	hosting hosting    // rooms API, reservations, matchmaking, results
	agones  *agonesSDK // nil without Options.Agones
	cluster *cluster   // nil without Options.Cluster

	// heartbeat is the server time (ns) of the janitor's last sweep: proof
	// of life for the Agones Health reports.
	heartbeat atomic.Int64

	// tasks counts every goroutine the server started: rooms,
	// connections, goodbyes.
	tasks    *tasks
	shutdown chan struct{} // closed when Shutdown or Close begins
	stopOnce sync.Once
}

// New returns a Server configured by opts (nil means defaults) with the
// arena game registered as "arena".
func New(opts *Options) *Server {
	o := opts.withDefaults()
	s := &Server{
		opts:     o,
		log:      o.Logger,
		start:    time.Now(),
		games:    make(map[string]GameFactory),
		shutdown: make(chan struct{}),
		nextSeed: uint64(time.Now().UnixNano()),
		tasks:    newTasks(),
	}
	s.rooms = newDirectory(s)
	s.beat = newMetronome(s)
	s.metrics = newMetrics(s)
	s.goroutine(s.janitor)
	s.initHosting()
	s.agones = newAgonesSDK(s, o.Agones)
	s.cluster = newCluster(s, o.Cluster)
	s.games["arena"] = func(cfg sim.Config) (Game, error) { return arena.New(cfg) }
	s.games["tag"] = func(cfg sim.Config) (Game, error) { return tag.New(cfg) }
	return s
}

// RegisterGame makes a game available to rooms under name, replacing any
// game registered under it before. Rooms already running keep their game.
func (s *Server) RegisterGame(name string, f GameFactory) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.games[name] = f
}

// newGame creates the game a new room asked for, with the server's default
// parameters overlaid by the room's own.
func (s *Server) newGame(name string, params map[string]string) (Game, sim.Config, error) {
	s.mu.Lock()
	f, ok := s.games[name]
	s.nextSeed = s.nextSeed*6364136223846793005 + 1442695040888963407
	seed := s.nextSeed
	s.mu.Unlock()
	if !ok {
		return nil, sim.Config{}, fmt.Errorf("%w %q", ErrUnknownGame, name)
	}
	merged := make(map[string]string, len(s.opts.GameParams)+len(params))
	if name == s.opts.DefaultGame {
		for k, v := range s.opts.GameParams {
			merged[k] = v
		}
	}
	for k, v := range params {
		merged[k] = v
	}
	cfg := sim.Config{
		TickRate:    s.opts.TickRate,
		Seed:        seed,
		RewindTicks: s.opts.TickRate,
		Params:      merged,
	}
	g, err := f(cfg)
	if err != nil {
		return nil, cfg, err
	}
	return g, cfg, nil
}

// Handler returns the server's HTTP handler: /ws for players, /healthz,
// /metrics (Prometheus), /debug/pprof/ with Options.Pprof, and the browser
// demo at / with Options.WebDir.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.isClosing() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", s.metrics.handler())
	s.mountAPI(mux)
	s.mountMonitor(mux)
	if s.opts.Pprof {
		mux.Handle("/debug/pprof/", pprofHandler())
	}
	if s.opts.WebDir != "" {
		// No method in the pattern: "GET /" would clash with the API's
		// catch-all "/api/"; the handler refuses other methods itself.
		mux.Handle("/", s.webHandler(s.opts.WebDir))
	}
	return mux
}

// Run listens on Options.Addr and serves until Shutdown or Close, when it
// returns ErrServerClosed.
func (s *Server) Run() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve serves on ln until Shutdown or Close, when it returns
// ErrServerClosed. It takes ownership of ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	if s.httpSrv != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("tickwire: Serve called twice")
	}
	if s.hosting.err != nil {
		s.mu.Unlock()
		ln.Close()
		return s.hosting.err
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.httpSrv = hs
	s.mu.Unlock()
	s.agones.start() // Ready: the listener is open
	s.cluster.start(ln.Addr(), s.opts.TLSCertFile != "" && s.opts.TLSKeyFile != "")
	tls := s.opts.TLSCertFile != "" && s.opts.TLSKeyFile != ""
	s.log.Info("listening", "addr", ln.Addr().String(), "tls", tls, "tick_rate", s.opts.TickRate)
	if len(s.opts.AuthSecret) == 0 && !isLoopback(ln.Addr()) {
		s.log.Warn("SERVING BEYOND LOOPBACK WITHOUT AUTH: anyone who can reach this address can join any room; set an auth secret (-auth-secret) to require join tokens",
			"addr", ln.Addr().String())
	}
	var err error
	if tls {
		err = hs.ServeTLS(ln, s.opts.TLSCertFile, s.opts.TLSKeyFile)
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops accepting connections, closes every room (each player is
// told why, with status 1001), and waits for every connection and room to
// finish or for ctx to end, whichever is first; then it closes whatever is
// left. Calling it again, or after Close, is safe.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginStop()
	s.mu.Lock()
	hs := s.httpSrv
	s.mu.Unlock()
	var err error
	if hs != nil {
		// Hijacked WebSocket connections are not closed by this; the rooms
		// below say goodbye to them.
		err = hs.Shutdown(ctx)
	}
	s.rooms.closeAll(StatusGoingAway, "server shutting down")
	s.tasks.stop()
	select {
	case <-s.tasks.drained:
		s.closeHosting()
		s.agones.finish() // Shutdown, after every player was told
		return err
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes every connection and room at once, without waiting for
// goodbyes, and waits for their goroutines. Safe to call more than once.
func (s *Server) Close() error {
	s.beginStop()
	s.mu.Lock()
	hs := s.httpSrv
	s.mu.Unlock()
	var err error
	if hs != nil {
		err = hs.Close()
	}
	s.rooms.closeAll(StatusGoingAway, "server closed")
	s.rooms.closeConnsNow()
	s.tasks.stop()
	<-s.tasks.drained
	s.closeHosting()
	s.agones.finish()
	return err
}

func (s *Server) beginStop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		close(s.shutdown)
		// Out of the cluster directory first, so no player is sent here
		// while the rooms close.
		s.cluster.stop()
	})
}

func (s *Server) isClosing() bool {
	select {
	case <-s.shutdown:
		return true
	default:
		return false
	}
}

// janitor closes connections that went silent, until the server stops.
// One sweep a fraction of the timeout apart costs less than a read deadline
// (a timer) per connection per message.
func (s *Server) janitor() {
	t := time.NewTicker(s.janitorPeriod())
	defer t.Stop()
	for {
		s.heartbeat.Store(int64(s.now()))
		select {
		case <-t.C:
			s.rooms.sweepIdle(s.now() - s.opts.IdleTimeout)
		case <-s.shutdown:
			return
		}
	}
}

// janitorPeriod is how often the janitor sweeps (and beats).
func (s *Server) janitorPeriod() time.Duration {
	return max(s.opts.IdleTimeout/4, 10*time.Millisecond)
}

// goroutine starts f as a goroutine the server owns and waits for on
// shutdown. It reports false, and f does not run, once the server has
// finished shutting down.
func (s *Server) goroutine(f func()) bool { return s.tasks.start(f) }

// now is the server's monotonic clock: time since the server was created.
func (s *Server) now() time.Duration { return time.Since(s.start) }

// isLoopback reports whether addr only accepts connections from this host.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
