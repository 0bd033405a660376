package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// config is one load run. main fills it from flags; tests fill it directly
// and go through the same run.
type config struct {
	URL        string        // the server's WebSocket endpoint
	Bots       int           // bots to connect
	Rooms      int           // rooms to spread them over; 0: the scenario's room size decides
	Duration   time.Duration // the measurement window
	Warmup     time.Duration // after the last bot joined, before the window
	Ramp       float64       // bots dialled per second; 0: as fast as the server accepts
	Scenario   string        // "peer" or "accuracy"
	JSONPath   string        // report as JSON here, if set
	HTMLPath   string        // report as a page here, if set
	MetricsURL string        // the server's /metrics; "" derives it from URL, "off" disables
	ServerPID  int           // read the server's CPU and RSS from /proc when non-zero
	Seed       uint64        // seeds every bot's behaviour
	RoomPrefix string        // room names are RoomPrefix + index; "" picks a fresh prefix
	// Params override or add to the scenario's room parameters.
	Params map[string]string
	// RTT and Jitter are the round trip and jitter the accuracy scenario
	// injects with its in-process proxy (main's defaults: 150ms, 10ms).
	RTT, Jitter time.Duration
	// Churn is how many bots a second leave and rejoin (the same seat,
	// a new connection) during the run; 0 none.
	Churn float64
	// Soak samples the server's goroutines, heap and RSS through the
	// window and reports whether they stayed flat.
	Soak bool
	// Readers is how the bots' connections are read: "poller" (default;
	// netcode.Poller goroutines, one per CPU, where the platform has
	// them) or "goroutine" (each client's own reader goroutine).
	Readers string

	// Sample is how often the timeline and the progress line update.
	// Default 1s.
	Sample time.Duration
	// Progress receives the live progress line; nil discards it.
	Progress io.Writer
	// ProgressTTY redraws the line in place (\r) instead of printing a
	// line every ProgressEvery.
	ProgressTTY bool
	// ProgressEvery is how often a non-TTY progress line is printed.
	// Default 5s.
	ProgressEvery time.Duration
}

// ErrUnsupportedScenario names a scenario loadbots does not implement.
var ErrUnsupportedScenario = errors.New("unsupported scenario")

// scenario is what a kind of bot does, and what room it asks for.
type scenario struct {
	Name string
	// RoomSize is how many bots share a room when -rooms is not given.
	RoomSize int
	// Params create each room (the arena's parameter names).
	Params map[string]string
	// RedrawMin, RedrawMax bound the uniform time between redraws of a
	// bot's move direction, aim and trigger.
	RedrawMin, RedrawMax time.Duration
	// FireProbability is the chance a redraw holds the fire button.
	FireProbability float64
}

// scenarios are the behaviours loadbots knows.
var scenarios = map[string]scenario{
	// peer reproduces the workload of ../shared/peers/colyseus/WORKLOAD.md,
	// so tickwire's figures compare with Colyseus's: rooms of 10, no NPCs,
	// 200 units/s in a 2000 x 2000 arena, 500 ms fire cooldown, range 300,
	// hit radius 20, 10 damage of 100 hp; a redraw every 0.5-1.5 s. As
	// there, a killed player respawns at once (the arena's earliest is the
	// next tick) and shots hit where targets are now: no lag compensation
	// (-param lagcomp=on measures its cost).
	"peer": {
		Name:     "peer",
		RoomSize: 10,
		Params: map[string]string{
			"npcs":        "0",
			"speed":       "200",
			"width":       "2000",
			"height":      "2000",
			"cooldown_ms": "500",
			"range":       "300",
			"hit_radius":  "20",
			"damage":      "10",
			"hp":          "100",
			"respawn_ms":  "0",
			"lagcomp":     "off",
		},
		RedrawMin:       500 * time.Millisecond,
		RedrawMax:       1500 * time.Millisecond,
		FireProbability: 0.5,
	},
	// accuracy measures lag compensation (issue 4): rooms of one shooter
	// and one strafing target in a 600 x 600 arena, so the target is
	// always in range (1000 > the diagonal); no damage, so nobody dies
	// and respawns mid-measurement. lagcomp is set per run (on, then off).
	"accuracy": {
		Name:     "accuracy",
		RoomSize: 2,
		Params: map[string]string{
			"npcs":        "0",
			"speed":       "200",
			"width":       "600",
			"height":      "600",
			"cooldown_ms": "500",
			"range":       "1000",
			"hit_radius":  "20",
			"damage":      "0",
		},
	},
}

func lookupScenario(name string) (scenario, error) {
	if s, ok := scenarios[name]; ok {
		return s, nil
	}
	return scenario{}, fmt.Errorf("%w %q (known: peer, accuracy)", ErrUnsupportedScenario, name)
}

// check validates c and fills its defaults.
func (c *config) check() (scenario, error) {
	if c.Scenario == "" {
		c.Scenario = "peer"
	}
	sc, err := lookupScenario(c.Scenario)
	if err != nil {
		return sc, err
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return sc, fmt.Errorf("-url %q: want ws://host:port/ws", c.URL)
	}
	if c.Bots < 1 {
		return sc, fmt.Errorf("-bots %d: want at least 1", c.Bots)
	}
	if len(c.Params) > 0 {
		merged := maps.Clone(sc.Params)
		maps.Copy(merged, c.Params)
		sc.Params = merged
	}
	if c.Rooms < 0 {
		return sc, fmt.Errorf("-rooms %d: want 0 (auto) or more", c.Rooms)
	}
	if c.Rooms == 0 {
		c.Rooms = max(1, (c.Bots+sc.RoomSize-1)/sc.RoomSize)
	}
	if c.Rooms > c.Bots {
		return sc, fmt.Errorf("-rooms %d: more rooms than the %d bots", c.Rooms, c.Bots)
	}
	if c.Duration <= 0 {
		return sc, fmt.Errorf("-duration %v: want a positive duration", c.Duration)
	}
	if c.Warmup < 0 || c.Ramp < 0 || c.Churn < 0 {
		return sc, errors.New("-warmup, -ramp and -churn must not be negative")
	}
	if c.Sample <= 0 {
		c.Sample = time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.MetricsURL == "" {
		c.MetricsURL = metricsURLFor(u)
	}
	return sc, nil
}

// metricsURLFor derives the server's /metrics from its WebSocket URL: same
// host, http(s) for ws(s).
func metricsURLFor(ws *url.URL) string {
	scheme := "http"
	if ws.Scheme == "wss" {
		scheme = "https"
	}
	return scheme + "://" + ws.Host + "/metrics"
}

// roomOf returns the room index of bot i: bots fill rooms in order, in
// blocks whose sizes differ by at most one (as the peer harness packs them).
func roomOf(i, bots, rooms int) int {
	return i * rooms / bots
}

// roomName is the name of room k of this run.
func roomName(prefix string, k int) string {
	return prefix + fmt.Sprint(k)
}

// paramList formats params for the report, sorted.
func paramList(p map[string]string) string {
	var parts []string
	for k, v := range p {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
