// Command demo-client is the arena game of tickwire, built with Ebitengine:
// the first thing a newcomer plays, and a window onto the netcode.
//
// One code base runs on the desktop and in the browser (GOOS=js
// GOARCH=wasm). Only where the two truly differ is the code split, by build
// tags rather than runtime checks: config_desktop.go reads flags while
// config_js.go reads the page's query string and derives the WebSocket URL
// from the page's own address (so the page works behind a proxy and over
// https/wss); capture_desktop.go saves screenshots for the Xvfb test, which
// the browser has no file system for.
//
// # Playing
//
// WASD moves, the mouse aims, the left button fires. The HUD shows the
// round trip the server measured, the newest server tick, snapshots and
// downstream bytes per second, and the interpolation delay. F3 toggles the
// debug overlay: the server's authoritative position of the own player (a
// ring) beside the predicted one (the filled disc), and for the last shot,
// the target's hit box where the server rewound it to test the hit. Tab
// shows the scoreboard; Esc returns to the connect screen.
//
// # How the netcode shows
//
// The own player is predicted: netcode.Client runs the arena's own integer
// movement (arena.Params.Move, with the room's parameters from the Welcome)
// on every input at once and reconciles with each snapshot; the drawn
// position then eases toward the prediction so a correction never jumps.
// Everyone else is sampled from the last snapshots (netcode/interp.Buffer,
// wrapped in interp.go) at a playout time behind the newest one by the
// delay netcode/interp.DelayTracker derives from arrival jitter, never
// under two snapshot intervals. The playout clock follows the least-delayed
// recent arrival and only ever slews, so the picture never jumps or runs
// backwards. That playout time goes to the server (SetViewTime) as the
// lag-compensation claim: hits are judged against the world this player
// saw.
//
// A lost connection reconnects by itself with exponential backoff, resuming
// the same player with the Welcome's resume token; a refusal the player
// must act on (wrong protocol version, replaced by another tab) stops and
// says so.
//
// # Files
//
//   - game.go: the ebiten.Game (Update reads input, feeds the client and the
//     clock; Draw draws), form.go the connect screen, draw.go and text.go the
//     drawing.
//   - session.go: one connection's life: dial, join, watch, say why it
//     ended, back off and dial again.
//   - interp.go: the others' snapshots, the playout clock and delay; the
//     own entity and the last shot as the server has them.
//   - layout.go: where the fields the client draws sit in the room's kinds.
//   - web/index.html: the page `make wasm` serves with the bundle.
//
// # Automation
//
// -autoconnect (or ?autoconnect=1) skips the connect screen; -debug (or
// ?debug=1) starts with the overlay shown. On the
// desktop, -exit-after N exits after N frames of play and -screenshot FILE
// saves the last of them as PNG: the Xvfb test uses both.
package main
