package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/schema"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/sim"
)

// initialReadBuf is the size a connection's read buffer starts at: room for
// any Join or InputFrame a well-behaved client sends. read grows it to the
// read limit for a connection that needs more.
const initialReadBuf = 512

// sentRing remembers when the snapshots of the last ticks were written, so
// an ack can be turned into an RTT sample.
const sentRing = 64

type sentRecord struct {
	tick sim.Tick
	at   time.Duration
}

// conn is one player's WebSocket. Its reader goroutine reads and checks
// every message and hands inputs to the room without blocking it; the room
// writes the player's snapshots itself, through sock, which never blocks
// (see sockMode). kick ends it from anywhere, once.
type conn struct {
	srv    *Server
	ws     *websocket.Conn
	sock   *tickConn // the socket under ws
	remote string
	ip     string  // remote address without the port: the per-IP limit's key
	player *player // set once seated, by the reader goroutine

	closed    chan struct{} // closed by kick
	closeOnce sync.Once
	closeCode atomic.Int32

	lastRead atomic.Int64  // server time (ns) the last message arrived
	replaced atomic.Uint64 // snapshots skipped while earlier bytes waited

	sentMu sync.Mutex
	sent   [sentRing]sentRecord

	// Reader goroutine only.
	readBuf  []byte
	frame    protocol.InputFrame
	tokens   float64       // the message rate limit's token bucket
	refilled time.Duration // when tokens was last topped up
}

// errClosedByServer marks a read that ended because we closed the conn;
// errPlayerLeft, a player that said goodbye (no seat is held for it).
var (
	errClosedByServer = errors.New("closed by server")
	errPlayerLeft     = errors.New("player left")
)

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if s.isClosing() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	hw := &hijackWriter{ResponseWriter: w, start: s.start}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		// Snapshots are small deltas already; deflate would cost CPU and
		// memory per connection for a few bytes.
		CompressionMode: websocket.CompressionDisabled,
		// Browsers may connect from the server's own origin and these;
		// the library refuses the rest with 403 before upgrading.
		OriginPatterns: s.opts.AllowedOrigins,
	})
	if err != nil {
		s.log.Debug("websocket accept failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(int64(s.opts.MaxMessageSize))
	c := &conn{
		srv:     s,
		ws:      ws,
		sock:    hw.conn,
		remote:  r.RemoteAddr,
		ip:      remoteIP(r.RemoteAddr),
		closed:  make(chan struct{}),
		readBuf: make([]byte, min(initialReadBuf, s.opts.MaxMessageSize+1)),
	}
	now := s.now()
	c.lastRead.Store(int64(now))
	c.tokens, c.refilled = float64(s.opts.InputBurst), now
	if err := s.rooms.addConn(c); err != nil {
		code := StatusPolicy
		if errors.Is(err, errTooManyConns) {
			code = StatusTryAgainLater
		}
		c.reject("conn_limit", code, err.Error())
		return
	}
	// The connection lives on in a goroutine of its own, so the HTTP
	// server's per-connection state (its goroutine's grown stack, its
	// request buffers) is freed now rather than held for the match.
	started := s.goroutine(func() {
		defer s.rooms.removeConn(c)
		defer func() {
			// A bug in our connection code ends this connection, not
			// the process.
			if v := recover(); v != nil {
				s.log.Error("connection handler panicked", "remote", c.remote, "panic", v, "stack", string(debug.Stack()))
				c.sock.readerDone()
				c.kick(StatusInternalError, "server error")
			}
		}()
		c.serve()
	})
	if !started {
		// The server finished shutting down while this one was being
		// accepted: there is no one left to play with.
		s.rooms.removeConn(c)
		c.ws.CloseNow()
	}
}

// remoteIP is the host part of a "host:port" remote address.
func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// serve runs the connection to its end on the calling goroutine.
func (c *conn) serve() {
	log := c.srv.log.With("remote", c.remote)
	joinTimer := time.AfterFunc(c.srv.opts.JoinTimeout, func() {
		c.kick(StatusJoinTimeout, fmt.Sprintf("no join within %s", c.srv.opts.JoinTimeout))
	})
	p, err := c.handshake()
	joinTimer.Stop()
	if err != nil {
		log.Debug("join failed", "err", err)
		return
	}
	c.player = p
	log = log.With("room", p.room.name, "player", p.id)
	c.sock.startRoomIO(!c.srv.opts.NetpollIO)
	err = c.readLoop(p)
	// A Leave, or a close with 1000, is a goodbye; anything else may be a
	// network failure, and the seat waits for a resume. The room hears it
	// before the reader lets go of the beat that read it (the room takes
	// leaves while it waits), so the player's last tick is that one.
	voluntary := errors.Is(err, errPlayerLeft) || websocket.CloseStatus(err) == websocket.StatusNormalClosure
	p.room.leave(p, c, voluntary)
	c.sock.readerDone()
	if !errors.Is(err, errClosedByServer) {
		log.Debug("connection ended", "err", err)
	}
	c.kick(StatusNormal, "bye")
}

// handshake reads the Join, seats the player and sends the Welcome.
func (c *conn) handshake() (*player, error) {
	typ, msg, err := c.read()
	if err != nil {
		return nil, err
	}
	if typ != wire.MessageTypeJoin {
		c.reject("not_join", StatusProtocolError, fmt.Sprintf("expected Join, got %s", typ))
		return nil, errors.New("first message not a join")
	}
	j, err := protocol.ParseJoin(msg)
	if err != nil {
		c.reject("malformed", StatusProtocolError, "malformed Join: "+err.Error())
		return nil, err
	}
	if j.ProtocolVersion != protocol.ProtocolVersion {
		reason := fmt.Sprintf("protocol version %d not supported; this server speaks %d", j.ProtocolVersion, protocol.ProtocolVersion)
		c.reject("version", StatusVersionMismatch, reason)
		return nil, errors.New(reason)
	}
	name, code, reason := c.srv.admit(&j)
	var resumeOnly string
	if code == StatusUnauthorized && j.ResumeToken != "" {
		// A join token that has expired since does not keep a player
		// from its own held seat: the resume token proves who it is.
		resumeOnly, code = reason, 0
	}
	if code != 0 {
		label := "join_invalid"
		if code == StatusUnauthorized {
			label = "auth"
		}
		c.reject(label, code, reason)
		return nil, errors.New(reason)
	}
	for {
		r, err := c.srv.rooms.getOrCreate(j.Room, j.Game, j.Params)
		if err != nil {
			code := StatusPolicy
			switch {
			case errors.Is(err, ErrServerClosed):
				code = StatusGoingAway
			case errors.Is(err, errTooManyRooms):
				code = StatusTryAgainLater
			}
			c.kick(code, err.Error())
			return nil, err
		}
		rep, ok := r.join(joinRequest{conn: c, name: name, resume: j.ResumeToken, token: j.Token, resumeOnly: resumeOnly})
		if !ok {
			continue // the room closed under us; the next one is fresh
		}
		if rep.code != 0 {
			c.kick(rep.code, rep.reason)
			return nil, errors.New(rep.reason)
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.WriteStall)
		err = c.ws.Write(ctx, websocket.MessageBinary, protocol.AppendWelcome(nil, &rep.welcome))
		cancel()
		if err != nil {
			r.leave(rep.player, c, false)
			return nil, err
		}
		return rep.player, nil
	}
}

// readLoop reads messages until the connection ends.
func (c *conn) readLoop(p *player) error {
	for {
		typ, msg, err := c.read()
		if err != nil {
			return err
		}
		// When the bytes arrived, not when they were read: in modeRoom the
		// kernel's stamp, up to a tick before the room's read.
		now := time.Duration(c.sock.arrival.Load())
		if !c.allow(now) {
			c.reject("rate", StatusPolicy, fmt.Sprintf("more than %.0f messages a second", c.srv.opts.InputRate))
			return errClosedByServer
		}
		switch typ {
		case wire.MessageTypeInputFrame:
			if err := protocol.ParseInputFrame(msg, &c.frame); err != nil {
				c.reject("malformed", StatusProtocolError, "malformed InputFrame: "+err.Error())
				return errClosedByServer
			}
			c.ackSample(p, c.frame.AckTick, time.Duration(c.frame.AckDelayMicros)*time.Microsecond, now)
			p.pushInputs(&c.frame, now)
		case wire.MessageTypePong:
			pong, err := protocol.ParsePong(msg)
			if err != nil {
				c.reject("malformed", StatusProtocolError, "malformed Pong: "+err.Error())
				return errClosedByServer
			}
			sent := time.Duration(pong.ServerTimeMicros) * time.Microsecond
			hold := time.Duration(pong.HoldMicros) * time.Microsecond
			if sample := now - sent - hold; sent > 0 && sent <= now && sample >= 0 {
				p.addRTTSample(sample)
			}
		case wire.MessageTypeLeave:
			return errPlayerLeft
		default:
			c.reject("unexpected_type", StatusProtocolError, fmt.Sprintf("unexpected %s message", typ))
			return errClosedByServer
		}
	}
}

// read reads one message into the connection's buffer and checks it is a
// binary message of a known type; its handler's Parse verifies the rest
// before anything looks inside. On a bad message it closes the connection
// with the matching status.
func (c *conn) read() (wire.MessageType, []byte, error) {
	typ, r, err := c.ws.Reader(context.Background())
	if err != nil {
		return 0, nil, c.readErr(err)
	}
	n := 0
	for {
		if n == len(c.readBuf) && n < c.srv.opts.MaxMessageSize+1 {
			// Inputs are a few dozen bytes, so the buffer starts small
			// and grows (once) only for a connection that sends more:
			// a full-size buffer per connection was 4 KB of every
			// player's memory.
			grown := make([]byte, c.srv.opts.MaxMessageSize+1)
			copy(grown, c.readBuf[:n])
			c.readBuf = grown
		}
		if n == len(c.readBuf) {
			// The buffer is one byte over the read limit, so this is
			// unreachable unless the library's limit changes; fail safe.
			c.reject("too_big", StatusTooBig, fmt.Sprintf("message over %d bytes", c.srv.opts.MaxMessageSize))
			return 0, nil, errClosedByServer
		}
		m, err := r.Read(c.readBuf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, c.readErr(err)
		}
	}
	if typ != websocket.MessageBinary {
		c.reject("text", StatusUnsupportedData, "text messages are not part of the protocol; send binary FlatBuffers")
		return 0, nil, errClosedByServer
	}
	c.lastRead.Store(int64(c.srv.now()))
	msg := c.readBuf[:n]
	// The type byte picks the handler; the protocol's Parse functions
	// verify the whole message before any field is read (a Leave's fields
	// never are).
	mt, err := schema.Type(msg)
	if err != nil {
		c.reject("malformed", StatusProtocolError, "malformed message: "+err.Error())
		return 0, nil, errClosedByServer
	}
	return mt, msg, nil
}

// readErr turns a read failure into the error serve logs, closing with
// 1009 when the message was over the limit.
func (c *conn) readErr(err error) error {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		c.reject("too_big", StatusTooBig, fmt.Sprintf("message over %d bytes", c.srv.opts.MaxMessageSize))
		return errClosedByServer
	}
	select {
	case <-c.closed:
		return errClosedByServer
	default:
		return err
	}
}

// allow takes a token from the connection's bucket for a message arriving
// at now: InputRate a second refill it, up to InputBurst.
func (c *conn) allow(now time.Duration) bool {
	o := &c.srv.opts
	c.tokens = min(c.tokens+(now-c.refilled).Seconds()*o.InputRate, float64(o.InputBurst))
	c.refilled = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// ackSample turns the acknowledgement of tick into an RTT sample: the time
// since that snapshot was written, less the time the client held it.
func (c *conn) ackSample(p *player, tick sim.Tick, hold, now time.Duration) {
	if tick == 0 {
		return
	}
	c.sentMu.Lock()
	rec := c.sent[tick%sentRing]
	c.sentMu.Unlock()
	if rec.tick != tick {
		return
	}
	p.mu.Lock()
	fresh := tick > p.ackTick
	p.mu.Unlock()
	if sample := now - rec.at - hold; fresh && sample >= 0 {
		p.addRTTSample(sample)
	}
}

// snapshotSent records when the snapshot of tick went out, for the RTT
// sample its acknowledgement will give.
func (c *conn) snapshotSent(tick sim.Tick, at time.Duration) {
	c.sentMu.Lock()
	c.sent[tick%sentRing] = sentRecord{tick: tick, at: at}
	c.sentMu.Unlock()
}

// reject counts a message refused for reason (a metrics label) and closes
// the connection with code and text.
func (c *conn) reject(reason string, code websocket.StatusCode, text string) {
	c.srv.metrics.rejected.WithLabelValues(reason).Inc()
	c.kick(code, text)
}

// kick ends the connection with code and reason: a Kick message, then the
// WebSocket close handshake, on a goroutine of its own so the caller (often
// the room) never waits. Only the first call counts.
func (c *conn) kick(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode.Store(int32(code))
		c.srv.metrics.kicked(code)
		close(c.closed)
		c.sock.seal() // no snapshot after the goodbye
		started := c.srv.goroutine(func() {
			// The close handshake waits for the client: give the
			// socket back to the netpoller to wait on.
			c.sock.leaveRoomIO()
			if code != StatusNormal {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				c.ws.Write(ctx, websocket.MessageBinary, protocol.AppendKick(nil, &protocol.Kick{Code: uint16(code), Reason: reason}))
				cancel()
			}
			if len(reason) > 120 {
				reason = reason[:120] // a close frame's reason must fit 123 bytes
			}
			c.ws.Close(code, reason)
		})
		if !started {
			c.ws.CloseNow() // the server is gone: no time for goodbyes
		}
	})
}
