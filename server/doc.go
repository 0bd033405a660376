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
// One metronome beats for every room at once, on a grid of the tick period.
// At a beat a room first reads each player's socket once (see sockMode in
// sock.go): whatever arrived since the last beat goes, with the kernel's
// arrival stamp, into the buffer the connection's reader goroutine offers;
// the reader parses it with coder/websocket, has each message verified
// (schema.Verify, inside the protocol's Parse) before touching a field, and
// puts the inputs into its player's input buffer, and the room waits until
// every reader it woke is done. Then the room takes each player's input for
// the tick (or repeats the last one, and says so), steps the game,
// quantizes the world into its frame history, encodes the snapshot once
// per distinct baseline the players acknowledged, and writes each player's
// snapshot (with a ping when one is due, and the room's roster of names
// when it changed since the player was last sent one) with one
// non-blocking write. Bytes
// the kernel does not take wait in a bounded backlog, and while they wait
// the player's snapshots are skipped: every snapshot is a delta against an
// acknowledged baseline, so whatever gets through decodes, and a slow
// client never stalls its room. A client whose bytes wait for
// Options.WriteStall is closed (4005). Between beats the process sleeps.
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
// pinned to one core with GOMAXPROCS=1, the bots on the other core, on a
// 2-core machine shared with other work (2026-12-02 18:31–18:41, two
// interleaved sweeps beside Colyseus 0.18 and a bare coder/websocket
// server on the same workload; docs/BENCHMARKS.md has the tables and the
// method):
//
//	bots  µs CPU/client/s  vs Colyseus  RSS/player  p99 snapshot gap  snapshots/s  bytes/s
//	 500  536–568          0.59–0.66×   30.3–30.6   38–40 ms          30 each      1160–1162
//	1000  486–510          0.63–0.64×   27.5–27.6   45 ms             30 each      1164–1166
//	1500  490–511          (saturated)  26.3–26.6   51–53 ms          30 each      1168–1170
//
// The cost on this machine is system calls and wake-ups, not game code: a
// syscall costs 0.1–3 µs depending on the host of the day, a small
// loopback write 6–9 µs with the TCP work it does, and waking an idle
// process more. Going through Go's netpoller, every
// message in cost a read, an EAGAIN read (the netpoller reads until the
// socket is empty before it parks) and often a wake-up, and every message
// out a write from a writer goroutine: 850–1000 µs per client per second
// at 500 bots, what the bare coder/websocket floor harness costs. The
// room-driven sockets (sock.go) do, per player and tick, one recvmsg and one
// write (the ping rides with the snapshot), and the process wakes once a
// beat: strace -c over 5 s at 500 bots counts 57k writes and 57k recvmsg
// (16% of them EAGAIN: inputs that arrive just after the beat's read), 539
// epoll_pwait. -netpoll-io runs the old path in the same binary: at 1,000
// bots 707–756 µs against 578–602 in back-to-back runs, and perf stat
// over 5 s counts 306,429 reads, 28,752 epoll_pwait and 18,651 context
// switches there against 150,000 recvmsg, 662 and 4,015 here (150,000
// writes in both): one read and one write per player per tick.
//
// Where the rest goes (pprof, 1,000 bots): ~45% of the CPU is the writes
// (on loopback that includes the receiver's TCP work), ~13% the reads,
// coder/websocket's frame parsing ~13%, goroutine hand-offs between the
// room and the readers ~8%, the game step, quantize and encode under 10%.
//
// Rooms beat in the same order every time so each player's snapshot leaves
// at the same point of the beat's burst: in a random order the p99 snapshot
// interval at 1,000 bots was 58 ms, in a fixed one 48.6 ms.
//
// Memory: a seated player allocates ~45 B/s, so the binary sets GOGC=25
// unless GOGC is given (33.3 → 27.9 KB per player at 1,000, same CPU). The
// HTTP handler returns after the upgrade (the connection continues on a
// fresh goroutine, so the HTTP server's grown stack and buffers are freed)
// and coder/websocket gets 512-byte buffers. What remains per player:
// ~8 KB of reader goroutine stack, ~4 KB of the room's frame history, the
// player's input slots and RTT ring, coder/websocket's connection.
package server
