// Command tickwire runs a tickwire game server.
//
//	tickwire [flags]
//	tickwire token -secret S -room R -player P [-ttl 1h]
//
// Every flag has an environment override named TICKWIRE_ and the flag in
// upper case with dashes as underscores (-tick-rate: TICKWIRE_TICK_RATE); a
// flag given on the command line wins over the environment. SIGINT or
// SIGTERM shut the server down gracefully: it stops accepting, tells every
// player why (status 1001), and exits within -shutdown-timeout. In an
// Agones pod (AGONES_SDK_HTTP_PORT set) or with -agones it also reports its
// life cycle to the Agones SDK sidecar: Ready, Health, its rooms and free
// seats, and Shutdown once the drain is over. With -directory
// redis://host:6379/0 (and the same -api-key on every process) it joins a
// cluster: it publishes itself (-public-url) and its rooms there, and
// matchmaking and room lists span every process of the cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tickwire/tickwire/server"
)

// defaultGCPercent is the GC target the server runs with unless GOGC says
// otherwise. A seated player allocates almost nothing (about 45 B/s each,
// measured at 1,000 players), so collections are rare whatever the target,
// and a heap allowed to grow 25% past the live data instead of 100% is
// ~5 KB less resident memory per player at no measurable CPU cost.
const defaultGCPercent = 25

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tickwire:", err)
			os.Exit(1)
		}
	}
}

// config is everything the flags set.
type config struct {
	addr            string
	tickRate        int
	maxPlayers      int
	maxConnsPerIP   int
	npcs            int
	logLevel        string
	webDir          string
	pprof           bool
	netpollIO       bool
	authSecret      string
	origins         string
	tlsCert         string
	tlsKey          string
	shutdownTimeout time.Duration
	apiKey          string
	outbox          string
	webhook         string
	webhookSecret   string
	reservationTTL  time.Duration
	maxRewind       time.Duration
	agones          bool
	directory       string
	publicURL       string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("tickwire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`address` to listen on")
	fs.IntVar(&c.tickRate, "tick-rate", 30, "simulation and snapshot rate, in `Hz`")
	fs.IntVar(&c.maxPlayers, "max-players", 16, "most players in one room")
	fs.IntVar(&c.maxConnsPerIP, "max-conns-per-ip", 64, "most connections from one remote address (raise it behind a proxy or for local load tests)")
	fs.IntVar(&c.npcs, "npcs", 24, "NPCs in each arena room (0 for none)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.webDir, "web", "", "`directory` served at / (the browser demo built by make wasm); empty serves no page")
	fs.BoolVar(&c.pprof, "pprof", false, "serve runtime profiles at /debug/pprof/ (do not expose publicly)")
	fs.BoolVar(&c.netpollIO, "netpoll-io", false, "read and write each connection through Go's netpoller as messages come, instead of once a tick from its room (for comparison and debugging)")
	fs.StringVar(&c.authSecret, "auth-secret", "", "`secret` that join tokens must be signed with (see tickwire token); empty: no tokens needed")
	fs.StringVar(&c.origins, "allowed-origins", "", "comma-separated browser origins (host patterns) allowed besides the server's own")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate `file` (PEM): serve https and wss")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key `file` (PEM)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown may take")
	fs.StringVar(&c.apiKey, "api-key", "", "`key` a backend sends as \"Authorization: Bearer <key>\" to use the rooms API (/api/); also opens /monitor beyond loopback. Empty: API off")
	fs.StringVar(&c.outbox, "outbox", "", "`file` (bbolt) where match results wait until delivered, replayed on start; empty: memory only")
	fs.StringVar(&c.webhook, "webhook", "", "`URL` that receives every match result as a signed JSON POST, retried until it answers 2xx")
	fs.StringVar(&c.webhookSecret, "webhook-secret", "", "`secret` webhook bodies are signed with (HMAC-SHA256); default the -api-key")
	fs.DurationVar(&c.reservationTTL, "reservation-ttl", 15*time.Second, "how long a reserved seat waits for its player")
	fs.DurationVar(&c.maxRewind, "max-rewind", 300*time.Millisecond, "lag compensation's limit: how far back a shot may be judged (about RTT + 100 ms covers a player; at most 1s, the arena's history)")
	fs.BoolVar(&c.agones, "agones", os.Getenv("AGONES_SDK_HTTP_PORT") != "", "report the life cycle to the Agones SDK server at localhost:$AGONES_SDK_HTTP_PORT (Ready, Health, room and seat counts, Shutdown); default on when that variable is set")
	fs.StringVar(&c.directory, "directory", "", "cluster room directory `URL` (redis://host:6379/0) shared by every process of a cluster: cluster-wide matchmaking and room lists; needs -api-key, the same on every process. Empty: this process alone")
	fs.StringVar(&c.publicURL, "public-url", "", "WebSocket `URL` players reach this process at (ws://host:port/ws), published in the cluster directory; default from -addr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tickwire [flags]\n\n"+
			"Runs a tickwire game server: WebSocket players on /ws, the arena demo game by default.\n"+
			"Each flag can also be set in the environment as TICKWIRE_<FLAG> (for -tick-rate,\n"+
			"TICKWIRE_TICK_RATE); the command line wins.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := applyEnv(fs); err != nil {
		return c, err
	}
	if c.tickRate < 1 || c.tickRate > 240 {
		return c, fmt.Errorf("-tick-rate %d: want 1..240", c.tickRate)
	}
	if c.maxPlayers < 1 {
		return c, fmt.Errorf("-max-players %d: want at least 1", c.maxPlayers)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together")
	}
	if c.npcs < 0 {
		return c, fmt.Errorf("-npcs %d: want 0 or more", c.npcs)
	}
	if c.webhook != "" {
		if u, err := url.Parse(c.webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("-webhook %q: want an http or https URL", c.webhook)
		}
	}
	if c.directory != "" && c.apiKey == "" {
		return c, errors.New("-directory needs -api-key (the same on every process): processes reserve seats on each other through the rooms API")
	}
	if c.publicURL != "" {
		if _, err := server.CheckPublicURL(c.publicURL); err != nil {
			return c, fmt.Errorf("-public-url %v", err)
		}
	}
	if c.reservationTTL < time.Second {
		return c, fmt.Errorf("-reservation-ttl %s: want at least 1s", c.reservationTTL)
	}
	if c.maxRewind <= 0 || c.maxRewind > time.Second {
		return c, fmt.Errorf("-max-rewind %s: want more than 0 and at most 1s", c.maxRewind)
	}
	return c, nil
}

// applyEnv sets every flag not given on the command line from its
// TICKWIRE_ environment variable, if set.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := "TICKWIRE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func run(args []string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return mintToken(args[1:], os.Stdout, stderr)
	}
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("-log-level %q: %v", c.logLevel, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := &server.Options{
		Addr:           c.addr,
		TickRate:       c.tickRate,
		MaxPlayers:     c.maxPlayers,
		MaxConnsPerIP:  c.maxConnsPerIP,
		GameParams:     map[string]string{"npcs": strconv.Itoa(c.npcs)},
		WebDir:         c.webDir,
		Pprof:          c.pprof,
		NetpollIO:      c.netpollIO,
		AuthSecret:     []byte(c.authSecret),
		AllowedOrigins: splitList(c.origins),
		TLSCertFile:    c.tlsCert,
		TLSKeyFile:     c.tlsKey,
		APIKey:         c.apiKey,
		OutboxPath:     c.outbox,
		WebhookURL:     c.webhook,
		WebhookSecret:  []byte(c.webhookSecret),
		ReservationTTL: c.reservationTTL,
		MaxRewind:      c.maxRewind,
		Logger:         log,
	}
	if c.agones {
		opts.Agones = &server.AgonesOptions{}
	}
	if c.directory != "" {
		dir, err := server.OpenDirectory(c.directory)
		if err != nil {
			return fmt.Errorf("-directory: %w", err)
		}
		opts.Cluster = &server.ClusterOptions{Directory: dir, PublicURL: c.publicURL}
	}
	srv := server.New(opts)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Run() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "timeout", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown did not finish cleanly", "err", err)
	}
	if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// mintToken is `tickwire token`: it prints a join token, for scripts and for
// trying auth mode by hand. A host's backend calls server.MintJoinToken.
func mintToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickwire token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", os.Getenv("TICKWIRE_AUTH_SECRET"), "the server's -auth-secret (default $TICKWIRE_AUTH_SECRET)")
	room := fs.String("room", "", "the room the token admits to")
	player := fs.String("player", "", "the player the token names")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tickwire token -secret S -room R -player P [-ttl 1h]\n\nPrints a join token for a server started with -auth-secret S.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" || *room == "" || *player == "" {
		fs.Usage()
		return errors.New("token: -secret, -room and -player are required")
	}
	fmt.Fprintln(stdout, server.MintJoinToken([]byte(*secret), *room, *player, time.Now().Add(*ttl)))
	return nil
}
