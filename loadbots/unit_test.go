package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func TestRoomsFillEvenlyInOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ bots, rooms int }{{20, 2}, {25, 3}, {1500, 150}, {7, 7}, {10, 1}} {
		sizes := make([]int, tc.rooms)
		last := 0
		for i := range tc.bots {
			k := roomOf(i, tc.bots, tc.rooms)
			require.GreaterOrEqual(t, k, last, "bots fill rooms in order")
			last = k
			sizes[k]++
		}
		lo, hi := math.MaxInt, 0
		for _, n := range sizes {
			lo, hi = min(lo, n), max(hi, n)
		}
		assert.LessOrEqual(t, hi-lo, 1, "%d bots in %d rooms: sizes %v", tc.bots, tc.rooms, sizes)
		assert.Positive(t, lo)
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	t.Parallel()
	c := config{URL: "ws://127.0.0.1:9/ws", Bots: 1500, Duration: time.Second}
	sc, err := c.check()
	require.NoError(t, err)
	assert.Equal(t, "peer", sc.Name)
	assert.Equal(t, 150, c.Rooms, "peer puts 10 bots in a room")
	assert.Equal(t, "http://127.0.0.1:9/metrics", c.MetricsURL)

	c = config{URL: "wss://example.test/ws", Bots: 5, Duration: time.Second}
	_, err = c.check()
	require.NoError(t, err)
	assert.Equal(t, 1, c.Rooms)
	assert.Equal(t, "https://example.test/metrics", c.MetricsURL)

	c = config{URL: "ws://127.0.0.1:9/ws", Bots: 20, Duration: time.Second, Scenario: "accuracy"}
	sc, err = c.check()
	require.NoError(t, err)
	assert.Equal(t, 10, c.Rooms, "accuracy plays in pairs")
	assert.Equal(t, "0", sc.Params["damage"], "nobody dies mid-measurement")

	for name, bad := range map[string]config{
		"scheme":   {URL: "http://x/ws", Bots: 1, Duration: time.Second},
		"bots":     {URL: "ws://x/ws", Bots: 0, Duration: time.Second},
		"rooms":    {URL: "ws://x/ws", Bots: 2, Rooms: 3, Duration: time.Second},
		"duration": {URL: "ws://x/ws", Bots: 1},
		"scenario": {URL: "ws://x/ws", Bots: 1, Duration: time.Second, Scenario: "nope"},
		"churn":    {URL: "ws://x/ws", Bots: 1, Duration: time.Second, Churn: -1},
	} {
		_, err := bad.check()
		assert.Error(t, err, name)
	}
}

func TestAccuracyIsNotAPeerRun(t *testing.T) {
	t.Parallel()
	_, err := run(t.Context(), config{URL: "ws://127.0.0.1:9/ws", Bots: 2, Duration: time.Second, Scenario: "accuracy"})
	require.ErrorIs(t, err, ErrUnsupportedScenario)
	_, err = runAccuracy(t.Context(), config{URL: "ws://127.0.0.1:9/ws", Bots: 3, Duration: time.Second, Scenario: "accuracy"})
	require.ErrorIs(t, err, errOddBots)
}

func TestPeerParamsMatchTheWorkload(t *testing.T) {
	t.Parallel()
	p := scenarios["peer"].Params
	assert.Equal(t, map[string]string{
		"npcs": "0", "speed": "200", "width": "2000", "height": "2000", "cooldown_ms": "500",
		"range": "300", "hit_radius": "20", "damage": "10", "hp": "100",
		"respawn_ms": "0", "lagcomp": "off",
	}, p)

	c := config{URL: "ws://x/ws", Bots: 1, Duration: time.Second, Params: map[string]string{"lagcomp": "on", "npcs": "3"}}
	sc, err := c.check()
	require.NoError(t, err)
	assert.Equal(t, "on", sc.Params["lagcomp"], "-param overrides")
	assert.Equal(t, "3", sc.Params["npcs"])
	assert.Equal(t, "off", scenarios["peer"].Params["lagcomp"], "the scenario itself is untouched")
}

func TestPlanLabels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		last, want sim.Tick
		from, to   sim.Tick
		ok         bool
	}{
		{"first frame labels the wanted tick", 0, 50, 50, 50, true},
		{"steady: the next tick", 50, 51, 51, 51, true},
		{"woke a little early: still the next tick", 50, 50, 51, 51, true},
		{"two ahead: wait", 50, 49, 0, 0, false},
		{"behind: catch up in one frame", 50, 53, 51, 53, true},
		{"far behind: only the newest few", 50, 100, 100 - maxCatchUp + 1, 100, true},
	} {
		from, to, ok := planLabels(tc.last, tc.want)
		assert.Equal(t, tc.ok, ok, tc.name)
		if tc.ok {
			assert.Equal(t, [2]sim.Tick{tc.from, tc.to}, [2]sim.Tick{from, to}, tc.name)
			assert.LessOrEqual(t, int(to-from)+1, maxCatchUp, tc.name)
		}
	}
}

func TestRedrawFollowsThePeerWorkload(t *testing.T) {
	t.Parallel()
	sw := newSwarm(config{Seed: 7}, scenarios["peer"])
	b := newBot(sw, 3, "r")
	moves := map[[2]int8]int{}
	fire := 0
	const n = 9000
	for i := range n {
		now := time.Duration(i) * time.Second
		b.redraw(now)
		moves[[2]int8{b.input.MoveX, b.input.MoveY}]++
		if b.input.Buttons&sim.ButtonFire != 0 {
			fire++
		}
		gap := b.nextRedraw - now
		require.GreaterOrEqual(t, gap, 500*time.Millisecond)
		require.LessOrEqual(t, gap, 1500*time.Millisecond)
	}
	assert.Len(t, moves, 9, "each axis in {-1, 0, 1}")
	for mv, c := range moves {
		assert.InDelta(t, n/9, c, n/9*0.2, "move %v", mv)
	}
	assert.InDelta(t, n/2, fire, n*0.05)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	c, spread, _, err := parseFlags([]string{"-url", "ws://127.0.0.1:1/ws", "-bots", "500", "-duration", "20s", "-ramp", "100", "-json", "x.json", "-server-pid", "42", "-param", "lagcomp=on"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 500, c.Bots)
	assert.Equal(t, 20*time.Second, c.Duration)
	assert.Equal(t, 100.0, c.Ramp)
	assert.Equal(t, "x.json", c.JSONPath)
	assert.Equal(t, 42, c.ServerPID)
	assert.Equal(t, map[string]string{"lagcomp": "on"}, c.Params)
	assert.True(t, spread, "spreading sources is the default")

	assert.Equal(t, 150*time.Millisecond, c.RTT, "accuracy's default round trip")
	assert.Equal(t, 10*time.Millisecond, c.Jitter)
	assert.Zero(t, c.Churn)
	assert.False(t, c.Soak)

	c, _, _, err = parseFlags([]string{"-scenario", "accuracy", "-rtt", "250ms", "-jitter", "0s"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 2*accuracyPairsDefault, c.Bots, "accuracy without -bots: its own default")
	assert.Equal(t, 250*time.Millisecond, c.RTT)
	assert.Zero(t, c.Jitter)
	c, _, _, err = parseFlags([]string{"-scenario", "accuracy", "-bots", "100"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 100, c.Bots, "an explicit -bots wins")
	c, _, _, err = parseFlags([]string{"-churn", "10", "-soak"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 10.0, c.Churn)
	assert.True(t, c.Soak)
	assert.Equal(t, 100, c.Bots, "the peer default")

	_, _, _, err = parseFlags([]string{"-h"}, &stderr)
	assert.ErrorIs(t, err, flag.ErrHelp)
	_, _, _, err = parseFlags([]string{"stray"}, &stderr)
	assert.Error(t, err)
}

func TestHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	v := 12.5
	r := &report{Bots: 2, Rooms: 1, Scenario: "peer", Warnings: []string{"<b>x</b>"},
		Window: window{StartS: 1, EndS: 3},
		Timeline: []point{
			{T: 0.5, Connected: 1},
			{T: 1.5, Connected: 2, RTTP50: &v, RTTP99: &v, IntervalP50: &v, IntervalP99: &v, BytesPerS: 1000},
			{T: 2.5, Connected: 2, BytesPerS: 1200},
		}}
	path := filepath.Join(t.TempDir(), "r.html")
	require.NoError(t, r.writeHTML(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(b)
	assert.Equal(t, 5, strings.Count(page, "<svg"), "one chart each: connected, RTT, interval, bytes, CPU")
	assert.NotContains(t, page, "<script")
	assert.NotContains(t, page, "src=")
	assert.NotContains(t, page, "href=")
	assert.Contains(t, page, "&lt;b&gt;x&lt;/b&gt;", "report text is escaped")
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 1.1: 2, 33: 50, 1500: 2000, 4e6: 5e6} {
		assert.InDelta(t, want, niceCeil(in), 1e-9, "%v", in)
	}
}
