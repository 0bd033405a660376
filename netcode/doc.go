// Package netcode is the Go client of tickwire, and (in its sub-packages)
// everything both ends of the wire must agree on.
//
// The client, for games, bots and tests, on the desktop and in the browser
// (it builds for GOOS=js GOARCH=wasm, where coder/websocket wraps the
// browser's WebSocket):
//
//	c, err := netcode.Dial(ctx, "ws://127.0.0.1:8080/ws", &netcode.Options{Room: "r1", Name: "ann"})
//	for each frame of the game loop {
//	    c.Update(sim.Input{MoveX: 1, Aim: a})   // labels, sends, predicts
//	    snap, ok := c.Latest()                  // the newest decoded world
//	}
//	c.Close()
//
// Update runs the client's input clock: inputs are labelled with the server
// tick they are for, ahead of the server by about half the round trip, and
// every frame repeats the inputs not yet acknowledged, so a late or lost
// frame loses nothing. Each snapshot is decoded against the baseline it
// names from the client's own ring and acknowledged in the next frame; one
// whose baseline the client no longer holds is skipped (the server falls
// back to an older baseline or a full snapshot). Pings are answered at once
// from the reader goroutine, because browsers hide WebSocket control frames
// and RTT has to live in the protocol. Roster says who the room's players
// are (entity, name, connected or away): the server sends it before the
// first snapshot and whenever it changes, so it names every player entity
// a snapshot shows.
//
// For a plain ws:// URL the client dials the TCP connection itself and,
// once coder/websocket has done the handshake, moves the frames itself
// (frameConn, frameReader): each input frame and pong is one masked frame
// in one write, and the server's frames are parsed straight from the
// socket (fragments joined, WebSocket pings answered, the close echoed,
// anything a server may not send closed with 1002). The library's
// per-message locks and selects were about a quarter of a load-test bot's
// CPU; measured at 1,000 bots on one core the client now costs 0.72 cores
// where it cost 0.79 (interleaved runs), most of what is left being the
// kernel's (docs/BENCHMARKS.md). wss:// and the browser use the library
// for everything.
//
// A program with many connections (loadbots) can have them read by a
// Poller instead of a reader goroutine each (Options.Poller, Linux): the
// sockets leave Go's netpoller for an epoll set of the Poller's own, which
// sits in the netpoller itself, so one wake-up of the Poller's goroutine
// serves every socket the server wrote since the last, and each message
// costs one read rather than a read, a read that finds nothing (Go reads
// until EAGAIN) and a goroutine wake-up. The client does everything else
// as before, on the Poller's goroutine. Measured at 1,500 bots on one core
// (interleaved): 0.98 / 0.90 cores with a goroutine each, 0.87 / 0.82
// with the Poller.
//
// Sub-packages:
//
//   - protocol: the typed wire messages and their FlatBuffers encoding.
//   - delta: quantized fields, snapshot frames and the delta codec.
//   - timing: RTT, clock and input-lead estimation; the lag-compensation clamp.
//   - predict: prediction and reconciliation of the own entity.
//   - interp: the interpolation buffer and its jitter-following delay.
//   - nettest: a latency-injecting proxy for tests.
//   - rawsock: takes a socket out of Go's netpoller (the Poller's and the
//     server's room-driven sockets start there).
package netcode
