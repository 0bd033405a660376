// Package server is tickwire's authoritative game server: the HTTP and
// WebSocket front, the rooms, their fixed-tick loops, and the per-connection
// reader and writer.
//
// # Entry points
//
//	srv := server.New(&server.Options{Addr: "127.0.0.1:8080"}) // nil: defaults
//	srv.RegisterGame("race", myFactory)                        // "arena" and "tag" are built in
//	go srv.Run()                                               // or Serve(ln), or mount Handler()
//	...
//	srv.Shutdown(ctx) // says goodbye (1001) to every player, then returns
//
// A host plugs its own game in by implementing Game (Kinds, Join, Leave,
// Step, World; optionally Viewer and Ender) and registering a GameFactory.
// Players connect to /ws and send a Join naming a room; the first join
// creates the room with the named (or default) game.
//
// # How a tick flows
//
// Each connection's reader goroutine reads a binary message, has it checked
// with schema.Verify (inside the protocol's Parse) before touching a field, and puts the inputs into its
// player's input buffer (a small lock, never the room). The room goroutine
// wakes on its ticker, takes each player's input for the tick (or repeats the
// last one, and says so), steps the game, quantizes the world into its frame
// history, and encodes the snapshot once per distinct baseline the players
// acknowledged. Each player's bytes go to its writer goroutine through a
// one-slot mailbox: a newer snapshot replaces an unsent older one, so a slow
// client never stalls its room, and because every snapshot is a delta
// against an acknowledged baseline, whatever gets through decodes. A client
// whose writes stall for Options.WriteStall is closed (4005).
//
// # Limits and trust
//
// The server assumes clients are hostile. Every limit is an Option with a
// sane default, counted in tickwire_messages_rejected_total{reason} and
// answered with a close status and reason: message size (1009), messages
// per second per connection as a token bucket (1008), connections in total
// (1013) and per address (1008), rooms (1013), players per room (4001), a
// connection that never joins (4004) or goes silent (4006), room and player
// names (1008). With AuthSecret set, a join needs a token (MintJoinToken)
// signed over the room, the player and an expiry (4008 otherwise). Browser
// origins other than the server's own need AllowedOrigins. A panic in a room
// closes that room (1011) and nothing else.
//
// # Reconnects
//
// A Welcome carries a resume token. When a connection drops without a
// Leave, the player's seat and entity stay for ResumeGrace (standing still);
// a Join with the token gets the same player back, starting from a full
// snapshot. A second connection resuming a live one replaces it (4007).
//
// # Close statuses
//
// Every connection the server ends gets a Kick message with a code and a
// reason, then the WebSocket close with the same code: see the Status
// constants. Malformed bytes get 1002, text frames 1003, oversized messages
// 1009, a full room 4001, a protocol version mismatch 4000, shutdown 1001.
//
// # Lag compensation
//
// For each player input the room computes the view time the game rewinds
// hit tests to: the arrival time less the smoothed RTT (out and back) and
// the client's interpolation delay. The client's own claim is used when it
// lies within the measured jitter of that estimate; the result is clamped to
// Options.MaxRewind and never later than the tick being stepped.
//
// # Hosting matches
//
// A game backend runs matches on tickwire without forking it. The Game
// interface is the whole contract: a GameFactory creates a game from the
// room's parameters (and may refuse them), Join accepts a player or refuses
// with a reason the player reads, Leave and Step drive it, World (and the
// optional Viewer) says what each player sees, and the optional Ender ends
// the match with a sim.Result. sim/arena and sim/tag are two such games;
// Example shows a complete one in sixty lines.
//
// With Options.APIKey set, a backend manages rooms over JSON (api.go;
// openapi.yaml documents it): create rooms with a game, parameters, seats,
// labels and privacy, list and inspect them, end them, and reserve seats.
// A reservation holds a seat for one player for Options.ReservationTTL and
// comes with a join token bound to the room and the player; the player
// joins with it, into the held seat even when the room is otherwise full.
// POST /api/matchmake joins or creates by game and labels. Seats are
// counted on the room goroutine, so no two requests take the same last
// seat; the Matchmaker interface is where a directory shared by many
// processes plugs in. The same operations are Server methods (CreateRoom,
// Room, ListRooms, Reserve, Matchmake, DeleteRoom).
//
// When a game ends its match, its MatchResult goes to Options.OnResult and
// to Options.WebhookURL (JSON, signed with HMAC-SHA256, keyed by match id,
// retried with backoff until a 2xx). Results wait in an outbox, a bbolt file
// with Options.OutboxPath, until every destination took them; a server
// started on the same file delivers what the last one could not.
//
// /monitor is a live page of the rooms, their players with RTT, tick-time
// percentiles and snapshot bytes per second, for loopback or the API key.
//
// # Fleets
//
// One process is self-contained by default. Options.Cluster (the
// -directory and -public-url flags) shares the room directory between
// processes through Redis (redisdir.go, cluster.go): each process publishes
// itself and its rooms with a short TTL, and matchmaking on any process
// holds a seat atomically in Redis and has the owning process reserve it.
// Options.Agones (agones.go; -agones, or AGONES_SDK_HTTP_PORT) reports the
// process's life cycle to the Agones SDK sidecar: Ready, Health while the
// housekeeping loop lives, rooms and free seats, Shutdown after the drain.
//
// servertest starts real servers on loopback for tests and bots.
//
// # Performance
//
// Measured with loadbots' peer workload (10 players a room), the server
// pinned to one core with GOMAXPROCS=1, the bots on the other core,
// on a 2-core machine shared with other work: repeated runs of the same
// binary differ by ±10%, so read the figures as ranges.
//
//	bots  µs CPU/client/s  RSS/player  p99 snapshot gap  snapshots/s
//	 500  850–1020         52–55 KB    35–37 ms          15,000 (30 each)
//	1000  632              48 KB       37 ms             30,000 (30 each)
//
// Where the time goes (pprof, 500 bots): about 45% of the process's CPU is
// inside syscalls. The writer goroutines (one write per snapshot and per
// ping) take ~40–47% cumulative, the reader goroutines ~33%, the room ticks
// ~8–13%, the scheduler and netpoller the rest. strace -c over 5 s at 500
// bots: 77k write (one per message sent), 151k read of which 75.6k EAGAIN
// (each message received costs a read that returns it and a read that
// finds the socket empty before the goroutine parks), 4.8k epoll_pwait
// (about 950 wake-ups a second: the netpoller collects ~15 ready sockets
// per wake, which is why the cost per client falls as clients are added).
// GC is not visible in the profile; GOGC=400 measured within the noise of
// GOGC=100 and leaves RSS unchanged, so the server does not tune it.
//
// The floor harness (../shared/peers/floor, no game logic: one 50-byte
// message in and one 80-byte message out per client 30 times a second, a
// reader goroutine per connection and a writer per 10) measured in the
// same session at 500 clients: 972 µs/client/s and 61 KB RSS/client over
// coder/websocket, 722 µs/client/s and 27.5 KB over bare length-prefixed
// TCP. So the server already costs what a goroutine-per-connection
// WebSocket server costs on this machine; going lower needs fewer syscalls
// and wake-ups per message, not cheaper game code.
//
// What has been changed for it: a connection's read buffer starts at
// initialReadBuf bytes (inputs are a few dozen) and grows to the read limit
// only when a client sends a bigger message, which took ~4 KB off every
// player (56 → 52 KB at 500 bots). The next step, not done yet, is the one
// the syscall counts point at: per connection and tick one read of
// whatever arrived and one write, driven by the room with the sockets out
// of the netpoller, so the process sleeps between ticks.
package server
