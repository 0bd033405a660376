// Command loadbots drives a swarm of headless bots against a tickwire server
// and reports what they saw and what the server spent:
//
//	go run ./loadbots -url ws://127.0.0.1:8080/ws -bots N [-rooms R] -duration D \
//	    [-warmup W] [-ramp PER_SECOND] [-scenario peer] [-json FILE] [-html FILE] \
//	    [-metrics URL] [-server-pid PID]
//
// A run joins the bots (at most -ramp a second), lets them play for -warmup,
// measures for -duration, then says goodbye. While it runs a progress line
// (connected/target, failures, snapshots/s, MB/s, p99 RTT, the bots' own
// CPU) is redrawn in place on a terminal, or printed every 5 s otherwise.
// The final report is a text table on stdout; -json writes it with the
// fields issue 10 lists plus extras, -html a self-contained page with charts
// over time (no script, no network: inline SVG).
//
// # Honest bots
//
// Every bot is a real netcode.Client: it decodes every snapshot against the
// baseline the server named, keeps its history of baselines, acknowledges
// the newest snapshot in each input frame and answers pings, exactly as the
// game client does. Only prediction is off (bots have no screen to show it
// on). A bot sends one input frame per tick, labelled with the tick its
// client's server-clock estimate says will be running when the frame
// arrives, plus half the RTT and a margin that grows when the server reports
// repeating its inputs (see bot.ticksToLabel).
//
// Scenario "peer" is the workload of ../shared/peers/colyseus/WORKLOAD.md,
// so the figures compare with Colyseus's and the floor harness's: rooms of
// 10 bots, no NPCs, 200 units/s in a 2000 x 2000 arena, fire cooldown
// 500 ms, range 300, hit radius 20, 10 damage of 100 hp, passed as room
// parameters at join (the server needs no flag; -param overrides them);
// a killed player respawns at once and shots test current positions (no
// lag compensation), as in that workload; each bot redraws its move
// (each axis uniform in {-1, 0, 1}), aim (uniform) and trigger (p = 0.5)
// at join and then every 0.5-1.5 s. Scenario "accuracy" (lag-compensation
// accuracy) belongs to the latency issue and is refused with a clear error.
//
// # One core for 1,500 bots
//
// There is no goroutine or timer per bot for sending: 16 shard goroutines
// each wake once per tick, drift-free, at phases spread over the tick
// (about 2 ms apart at 30 Hz, the granularity of the peer harness's bots),
// and send one frame for each of their bots. Receiving is the client's
// reader goroutine per connection, parked in the netpoller between
// snapshots. Measurements go into shared lock-free histograms
// (internal/histogram: one atomic add per sample). loadbots reads its own
// CPU time (getrusage) and warns in the report when it used more than 90 %
// of a core: then its latency figures measure the load generator.
//
// # What the figures mean
//
//   - rtt_ms: per input, the time from sending the frame that first carries
//     a tick's input to the first snapshot whose last_input covers it, less
//     the time the input waited at the server for its tick (the header's
//     input lead, smoothed by the server) and less the snapshot's send delay
//     (from the tick's due time to its encoding). What is left is the network
//     round trip plus scheduling at both ends (the bots' included).
//     input_latency_ms is the same round trip before the subtractions;
//     server_rtt_ms is the server's own smoothed estimate from the headers.
//   - snapshot_interval_ms: the time between consecutive decoded snapshots of
//     one bot, all bots pooled (the peers' "patch interval").
//   - bytes_per_client_per_s: WebSocket message payload bytes of snapshots
//     (the peers count every data message's payload; tickwire's pings, one a
//     second of a few dozen bytes, are left out).
//   - Per-client rates divide by the bots connected when the window opened.
//   - server: tick_ms from the server's tickwire_tick_duration_seconds
//     histogram (the window's observations, interpolated within buckets as
//     PromQL's histogram_quantile does); cpu_cores and rss_mb from
//     /proc/<pid> when -server-pid is given (as the peer harnesses measure),
//     else from /metrics' process collector. Unreachable: null, with a
//     warning.
//
// # Measured
//
// On the 2-vCPU VM of docs/BENCHMARKS.md (2026-11-28), pinned to one core:
// 500 honest bots cost loadbots 0.54-0.55 cores, 1,000 cost 0.92-0.96
// (about 31 µs per bot and tick), 1,500 saturate the core. A profile puts
// 42 % in sending (the write system call 23 %), 46 % in the client's
// reading and decoding, about 10 % in per-call contexts, and about 4 % in
// loadbots itself: the cost is the kernel's and the client library's.
// Without the client's cancellable per-call contexts 1,000 bots took
// 0.67-0.74 cores (an experiment, recorded in docs/BENCHMARKS.md).
//
// `make loadtest` runs the peer scenario at 500, 1,000 and 1,500 bots with
// the server and the bots pinned to different cores; docs/BENCHMARKS.md
// records the figures.
package main
