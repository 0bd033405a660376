// Package timing holds the time-keeping of tickwire's netcode: round-trip
// and input-arrival measurement on the server, and on the client the
// estimate of the server's clock and the input clock that labels inputs
// with the ticks they are for.
//
// Everything takes time as an argument (a time.Duration since some
// monotonic origin: the server's start, the client's dial) and never reads
// a clock, so every estimator is tested with made-up timestamps and
// deterministic simulations. Integers only: the client runs in js/wasm too.
//
// Server side:
//
//   - RTTEstimator smooths round-trip samples (from pings and snapshot
//     acks) RFC 6298 style: SRTT, RTTVAR, and a windowed minimum.
//   - InputTimer measures how long before their tick was due a player's
//     inputs arrive. Its Lead is deliberately conservative (mean less three
//     mean deviations) so a client steering it to a small margin gets
//     nearly every input in on time; it travels to the client as
//     Header.InputLead.
//
// Client side:
//
//   - ClockEstimator maps the client's clock to the server's TickTime from
//     the Welcome, snapshots (tick and send delay) and pings, with a
//     least-delay filter, detection of a server that dropped ticks, and a
//     slewed (never backwards) output. See its comment for the method.
//   - LeadController runs the input clock ahead of the estimated server
//     time by a lead steered by the server's feedback (an integrator with
//     anti-windup and an RTT/2 feed-forward), and hands out each input tick
//     once, in order. See its comment for the control law.
//
// Measured in the package's simulation (one client, one room, TCP-like path
// with uniform ±jitter each way, 60 fps client frames, 40s runs, the first
// 5s not scored): at 30 and 60 Hz, RTT 20-200ms with ±10ms jitter, 100% of
// inputs arrive on time with a mean earliness of 24-36ms; after a 1s network
// stall, a 3s client pause or a server that drops 10 ticks, inputs are on
// time again within two seconds. With SetRTT the clock estimate is within
// 1.0-1.5ms of the server's tick clock at the median and 5ms at p99 (±10ms
// jitter), and never runs backwards once warmed up.
//
// Cost (BenchmarkClockPerSnapshot, amd64, shared 2-core box): the client's
// whole timing work per snapshot (clock sample, SetRTT, lead feedback,
// ServerTime, NextInputTick) is about 0.7µs with no allocation; an
// InputTimer.Add on the server is 3ns.
package timing
