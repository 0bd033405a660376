package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := mainErr(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadbots:", err)
		}
		os.Exit(2)
	}
}

func mainErr(args []string, stdout, stderr io.Writer) error {
	cfg, spread, profile, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// The bots allocate little per message, but at 45,000 snapshots a
	// second the default GC target would collect several times a second;
	// a larger one trades some megabytes for CPU the server's figures need.
	debug.SetGCPercent(400)
	if spread {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			spreadLoopbackSources(t)
		}
	}

	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cfg.Scenario == "accuracy" {
		rep, err := runAccuracy(ctx, cfg)
		if rep != nil {
			if werr := rep.writeTable(stdout); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}
	rep, err := run(ctx, cfg)
	if rep != nil {
		if werr := rep.writeTable(stdout); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// parseFlags reads the command line into a config, and whether to spread
// the bots over loopback source addresses.
func parseFlags(args []string, stderr io.Writer) (c config, spread bool, profile string, err error) {
	fs := flag.NewFlagSet("loadbots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "ws://127.0.0.1:8080/ws", "the server's WebSocket `URL`")
	fs.IntVar(&c.Bots, "bots", 100, "bots to connect")
	fs.IntVar(&c.Rooms, "rooms", 0, "rooms to spread the bots over (0: the scenario's room size, 10 for peer)")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "length of the measurement window")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "wait after the last join before measuring")
	fs.Float64Var(&c.Ramp, "ramp", 0, "bots joined per `second` (0: as fast as the server admits them)")
	fs.StringVar(&c.Scenario, "scenario", "peer", "bot behaviour: peer (the peers' workload) or accuracy (lag compensation, issue 4)")
	fs.DurationVar(&c.RTT, "rtt", 150*time.Millisecond, "accuracy: the round trip the in-process proxy adds to the shooters' connections")
	fs.DurationVar(&c.Jitter, "jitter", 10*time.Millisecond, "accuracy: the proxy's jitter (each direction's delay varies by ±jitter/2)")
	fs.Float64Var(&c.Churn, "churn", 0, "bots a `second` that leave and rejoin during the run (soak)")
	fs.BoolVar(&c.Soak, "soak", false, "sample the server's goroutines, heap and RSS through the window and report whether they stayed flat")
	fs.StringVar(&c.JSONPath, "json", "", "write the report as JSON to `file`")
	fs.StringVar(&c.HTMLPath, "html", "", "write the report as a self-contained page with charts to `file`")
	fs.StringVar(&c.MetricsURL, "metrics", "", "the server's Prometheus `URL` (default: derived from -url; \"off\" for none)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "read the server's CPU and RSS from /proc/`pid` (as the peer harnesses do)")
	fs.Func("param", "room parameter `key=value` overriding the scenario's (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", v)
		}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		c.Params[k] = val
		return nil
	})
	fs.StringVar(&c.Readers, "readers", "poller", "how the bots' sockets are read: poller (a netcode.Poller per CPU, one read per message) or goroutine (a reader goroutine per bot, as a game client)")
	fs.BoolVar(&spread, "spread-sources", true, "dial a loopback server from a source address per bot (127.1.x.y), so its per-address connection limit sees players, not one host")
	fs.StringVar(&profile, "cpuprofile", "", "write the bots' own CPU profile to `file`")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the bots' behaviour (0: from the clock)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: loadbots -url ws://127.0.0.1:8080/ws -bots N [flags]\n\n"+
			"Connects N honest bots (they decode and acknowledge every snapshot) to a tickwire server,\n"+
			"drives them for -warmup then -duration, and reports latency, snapshot rate, bytes and CPU.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, false, "", err
	}
	if fs.NArg() > 0 {
		return c, false, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.Readers != "poller" && c.Readers != "goroutine" {
		return c, false, "", fmt.Errorf("-readers: want poller or goroutine, got %q", c.Readers)
	}
	botsSet := false
	fs.Visit(func(fl *flag.Flag) { botsSet = botsSet || fl.Name == "bots" })
	if c.Scenario == "accuracy" && !botsSet {
		c.Bots = 2 * accuracyPairsDefault
	}
	c.Progress = stderr
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			c.ProgressTTY = true
		}
	}
	return c, spread, profile, nil
}
