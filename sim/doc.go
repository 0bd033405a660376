// Package sim is the simulation side of tickwire: the shared vocabulary of
// ticks, entities and inputs that a game and the network code speak, plus
// the integer helpers a game needs to stay deterministic.
//
// Time in sim is a tick number (Tick), never the clock, and a point between
// ticks is a TickTime in 1/256 of a tick. Only the room loop at the edge
// reads the clock.
//
// Determinism is the reason this package exists apart from the games: the
// server (amd64) and a predicting client (amd64 or js/wasm) run the same
// movement code and must agree bit for bit, or prediction corrects itself
// every frame. Go may fuse floating-point multiply-adds differently per
// architecture, so sim state is integers only, and the helpers here give a
// game what it would otherwise reach into math for:
//
//   - Sin, Cos (Q16, from a committed quarter-wave table) and Atan2 (CORDIC)
//     over uint16 angles, the unit of Input.Aim;
//   - ISqrt, Clamp, Lerp (interpolation by a TickTime's 1/256 fraction) and
//     DivRound;
//   - Rand, a seeded SplitMix64 generator, and Mix to derive sub-streams.
//
// The tables in tables.go are generated (`go generate ./sim`) by the only
// floating-point code in the package, which runs at development time. Tests
// pin golden values that the js/wasm run must reproduce.
//
// The demo game, arena, lives in sim/arena.
package sim
