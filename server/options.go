package server

import (
	"log/slog"
	"time"
)

// Options configures a Server. The zero value (or a nil *Options) serves the
// arena on 127.0.0.1:8080 with the defaults below.
type Options struct {
	// Addr is the TCP address Run listens on. Default "127.0.0.1:8080".
	Addr string
	// TickRate is every room's simulation and snapshot rate in Hz.
	// Default 30.
	TickRate int
	// MaxPlayers is the most players a room admits. Default 16; at most
	// 1000 (protocol.MaxRosterPlayers, the most a Roster lists).
	MaxPlayers int
	// DefaultGame names the registered game a room is created with when the
	// join does not name one. Default "arena".
	DefaultGame string
	// GameParams are parameters every new room of the default game starts
	// from (other games have their own parameter names); a join or API call
	// that creates a room may override them. Default none.
	GameParams map[string]string
	// EmptyRoomTimeout is how long a room with no players lives on.
	// Default 30s.
	EmptyRoomTimeout time.Duration
	// JoinTimeout is how long a new connection has to send its Join.
	// Default 5s.
	JoinTimeout time.Duration
	// MaxMessageSize is the largest message a client may send, in bytes;
	// a larger one closes the connection with 1009. Default 4096.
	MaxMessageSize int
	// WriteStall is how long a connection may have bytes the kernel will
	// not take (snapshots skipped meanwhile) before it is closed as a slow
	// consumer. Default 5s.
	WriteStall time.Duration
	// NetpollIO keeps every connection in Go's netpoller, with a reader
	// goroutine reading each message as it arrives and a writer goroutine
	// per connection, instead of the room reading and writing the socket
	// once a tick. That is how TLS connections and platforms other than
	// Linux always run; set it to compare the two or to rule the
	// room-driven path out while debugging. Default false.
	NetpollIO bool
	// MaxCatchUpTicks caps how many ticks a late room runs back to back to
	// catch up with the clock; past that it drops ticks (and counts them)
	// rather than spiral. Default 3.
	MaxCatchUpTicks int
	// HistoryTicks is how many ticks of sent snapshots a room keeps as
	// delta baselines; an ack older than that gets a full snapshot.
	// Default one second of ticks.
	HistoryTicks int
	// PingInterval is how often each player is sent a protocol Ping for RTT.
	// Default 1s.
	PingInterval time.Duration
	// WebDir is a directory served at / (the browser demo: index.html,
	// wasm_exec.js and the game's .wasm, served precompressed when a .gz
	// sits beside a file). Default "": no page.
	WebDir string
	// MaxRewind bounds lag compensation: a shot is tested against the world
	// at most this long ago, however slow the shooter's connection, so a
	// target can be hit at most this long after it took cover. A shooter
	// needs about its RTT, plus its interpolation delay (two or three
	// ticks), plus its input lead: 250-260 ms at 150 ms of RTT and 30 Hz
	// (measured, loadbots -scenario accuracy). Default 300ms: players up
	// to about 190 ms of RTT are judged where they aimed.
	MaxRewind time.Duration
	// Pprof serves the runtime profiles at /debug/pprof/. They reveal
	// internals and cost CPU when fetched, so they are off by default.
	Pprof bool
	// MaxConns is the most WebSocket connections the server holds; more are
	// closed at once with 1013 (try again later). Default 10000.
	MaxConns int
	// MaxConnsPerIP is the most connections from one remote address; more
	// are closed with 1008. Default 64.
	MaxConnsPerIP int
	// MaxRooms is the most rooms open at once; a join that would create
	// another is closed with 1013. Default 1000.
	MaxRooms int
	// InputRate is the sustained number of messages per second a player may
	// send, and InputBurst how many above that rate a burst may hold: a
	// token bucket, so a client catching up after a stall is fine and a
	// flood is closed with 1008. Defaults: 4× the tick rate, and 5 s of
	// ticks (a client whose frames piled up behind a stalled network or a
	// starved server arrives all at once, and is not a flood).
	InputRate  float64
	InputBurst int
	// IdleTimeout closes (4006) a connection that has sent nothing for this
	// long; a playing client sends inputs every tick. Default 10s.
	IdleTimeout time.Duration
	// MaxNameLen bounds player names, MaxRoomNameLen room names (in
	// characters). Defaults 32 and 64.
	MaxNameLen, MaxRoomNameLen int
	// AuthSecret, when set, makes every Join need a join token minted with
	// it (MintJoinToken, `tickwire token`): HMAC-SHA256 over the room, the
	// player and an expiry. The token's player becomes the player's name.
	AuthSecret []byte
	// AllowedOrigins are the origins (host patterns, as in
	// websocket.AcceptOptions.OriginPatterns) browsers may connect from
	// besides the server's own. Clients that send no Origin (not browsers)
	// are not affected.
	AllowedOrigins []string
	// TLSCertFile and TLSKeyFile, when both set, make Run serve HTTPS and
	// WSS.
	TLSCertFile, TLSKeyFile string
	// ResumeGrace is how long a player whose connection dropped keeps its
	// seat and entity, waiting for a reconnect with its resume token.
	// Default 15s; negative disables resuming.
	ResumeGrace time.Duration
	// APIKey turns on the rooms API (/api/, see openapi.yaml): a request
	// must carry "Authorization: Bearer <APIKey>". It also opens /monitor
	// to non-loopback clients that present it. Default "": the API is off
	// and the monitor is loopback-only.
	APIKey string
	// ReservationTTL is how long a reserved seat waits for its player to
	// join before it is freed. Default 15s; tokens count whole seconds.
	ReservationTTL time.Duration
	// OnResult, when set, receives every match result (a game that
	// implements Ender ended its match), at least once, on a goroutine of
	// the server's, one at a time. An error (or panic) means "not taken":
	// the result is offered again with backoff.
	OnResult func(MatchResult) error
	// WebhookURL, when set, receives every match result as a JSON POST,
	// signed (HeaderSignature) and keyed by match id (HeaderIdempotencyKey),
	// retried with backoff until it answers 2xx.
	WebhookURL string
	// WebhookSecret signs webhook bodies. Default: APIKey.
	WebhookSecret []byte
	// WebhookRetryMin and WebhookRetryMax bound the wait between delivery
	// attempts of a result (the callback's too), doubling from one to the
	// other. Defaults 1s and 5m.
	WebhookRetryMin, WebhookRetryMax time.Duration
	// OutboxPath is a file (a bbolt database) where results wait until
	// delivered, so a crash or restart loses none; a server started on the
	// same file delivers what the last one could not. Default "": results
	// wait in memory only.
	OutboxPath string
	// Agones, when set, reports the process's life cycle to the Agones SDK
	// server of its GameServer: Ready once Serve listens, Health while
	// alive, room and seat counts, Shutdown after a drain (see
	// AgonesOptions). Default nil: no Agones.
	Agones *AgonesOptions
	// Cluster, when set, shares this process's rooms with the other
	// processes of a cluster through a room directory (Redis): matchmaking
	// and room listing become cluster-wide (see ClusterOptions). Default
	// nil: one self-contained process.
	Cluster *ClusterOptions
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
}

// withDefaults returns a copy of o with every zero field set to its default.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	setDefault(&r.Addr, "127.0.0.1:8080")
	setDefault(&r.TickRate, 30)
	setDefault(&r.MaxPlayers, 16)
	r.MaxPlayers = min(r.MaxPlayers, maxSeats)
	setDefault(&r.DefaultGame, "arena")
	setDefault(&r.EmptyRoomTimeout, 30*time.Second)
	setDefault(&r.JoinTimeout, 5*time.Second)
	setDefault(&r.MaxMessageSize, 4096)
	setDefault(&r.WriteStall, 5*time.Second)
	setDefault(&r.MaxCatchUpTicks, 3)
	setDefault(&r.HistoryTicks, r.TickRate)
	setDefault(&r.PingInterval, time.Second)
	setDefault(&r.MaxRewind, 300*time.Millisecond)
	setDefault(&r.MaxConns, 10000)
	setDefault(&r.MaxConnsPerIP, 64)
	setDefault(&r.MaxRooms, 1000)
	setDefault(&r.InputRate, float64(4*r.TickRate))
	setDefault(&r.InputBurst, 5*r.TickRate)
	setDefault(&r.IdleTimeout, 10*time.Second)
	setDefault(&r.MaxNameLen, 32)
	setDefault(&r.MaxRoomNameLen, 64)
	setDefault(&r.ResumeGrace, 15*time.Second)
	setDefault(&r.ReservationTTL, 15*time.Second)
	setDefault(&r.WebhookRetryMin, time.Second)
	setDefault(&r.WebhookRetryMax, 5*time.Minute)
	r.WebhookRetryMax = max(r.WebhookRetryMax, r.WebhookRetryMin)
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	return r
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}
