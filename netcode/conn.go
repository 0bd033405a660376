package netcode

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/schema"
	"github.com/tickwire/tickwire/schema/wire"
)

// maxServerMessage bounds what the client will read from a server: a full
// snapshot of a large room fits many times over.
const maxServerMessage = 4 << 20

// Dial connects to a tickwire server's WebSocket URL (ws:// or wss://, path
// /ws), joins a room and waits for the Welcome. A refused join returns a
// *CloseError with the server's code and reason.
func Dial(ctx context.Context, url string, opts *Options) (*Client, error) {
	c := newClient(url, opts.withDefaults())
	l, w, err := c.connect(ctx, c.opts.ResumeToken)
	if err != nil {
		c.cancel()
		return nil, err
	}
	if err := c.start(w); err != nil {
		c.cancel()
		l.abort(websocket.StatusProtocolError, err.Error())
		return nil, err
	}
	c.link = l
	if p := c.opts.Poller; p != nil && l.fc != nil && !c.opts.Reconnect && p.add(c, l) {
		return c, nil
	}
	go c.run(l)
	return c, nil
}

// connect dials, sends the Join (with resume, if any) and waits for the
// server's answer.
func (c *Client) connect(ctx context.Context, resume string) (link, protocol.Welcome, error) {
	dialOpts, fc := dialOptions(c.url)
	ws, _, err := websocket.Dial(ctx, c.url, dialOpts)
	if err != nil {
		return link{}, protocol.Welcome{}, err
	}
	ws.SetReadLimit(maxServerMessage)
	l := link{ws: ws, fc: fc}
	o := &c.opts
	join := protocol.Join{
		ProtocolVersion: protocol.ProtocolVersion,
		Room:            o.Room,
		PlayerName:      o.Name,
		Token:           o.Token,
		ResumeToken:     resume,
		Game:            o.Game,
		Params:          o.Params,
	}
	if err := ws.Write(ctx, websocket.MessageBinary, protocol.AppendJoin(nil, &join)); err != nil {
		ws.CloseNow()
		return link{}, protocol.Welcome{}, err
	}
	w, err := c.readWelcome(ctx, l)
	if err != nil {
		ws.CloseNow()
		return link{}, protocol.Welcome{}, err
	}
	return l, w, nil
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Room == "" {
		r.Room = "lobby"
	}
	if r.Name == "" {
		r.Name = "player"
	}
	if r.InputWindow <= 0 {
		r.InputWindow = 32
	}
	if r.HistoryTicks <= 0 {
		r.HistoryTicks = 64
	}
	if r.ReconnectWithin <= 0 {
		r.ReconnectWithin = 30 * time.Second
	}
	if r.DeadAfter == 0 {
		r.DeadAfter = 5 * time.Second
	}
	return r
}

// readWelcome waits for the server's answer to the Join.
func (c *Client) readWelcome(ctx context.Context, l link) (protocol.Welcome, error) {
	for {
		mt, msg, err := c.readMessage(ctx, l)
		if err != nil {
			return protocol.Welcome{}, err
		}
		switch mt {
		case wire.MessageTypeWelcome:
			return protocol.ParseWelcome(msg)
		case wire.MessageTypeKick:
			k, err := protocol.ParseKick(msg)
			if err != nil {
				return protocol.Welcome{}, err
			}
			return protocol.Welcome{}, &CloseError{Code: websocket.StatusCode(k.Code), Reason: k.Reason}
		case wire.MessageTypePing:
			// Answered once joined; a ping this early is harmless.
		default:
			return protocol.Welcome{}, fmt.Errorf("%w: %s before Welcome", ErrUnexpectedMessage, mt)
		}
	}
}

// readMessage reads one message of a known type.
func (c *Client) readMessage(ctx context.Context, l link) (wire.MessageType, []byte, error) {
	typ, msg, err := l.read(ctx, &c.readBuf)
	if err == errWouldBlock {
		return 0, nil, err // a Poller's: nothing more has arrived yet
	}
	if err != nil {
		return 0, nil, c.closeErr(err)
	}
	if typ != websocket.MessageBinary {
		return 0, nil, fmt.Errorf("%w: text message", ErrUnexpectedMessage)
	}
	// Parse verifies the whole message before reading a field; the type
	// byte is all dispatch needs.
	mt, err := schema.Type(msg)
	if err != nil {
		return 0, nil, err
	}
	return mt, msg, nil
}

// closeErr prefers the server's stated reason (a Kick, or the close frame)
// over the transport error that followed it.
func (c *Client) closeErr(err error) error {
	c.mu.Lock()
	kicked := c.kicked
	c.mu.Unlock()
	if kicked != nil {
		return kicked
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Reason}
	}
	return err
}

// run is the reader goroutine: it reads the connection until it ends and,
// with Options.Reconnect, redials after a drop; then it records why the
// client is done and wakes anyone waiting.
func (c *Client) run(l link) {
	defer close(c.done)
	for {
		err := c.readLoop(l)
		// Whatever ended the loop, the socket is done with.
		l.closeNow()
		if !c.shouldReconnect(err) {
			c.fail(err)
			return
		}
		l, err = c.reconnect()
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// readLoop handles every message on ws until it fails. A watchdog ends the
// connection when the server has been silent for Options.DeadAfter: a
// playing server sends snapshots every tick and pings every second, so
// silence means a dead path (a black hole sends no reset, and TCP alone
// would wait minutes to notice).
func (c *Client) readLoop(l link) error {
	var lastHeard atomic.Int64
	var silent atomic.Bool
	lastHeard.Store(int64(c.now()))
	if c.opts.DeadAfter > 0 {
		stop := make(chan struct{})
		var watchdog sync.WaitGroup
		// Stop the watchdog and wait for it, so no goroutine of a
		// connection outlives the client's Done.
		defer watchdog.Wait()
		defer close(stop)
		watchdog.Add(1)
		go func() {
			defer watchdog.Done()
			t := time.NewTicker(c.opts.DeadAfter / 4)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if c.now()-time.Duration(lastHeard.Load()) > c.opts.DeadAfter {
						silent.Store(true)
						l.closeNow()
						return
					}
				}
			}
		}()
	}
	for {
		// Background, not c.ctx: a cancellable context makes the library
		// arm a timer per message; Close and Drop end reads by closing
		// the connection instead.
		mt, msg, err := c.readMessage(context.Background(), l)
		if err != nil {
			if silent.Load() {
				return fmt.Errorf("%w for %s", ErrServerSilent, c.opts.DeadAfter)
			}
			return err
		}
		now := c.now()
		lastHeard.Store(int64(now))
		if err := c.handle(l, mt, msg, now); err != nil {
			return err
		}
	}
}

// handle acts on one message from the server, received at now; an error
// ends the connection.
func (c *Client) handle(l link, mt wire.MessageType, msg []byte, now time.Duration) error {
	switch mt {
	case wire.MessageTypeSnapshot:
		if err := c.handleSnapshot(msg, now); err != nil {
			l.abort(websocket.StatusProtocolError, "undecodable snapshot")
			return err
		}
	case wire.MessageTypePing:
		p, err := protocol.ParsePing(msg)
		if err != nil {
			return err
		}
		c.answerPing(l, p, now)
	case wire.MessageTypeKick:
		k, err := protocol.ParseKick(msg)
		if err == nil {
			c.mu.Lock()
			c.kicked = &CloseError{Code: websocket.StatusCode(k.Code), Reason: k.Reason}
			c.mu.Unlock()
		}
	case wire.MessageTypeRoster:
		r, err := protocol.ParseRoster(msg)
		if err != nil {
			l.abort(websocket.StatusProtocolError, "undecodable roster")
			return err
		}
		c.mu.Lock()
		c.roster = r.Players
		c.mu.Unlock()
	default:
		l.abort(websocket.StatusProtocolError, "unexpected message")
		return fmt.Errorf("%w: %s", ErrUnexpectedMessage, mt)
	}
	return nil
}

// terminal reports whether err says the server ended the connection on
// purpose, so that dialling again would only be refused again (or would
// fight another connection of the same player).
func terminal(err error) bool {
	var ce *CloseError
	if !errors.As(err, &ce) {
		return false // a network failure: worth another try
	}
	switch ce.Code {
	case websocket.StatusGoingAway, websocket.StatusInternalError, websocket.StatusTryAgainLater,
		statusSlowConsumer, statusIdle:
		return false
	}
	return true
}

// Close codes of the server's that are worth a reconnect (server/status.go
// names them all; netcode does not import the server).
const (
	statusSlowConsumer websocket.StatusCode = 4005
	statusIdle         websocket.StatusCode = 4006
)

func (c *Client) shouldReconnect(err error) bool {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	return c.opts.Reconnect && !closed && !terminal(err)
}

// reconnect redials with exponential backoff and full jitter (so a server
// restart is not met by every client at the same instant) until it is
// back, the server refuses, Close is called, or ReconnectWithin passes.
func (c *Client) reconnect() (link, error) {
	c.mu.Lock()
	resume := c.welcome.ResumeToken
	c.mu.Unlock()
	giveUp := time.Now().Add(c.opts.ReconnectWithin)
	backoff := 100 * time.Millisecond
	for {
		wait := time.Duration(rand.Int64N(int64(backoff) + 1))
		select {
		case <-time.After(wait):
		case <-c.ctx.Done():
			return link{}, ErrClosed
		}
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		l, w, err := c.connect(ctx, resume)
		cancel()
		if err == nil {
			if err := c.resumed(l, w); err != nil {
				l.abort(websocket.StatusProtocolError, err.Error())
				return link{}, err
			}
			return l, nil
		}
		if terminal(err) || c.ctx.Err() != nil || time.Now().After(giveUp) {
			return link{}, err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// resumed switches the client to a new connection. The server starts it
// with a full snapshot, so the old baselines go; inputs not yet
// acknowledged stay and are sent again.
func (c *Client) resumed(l link, w protocol.Welcome) error {
	schema, err := delta.NewSchema(w.Kinds)
	if err != nil {
		return fmt.Errorf("netcode: server declared invalid kinds: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.link = l
	c.kicked = nil
	c.welcome = w
	c.schema = schema
	c.history = delta.NewHistory(c.opts.HistoryTicks)
	c.newest = 0
	c.clock.AddWelcome(w.ServerTick, w.ServerTimeMicros, c.now())
	c.stats.Reconnects++
	return nil
}

// answerPing echoes a Ping at once, from the reader goroutine.
func (c *Client) answerPing(l link, p protocol.Ping, received time.Duration) {
	hold := c.now() - received
	c.mu.Lock()
	c.clock.AddPing(p.ServerTimeMicros, received)
	c.mu.Unlock()
	c.pong = protocol.AppendPong(c.pong[:0], &protocol.Pong{ID: p.ID, ServerTimeMicros: p.ServerTimeMicros, HoldMicros: uint32(hold.Microseconds())})
	if err := l.write(context.Background(), c.pong); err == nil {
		c.mu.Lock()
		c.stats.PingsAnswered++
		c.mu.Unlock()
	}
}

// handleSnapshot decodes one snapshot against the baseline it names. A
// snapshot whose baseline the client no longer holds is skipped: the client
// keeps acknowledging what it has, so the server falls back to a baseline it
// does hold, or a full snapshot. Only undecodable bytes are an error.
func (c *Client) handleSnapshot(msg []byte, now time.Duration) error {
	tick, body, err := protocol.ParseSnapshot(msg)
	if err != nil {
		return err
	}
	h, entities, err := delta.ParseHeader(tick, body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Bytes += uint64(len(msg))
	if tick <= c.newest {
		return nil // not newer than what we have; TCP keeps order, so a server bug
	}
	var base *delta.Frame
	if h.Baseline != 0 {
		f, ok := c.history.Get(h.Baseline)
		if !ok {
			c.stats.MissingBaseline++
			return nil
		}
		base = f
	}
	frame := c.history.Next(tick)
	if err := c.schema.DecodeDelta(frame, base, tick, entities); err != nil {
		c.history.Drop(tick)
		return fmt.Errorf("netcode: snapshot %d: %w", tick, err)
	}
	c.newest = tick
	c.ackAt = now
	c.stats.Snapshots++
	if h.Timing {
		c.timing = h
		c.clock.SetRTT(h.RTT, now)
		c.clock.AddSnapshot(tick, h.SendDelay, now)
		c.lead.Feedback(h.InputLead, h.RTT, now)
	} else {
		// Timing rides on every few snapshots only; show the last known.
		h.RTT, h.InputLead, h.SendDelay = c.timing.RTT, c.timing.InputLead, c.timing.SendDelay
	}

	s := &c.snap
	s.Tick, s.Header, s.Received, s.Bytes = tick, h, now, len(msg)
	s.Entities = slices.Grow(s.Entities[:0], len(frame.Entities))[:len(frame.Entities)]
	for i := range frame.Entities {
		c.schema.DequantizeInto(&s.Entities[i], &frame.Entities[i])
	}
	c.reconcile(s)
	if c.opts.OnSnapshot != nil {
		c.opts.OnSnapshot(s)
	}
	if c.waiting != nil {
		close(c.waiting)
		c.waiting = nil
	}
	return nil
}

// fail records the error that ended the connection.
func (c *Client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		if c.kicked != nil {
			err = c.kicked
		}
		c.err = err
	}
	if c.waiting != nil {
		close(c.waiting)
		c.waiting = nil
	}
}
