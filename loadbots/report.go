package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tickwire/tickwire/loadbots/internal/histogram"
)

// report is the result of a run. The fields up to Server are the ones
// issue 10 lists for -json, with exactly its names; the rest are extras.
// Figures that could not be measured are null.
type report struct {
	Bots                   int          `json:"bots"`
	Rooms                  int          `json:"rooms"`
	Connected              int          `json:"connected"`
	Failed                 int          `json:"failed"`
	DurationS              float64      `json:"duration_s"`
	RTTMs                  pct3         `json:"rtt_ms"`
	SnapshotIntervalMs     pct2         `json:"snapshot_interval_ms"`
	SnapshotsPerClientPerS *float64     `json:"snapshots_per_client_per_s"`
	BytesPerClientPerS     *float64     `json:"bytes_per_client_per_s"`
	LoadbotsCPUCores       *float64     `json:"loadbots_cpu_cores"`
	Server                 serverReport `json:"server"`

	// Extras.
	Scenario            string         `json:"scenario"`
	Params              string         `json:"params"`
	URL                 string         `json:"url"`
	StartedAt           string         `json:"started_at"`
	Machine             machine        `json:"machine"`
	JoinS               float64        `json:"join_s"`
	WarmupS             float64        `json:"warmup_s"`
	MeasuredClients     int            `json:"measured_clients"`
	DialFailures        int            `json:"dial_failures"`
	Disconnects         int            `json:"disconnects"`
	InputsPerClientPerS *float64       `json:"inputs_per_client_per_s"`
	FramesPerClientPerS *float64       `json:"frames_per_client_per_s"`
	RepeatedPerClientS  *float64       `json:"inputs_repeated_per_client_per_s"`
	InputLatencyMs      pct3           `json:"input_latency_ms"`
	ServerRTTMs         pct3           `json:"server_rtt_ms"`
	SnapshotIntervalMax *float64       `json:"snapshot_interval_max_ms"`
	SchedulerLateWakes  uint64         `json:"scheduler_late_wakes"`
	SkippedWakes        uint64         `json:"skipped_wakes"`
	MachineWindow       *machineWindow `json:"machine_window"`
	Definitions         definitions    `json:"definitions"`
	Errors              []errorCount   `json:"errors,omitempty"`
	Warnings            []string       `json:"warnings,omitempty"`
	Window              window         `json:"window"`
	Soak                *soakReport    `json:"soak,omitempty"`
	Timeline            []point        `json:"timeline"`
}

type pct3 struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

type pct2 struct {
	P50 *float64 `json:"p50"`
	P99 *float64 `json:"p99"`
}

// serverReport is the server's side: tick_ms from its /metrics histogram,
// CPU and RSS from /proc/<pid> when -server-pid is given, else /metrics.
type serverReport struct {
	TickMs   pct2     `json:"tick_ms"`
	CPUCores *float64 `json:"cpu_cores"`
	RSSMB    *float64 `json:"rss_mb"`

	CPUSource                  string   `json:"cpu_source,omitempty"` // "proc" or "metrics"
	CPUMicrosPerClientPerS     *float64 `json:"cpu_us_per_client_per_s"`
	RSSIdleMB                  *float64 `json:"rss_idle_mb"`
	RSSKBPerPlayer             *float64 `json:"rss_kb_per_player"`
	TicksOverrun               *float64 `json:"ticks_overrun"`
	SnapshotsReplaced          *float64 `json:"snapshots_replaced"`
	SnapshotBytesPerClientPerS *float64 `json:"snapshot_bytes_per_client_per_s"`
}

type errorCount struct {
	Error string `json:"error"`
	Count int    `json:"count"`
}

type window struct {
	StartS float64 `json:"start_s"` // since the run began, as the timeline's t_s
	EndS   float64 `json:"end_s"`
}

// definitions say in the report itself what the figures mean.
type definitions struct {
	RTT              string `json:"rtt_ms"`
	InputLatency     string `json:"input_latency_ms"`
	ServerRTT        string `json:"server_rtt_ms"`
	SnapshotInterval string `json:"snapshot_interval_ms"`
	Bytes            string `json:"bytes_per_client_per_s"`
	PerClient        string `json:"per_client"`
}

var theDefinitions = definitions{
	RTT: "per input: time from the bot sending the frame that first carries a tick's input to the first snapshot " +
		"whose last_input covers it, less the server-reported input lead (how early inputs wait for their tick, smoothed) " +
		"and the snapshot's send delay (tick due to encoded): the network round trip plus both ends' scheduling",
	InputLatency:     "the same round trip without the subtractions: how long until the server confirms an input",
	ServerRTT:        "the server's smoothed RTT estimate for the bot, as carried in every snapshot header",
	SnapshotInterval: "time between consecutive decoded snapshots of one bot, all bots pooled, stamped after decode",
	Bytes:            "WebSocket message payload bytes of decoded snapshots (pings, 1/s, and rosters, sent when a room's players change, excluded)",
	PerClient:        "counts over the window divided by the bots connected at its start and the window's seconds",
}

type machine struct {
	CPU          string `json:"cpu"`
	CPUs         int    `json:"cpus"`
	AffinityCPUs int    `json:"affinity_cpus"` // the CPUs loadbots may run on
	Kernel       string `json:"kernel"`
	Go           string `json:"go"`
	GOMAXPROCS   int    `json:"gomaxprocs"`
}

// machineWindow is the whole machine's CPU over the window (/proc/stat):
// everything busy, the part that was irq and softirq (loopback TCP work this
// kernel charges to no process), and what is left after the bots and the
// server (when its CPU is known): other processes sharing the machine.
type machineWindow struct {
	BusyCores    float64 `json:"busy_cores"`
	SoftIRQCores float64 `json:"softirq_cores"`
	OtherCores   float64 `json:"other_cores"`
}

// point is one sample of the timeline (every config.Sample).
type point struct {
	T                float64  `json:"t_s"`
	Connected        int64    `json:"connected"`
	Failed           int64    `json:"failed"`
	RTTP50           *float64 `json:"rtt_p50_ms"`
	RTTP99           *float64 `json:"rtt_p99_ms"`
	IntervalP50      *float64 `json:"snapshot_interval_p50_ms"`
	IntervalP99      *float64 `json:"snapshot_interval_p99_ms"`
	SnapshotsPerS    float64  `json:"snapshots_per_s"`
	BytesPerS        float64  `json:"bytes_per_s"`
	LoadbotsCPUCores float64  `json:"loadbots_cpu_cores"`
}

// quantileMs reads quantile q of a histogram of microseconds, in ms.
func quantileMs(s histogram.Snapshot, q float64) *float64 {
	return msOrNil(s.Quantile(q) / 1000)
}

func pcts3(s histogram.Snapshot) pct3 {
	return pct3{P50: quantileMs(s, 0.5), P95: quantileMs(s, 0.95), P99: quantileMs(s, 0.99)}
}

// writeJSON writes the report to path.
func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeTable prints the report as a text table.
func (r *report) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, value string) { fmt.Fprintf(tw, "%s\t%s\n", name, value) }
	row("scenario", fmt.Sprintf("%s (%s)", r.Scenario, r.Params))
	row("bots / rooms", fmt.Sprintf("%d / %d", r.Bots, r.Rooms))
	row("connected / failed", fmt.Sprintf("%d / %d (join failures %d, lost %d)", r.Connected, r.Failed, r.DialFailures, r.Disconnects))
	row("join, warm-up, window", fmt.Sprintf("%.1f s, %.1f s, %.1f s", r.JoinS, r.WarmupS, r.DurationS))
	row("rtt ms p50 / p95 / p99", triple(r.RTTMs))
	row("input latency ms p50 / p95 / p99", triple(r.InputLatencyMs))
	row("server rtt ms p50 / p95 / p99", triple(r.ServerRTTMs))
	row("snapshot interval ms p50 / p99 / max", fmt.Sprintf("%s / %s / %s", f(r.SnapshotIntervalMs.P50), f(r.SnapshotIntervalMs.P99), f(r.SnapshotIntervalMax)))
	row("snapshots / client / s", f(r.SnapshotsPerClientPerS))
	row("inputs, frames / client / s", fmt.Sprintf("%s, %s (repeated by server %s)", f(r.InputsPerClientPerS), f(r.FramesPerClientPerS), f(r.RepeatedPerClientS)))
	row("payload bytes / client / s", f(r.BytesPerClientPerS))
	row("loadbots cpu cores", f(r.LoadbotsCPUCores))
	s := &r.Server
	src := ""
	if s.CPUSource != "" {
		src = " (from " + s.CPUSource + ")"
	}
	row("server tick ms p50 / p99", fmt.Sprintf("%s / %s", f(s.TickMs.P50), f(s.TickMs.P99)))
	row("server cpu cores", f(s.CPUCores)+src)
	row("server cpu µs / client / s", f(s.CPUMicrosPerClientPerS))
	row("server rss MB (idle)", fmt.Sprintf("%s (%s), %s KB / player", f(s.RSSMB), f(s.RSSIdleMB), f(s.RSSKBPerPlayer)))
	if m := r.MachineWindow; m != nil {
		row("machine busy / softirq / other cores", fmt.Sprintf("%.3f / %.3f / %.3f", m.BusyCores, m.SoftIRQCores, m.OtherCores))
	}
	row("server ticks overrun, snapshots replaced", fmt.Sprintf("%s, %s", f(s.TicksOverrun), f(s.SnapshotsReplaced)))
	if k := r.Soak; k != nil {
		row("soak: churn / s, rejoined (failed, skipped)", fmt.Sprintf("%g, %d (%d, %d)", k.ChurnPerS, k.Rejoined, k.RejoinFailures, k.ChurnSkipped))
		row("soak: bots connected start -> end", fmt.Sprintf("%d -> %d (%d samples, every %g s)", k.ConnectedStart, k.ConnectedEnd, k.Samples, k.SampleEveryS))
		for _, x := range []struct {
			name string
			f    soakFigure
		}{{"soak: server goroutines", k.Goroutines}, {"soak: server heap in use MB", k.HeapInuseMB},
			{"soak: server GC target MB (live heap x2)", k.GCTargetMB}, {"soak: server RSS MB", k.RSSMB}} {
			row(x.name, fmt.Sprintf("%g -> %g (max %g, %s): %s", x.f.Start, x.f.End, x.f.Max, x.f.Tolerance, flatWord(x.f.Flat)))
		}
		row("soak: verdict", k.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error x%d: %s\n", e.Count, e.Error)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	return nil
}

func flatWord(flat bool) string {
	if flat {
		return "flat"
	}
	return "GREW"
}

func triple(p pct3) string {
	return fmt.Sprintf("%s / %s / %s", f(p.P50), f(p.P95), f(p.P99))
}

// f formats a nullable figure.
func f(v *float64) string {
	if v == nil {
		return "n/a"
	}
	s := fmt.Sprintf("%.3f", *v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
