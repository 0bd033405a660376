package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// requiredJSON are the report fields issue 10 asks -json for, by path.
var requiredJSON = []string{
	"bots", "rooms", "connected", "failed", "duration_s",
	"rtt_ms.p50", "rtt_ms.p95", "rtt_ms.p99",
	"snapshot_interval_ms.p50", "snapshot_interval_ms.p99",
	"snapshots_per_client_per_s", "bytes_per_client_per_s", "loadbots_cpu_cores",
	"server.tick_ms.p50", "server.tick_ms.p99", "server.cpu_cores", "server.rss_mb",
}

// lookup follows a dotted path through decoded JSON; ok is false when a
// key is missing (a present null is found).
func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false
		}
		v, ok := m[k]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// TestRunAgainstARealServer drives a small swarm through run, the code path
// main takes, against an in-process server, and checks the report.
func TestRunAgainstARealServer(t *testing.T) {
	srv := servertest.Start(t, nil)
	dir := t.TempDir()
	cfg := config{
		URL:       srv.URL,
		Bots:      20,
		Rooms:     2,
		Warmup:    time.Second,
		Duration:  3 * time.Second,
		Seed:      1,
		Sample:    250 * time.Millisecond,
		JSONPath:  filepath.Join(dir, "r.json"),
		HTMLPath:  filepath.Join(dir, "r.html"),
		ServerPID: os.Getpid(), // the server runs in this process
	}
	rep, err := run(t.Context(), cfg)
	require.NoError(t, err)

	assert.Equal(t, 20, rep.Bots)
	assert.Equal(t, 2, rep.Rooms)
	assert.Equal(t, 20, rep.Connected, "errors: %v", rep.Errors)
	assert.Zero(t, rep.Failed)
	assert.InDelta(t, 3, rep.DurationS, 0.5)

	// The server ticks at 30 Hz and every bot decodes every snapshot and
	// sends one input per tick. The bounds are loose on purpose (a shared
	// machine under -race may lose ticks): they check the flow, not speed.
	require.NotNil(t, rep.SnapshotsPerClientPerS)
	assert.Greater(t, *rep.SnapshotsPerClientPerS, 10.0)
	assert.LessOrEqual(t, *rep.SnapshotsPerClientPerS, 31.0)
	require.NotNil(t, rep.InputsPerClientPerS)
	assert.Greater(t, *rep.InputsPerClientPerS, 10.0)
	assert.LessOrEqual(t, *rep.InputsPerClientPerS, 32.0)
	require.NotNil(t, rep.BytesPerClientPerS)
	assert.Positive(t, *rep.BytesPerClientPerS)
	require.NotNil(t, rep.SnapshotIntervalMs.P50)
	assert.Greater(t, *rep.SnapshotIntervalMs.P50, 20.0, "one tick apart, not bursts")
	assert.Less(t, *rep.SnapshotIntervalMs.P50, 100.0)
	require.NotNil(t, rep.RTTMs.P50, "inputs were confirmed by snapshots")
	require.NotNil(t, rep.InputLatencyMs.P50)
	assert.GreaterOrEqual(t, *rep.InputLatencyMs.P50, *rep.RTTMs.P50)
	require.NotNil(t, rep.LoadbotsCPUCores)

	// Server figures: tick times from /metrics, CPU and RSS from /proc.
	require.NotNil(t, rep.Server.TickMs.P50, "warnings: %v", rep.Warnings)
	require.NotNil(t, rep.Server.CPUCores)
	assert.Equal(t, "proc", rep.Server.CPUSource)
	require.NotNil(t, rep.Server.RSSMB)
	assert.Positive(t, *rep.Server.RSSMB)

	assert.NotEmpty(t, rep.Timeline)
	last := rep.Timeline[len(rep.Timeline)-1]
	assert.Positive(t, last.T)

	b, err := os.ReadFile(cfg.JSONPath)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, path := range requiredJSON {
		v, ok := lookup(doc, path)
		if assert.True(t, ok, "JSON lacks %s", path) {
			assert.NotNil(t, v, "JSON %s is null", path)
		}
	}

	page, err := os.ReadFile(cfg.HTMLPath)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")
}

// TestServerFiguresNullWithoutMetrics: with /metrics unreachable and no pid
// the server's fields are null, the run still reports, and says why.
func TestServerFiguresNullWithoutMetrics(t *testing.T) {
	srv := servertest.Start(t, nil)
	rep, err := run(t.Context(), config{
		URL:        srv.URL,
		Bots:       2,
		Duration:   time.Second,
		Seed:       2,
		MetricsURL: "http://127.0.0.1:1/metrics",
	})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Connected)
	assert.Nil(t, rep.Server.CPUCores)
	assert.Nil(t, rep.Server.RSSMB)
	assert.Nil(t, rep.Server.TickMs.P99)
	assert.NotEmpty(t, rep.Warnings)

	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, path := range requiredJSON {
		_, ok := lookup(doc, path)
		assert.True(t, ok, "JSON lacks %s (null is fine, absent is not)", path)
	}
	v, _ := lookup(doc, "server.cpu_cores")
	assert.Nil(t, v)
}

// TestFirstJoinFailureIsAnError: no server, no report.
func TestFirstJoinFailureIsAnError(t *testing.T) {
	t.Parallel()
	_, err := run(t.Context(), config{URL: "ws://127.0.0.1:1/ws", Bots: 3, Duration: time.Second, MetricsURL: "off"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not join")
}

// TestSpreadSourcesPassesAPerAddressLimit: a server that admits two
// connections per address takes six bots when each dials from its own
// loopback address.
func TestSpreadSourcesPassesAPerAddressLimit(t *testing.T) {
	srv := servertest.Start(t, &server.Options{MaxConnsPerIP: 2})
	tr := &http.Transport{}
	spreadLoopbackSources(tr)
	saved := http.DefaultClient
	http.DefaultClient = &http.Client{Transport: tr}
	t.Cleanup(func() { http.DefaultClient = saved })

	rep, err := run(t.Context(), config{URL: srv.URL, Bots: 6, Duration: 500 * time.Millisecond, Seed: 3, MetricsURL: "off"})
	require.NoError(t, err)
	assert.Equal(t, 6, rep.Connected, "errors: %v", rep.Errors)
	assert.Zero(t, rep.Failed)
}

func TestLoopbackSourcesAreDistinct(t *testing.T) {
	t.Parallel()
	s := &loopbackSpreader{}
	seen := map[string]bool{}
	for range 70_000 {
		ip := s.source()
		require.True(t, ip.IsLoopback(), "%v", ip)
		require.NotEqual(t, byte(0), ip.To4()[3])
		require.NotEqual(t, byte(255), ip.To4()[3])
		seen[ip.String()] = true
	}
	assert.Len(t, seen, 256*254, "wraps only after every address was used")
}

// TestRunLeavesNoGoroutines: every goroutine a run starts (shards, the
// sampler, the dialers, each bot's client reader) has ended when it returns.
func TestRunLeavesNoGoroutines(t *testing.T) {
	srv := servertest.Start(t, nil)
	_, err := run(t.Context(), config{URL: srv.URL, Bots: 4, Duration: 300 * time.Millisecond, Seed: 4, MetricsURL: "off"})
	require.NoError(t, err)
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"main.(*shard).run", "main.(*timeline).run", "main.(*swarm).dialAll", "netcode.(*Client)"} {
		assert.NotContains(t, stacks, fn, "a goroutine outlived run")
	}
}

// TestInterruptedWindowStillReports: cancelling during the window ends the
// run early with the figures measured so far and a warning.
func TestInterruptedWindowStillReports(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	rep, err := run(ctx, config{URL: srv.URL, Bots: 2, Duration: time.Minute, Seed: 5, MetricsURL: "off"})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Less(t, rep.DurationS, 30.0)
	assert.Equal(t, 2, rep.Connected)
	assert.NotEmpty(t, rep.Warnings)
	assert.Contains(t, strings.Join(rep.Warnings, "\n"), "interrupted")
}
