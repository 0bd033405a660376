package netcode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

// Errors a Client returns.
var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("netcode: client closed")
	// ErrUnexpectedMessage means the server sent something out of turn.
	ErrUnexpectedMessage = errors.New("netcode: unexpected message")
	// ErrServerSilent means nothing came from the server for DeadAfter.
	ErrServerSilent = errors.New("netcode: nothing heard from the server")
)

// CloseError is why the server ended the connection: the code and reason of
// its Kick message (or of the WebSocket close frame when no Kick came).
type CloseError struct {
	Code   websocket.StatusCode
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("netcode: closed by server: %d %s", int(e.Code), e.Reason)
}

// Options configures Dial. The zero value joins room "lobby" as "player".
type Options struct {
	// Room to join (created on first join). Default "lobby".
	Room string
	// Name is the player's display name. Default "player".
	Name string
	// Token is a join token, for servers that require one.
	Token string
	// ResumeToken, from an earlier Welcome, asks for the same player back.
	ResumeToken string
	// Game and Params choose the game a new room is created with.
	Game   string
	Params map[string]string
	// Predict, when set, is the game's movement for the own entity: the
	// client applies each input at once and reconciles with the server.
	Predict predict.StepFunc
	// PredictFor, when set, is asked for the step function once the
	// Welcome is in, so prediction can follow the room's own rules (its
	// parameters travel in the Welcome). It takes precedence over Predict;
	// an error fails the Dial.
	PredictFor func(w protocol.Welcome) (predict.StepFunc, error)
	// OnSnapshot, when set, is called on the client's reader goroutine for
	// every decoded snapshot. The Snapshot is valid only during the call.
	OnSnapshot func(*Snapshot)
	// InputWindow is the most unacknowledged inputs kept and resent in
	// every frame. Default 32.
	InputWindow int
	// HistoryTicks is how many decoded snapshots the client keeps as
	// baselines; it must cover the server's own history. Default 64.
	HistoryTicks int
	// Reconnect makes the client redial by itself when the connection
	// drops (not when the server refused or closed it on purpose), with
	// exponential backoff and full jitter, presenting its resume token so
	// the server gives back the same player. It gives up after
	// ReconnectWithin (default 30s); only then do Done and Err report.
	Reconnect       bool
	ReconnectWithin time.Duration
	// DeadAfter is how long the server may stay silent before the client
	// gives up on the connection (and, with Reconnect, dials again).
	// Default 5s; negative never.
	DeadAfter time.Duration
	// Poller, when set, reads the connection from the Poller's goroutine
	// instead of a reader goroutine of the client's own: OnSnapshot then
	// runs there. It applies to plain ws:// URLs on Linux without
	// Reconnect; otherwise the client reads for itself as usual.
	Poller *Poller
}

// Snapshot is one decoded tick of the world as this player sees it.
type Snapshot struct {
	Tick sim.Tick
	// Header is the snapshot's header. Its RTT, InputLead and SendDelay are
	// the last the server sent (they ride on every few snapshots only);
	// Header.Timing says whether this snapshot carried them.
	Header delta.Header
	// Entities are sorted by ID, in the game's units (dequantized).
	Entities []sim.EntityState
	// Received is the client time (since Dial) the snapshot arrived.
	Received time.Duration
	// Bytes is the size of the WebSocket message payload.
	Bytes int
}

// Entity returns the entity with id, if the snapshot holds it.
func (s *Snapshot) Entity(id sim.EntityID) (sim.EntityState, bool) {
	lo, hi := 0, len(s.Entities)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case s.Entities[m].ID < id:
			lo = m + 1
		case s.Entities[m].ID > id:
			hi = m
		default:
			return s.Entities[m], true
		}
	}
	return sim.EntityState{}, false
}

// clone returns a copy of s that owns its entities.
func (s *Snapshot) clone() Snapshot {
	c := *s
	c.Entities = append([]sim.EntityState(nil), s.Entities...)
	return c
}

// Stats are a client's counters.
type Stats struct {
	Snapshots       uint64 // decoded
	Bytes           uint64 // snapshot message bytes received, decoded or not
	MissingBaseline uint64 // snapshots skipped: their baseline was not held
	InputsSent      uint64
	FramesSent      uint64
	PingsAnswered   uint64
	Reconnects      uint64 // connections re-established after a drop
	LastCorrection  int64  // size of the last prediction correction (0: exact)
	Corrections     uint64 // snapshots whose own state differed from the prediction
}

// Client is a player's connection to a tickwire server: it sends inputs,
// decodes snapshots against its own ring of baselines, acknowledges them,
// answers pings, estimates the server's clock, and (with Options.Predict)
// predicts and reconciles its own entity. Its reader goroutine starts in
// Dial and ends with the connection; Close ends it.
//
// Methods are safe for concurrent use.
type Client struct {
	url     string
	opts    Options
	origin  time.Time
	ctx     context.Context // cancelled by Close and Drop: ends dials and backoff
	cancel  context.CancelFunc
	done    chan struct{} // closed when the reader goroutine ends
	readBuf []byte        // reader goroutine only
	pong    []byte        // reader goroutine only: the Pong being sent

	mu       sync.Mutex // guards everything below
	link     link       // the connection now; the reader goroutine replaces it on a reconnect
	welcome  protocol.Welcome
	schema   *delta.Schema
	period   time.Duration
	history  *delta.History
	snap     Snapshot     // the newest decoded snapshot (storage reused)
	timing   delta.Header // the last header that carried timing
	newest   sim.Tick
	ackAt    time.Duration // client time the newest snapshot arrived
	clock    timing.ClockEstimator
	lead     timing.LeadController
	pending  []protocol.TickInput // sent, not yet known applied
	next     sim.Tick             // the next input tick to label
	frame    protocol.InputFrame
	out      []byte
	recon    *predict.Reconciler
	stats    Stats
	waiting  chan struct{} // closed on the next snapshot, when someone waits
	kicked   *CloseError
	roster   []protocol.RosterEntry // the newest Roster's; never modified, replaced whole
	err      error
	closed   bool
	viewTime sim.TickTime // claimed by the game; 0 means estimate
}

func newClient(url string, o Options) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		url:     url,
		opts:    o,
		origin:  time.Now(),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		readBuf: make([]byte, 0, 1024),
	}
}

// start sets the client up from the server's Welcome.
func (c *Client) start(w protocol.Welcome) error {
	schema, err := delta.NewSchema(w.Kinds)
	if err != nil {
		return fmt.Errorf("netcode: server declared invalid kinds: %w", err)
	}
	if w.TickRate <= 0 {
		return fmt.Errorf("netcode: server declared tick rate %d", w.TickRate)
	}
	c.welcome = w
	c.schema = schema
	c.period = time.Second / time.Duration(w.TickRate)
	c.history = delta.NewHistory(c.opts.HistoryTicks)
	now := c.now()
	c.clock = timing.NewClockEstimator(w.TickRate)
	c.clock.AddWelcome(w.ServerTick, w.ServerTimeMicros, now)
	c.lead = timing.NewLeadController(w.TickRate)
	step := c.opts.Predict
	if c.opts.PredictFor != nil {
		if step, err = c.opts.PredictFor(w); err != nil {
			return fmt.Errorf("netcode: prediction for room %q: %w", w.Room, err)
		}
	}
	if step != nil {
		c.recon = predict.NewReconciler(step, c.opts.InputWindow*2)
	}
	return nil
}

// now is the client's monotonic clock: time since Dial.
func (c *Client) now() time.Duration { return time.Since(c.origin) }

// Welcome returns the server's Welcome: player and entity ids, tick rate,
// the declared entity kinds and the resume token.
// After a reconnect it is the new connection's.
func (c *Client) Welcome() protocol.Welcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome
}

// Roster returns the room's seated players as the server last listed them
// (who controls which entity, under which name, and whether they are
// connected), in the order they joined. The server sends it before the
// first snapshot and whenever it changes, so it names every player entity
// of any snapshot decoded after it. The slice is the caller's.
func (c *Client) Roster() []protocol.RosterEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.roster)
}

// Schema returns the codec for the room's entity kinds.
func (c *Client) Schema() *delta.Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.schema
}

// Update is called by the game loop as often as it runs (every frame, or at
// least at the tick rate) with the player's current input. It labels the
// input with every input tick that has come due since the last call (the
// client runs its input ticks ahead of the server by about RTT/2, so each
// arrives just before the tick that needs it), sends them with every input
// not yet acknowledged in one frame, and predicts the own entity. It returns
// how many ticks it labelled (usually 0 or 1).
func (c *Client) Update(in sim.Input) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stateErr(); err != nil {
		return 0, err
	}
	now := c.now()
	n := 0
	for {
		t, ok := c.lead.NextInputTick(now, c.clock.ServerTime(now))
		if !ok {
			break
		}
		c.labelLocked(t, in)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, c.flushLocked(now)
}

// SendInputs sends inputs labelled with explicit ticks (consecutive,
// ascending), bypassing the client's input clock. Tests and scripted bots
// use it; a game uses Update.
func (c *Client) SendInputs(inputs []protocol.TickInput) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stateErr(); err != nil {
		return err
	}
	for _, in := range inputs {
		c.labelLocked(in.Tick, in.Input)
	}
	return c.flushLocked(c.now())
}

// labelLocked records in as the input for tick t and predicts with it.
func (c *Client) labelLocked(t sim.Tick, in sim.Input) {
	if t < c.next {
		return // never relabel a tick already sent
	}
	c.next = t + 1
	c.pending = append(c.pending, protocol.TickInput{Tick: t, Input: in})
	if over := len(c.pending) - c.opts.InputWindow; over > 0 {
		c.pending = append(c.pending[:0], c.pending[over:]...)
	}
	if c.recon != nil {
		c.recon.Predict(t, in)
	}
	c.stats.InputsSent++
}

// flushLocked sends one frame with every pending input and the ack.
func (c *Client) flushLocked(now time.Duration) error {
	c.frame.AckTick = c.newest
	c.frame.AckDelayMicros = 0
	if c.newest != 0 {
		c.frame.AckDelayMicros = uint32((now - c.ackAt).Microseconds())
	}
	c.frame.ViewTime = c.viewTimeLocked()
	c.frame.Inputs = append(c.frame.Inputs[:0], c.pending...)
	c.out = protocol.AppendInputFrame(c.out[:0], &c.frame)
	c.stats.FramesSent++
	// A write under c.mu: the reader goroutine does not write under it,
	// so this cannot deadlock, and it keeps frames in label order. No
	// deadline: a cancellable context costs a timer per frame (measured:
	// a fifth of a bot's CPU), and a write that never completes means a
	// dead path, which the silence watchdog (DeadAfter) or Close ends by
	// closing the connection under it.
	return c.link.write(context.Background(), c.out)
}

// SetViewTime tells the client which server time the game rendered the
// other entities at (its interpolation time); it goes out with the next
// input frame as the lag-compensation claim. Without it the client claims
// the tick of its newest snapshot, which is what a client that draws each
// snapshot as it arrives is showing.
func (c *Client) SetViewTime(t sim.TickTime) {
	c.mu.Lock()
	c.viewTime = t
	c.mu.Unlock()
}

func (c *Client) viewTimeLocked() sim.TickTime {
	if c.viewTime != 0 {
		return c.viewTime
	}
	return c.newest.Time()
}

// reconcile corrects the predicted own entity from snapshot s. The
// snapshot's state includes every tick through s.Tick, whether the server
// stepped it with our input or repeated an older one because ours was late
// (it then discards ours), so the inputs still worth sending and replaying
// are the ones after s.Tick.
func (c *Client) reconcile(s *Snapshot) {
	for i := len(c.pending) - 1; i >= 0; i-- {
		if c.pending[i].Tick <= s.Tick {
			c.pending = append(c.pending[:0], c.pending[i+1:]...)
			break
		}
	}
	if c.recon == nil {
		return
	}
	own, ok := s.Entity(c.welcome.EntityID)
	if !ok {
		return
	}
	_, corr := c.recon.Reconcile(own, s.Tick)
	c.stats.LastCorrection = corr
	if corr != 0 {
		c.stats.Corrections++
	}
}

// Predicted returns the own entity as predicted through the newest input,
// and whether there is a prediction (Options.Predict set and a snapshot
// seen).
func (c *Client) Predicted() (sim.EntityState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.recon == nil {
		return sim.EntityState{}, false
	}
	return c.recon.Current()
}

// Latest returns a copy of the newest decoded snapshot, if any.
func (c *Client) Latest() (Snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.newest == 0 {
		return Snapshot{}, false
	}
	return c.snap.clone(), true
}

// WaitSnapshot waits for a snapshot newer than after and returns a copy.
func (c *Client) WaitSnapshot(ctx context.Context, after sim.Tick) (Snapshot, error) {
	for {
		c.mu.Lock()
		if c.newest > after {
			s := c.snap.clone()
			c.mu.Unlock()
			return s, nil
		}
		if err := c.stateErr(); err != nil {
			c.mu.Unlock()
			return Snapshot{}, err
		}
		if c.waiting == nil {
			c.waiting = make(chan struct{})
		}
		w := c.waiting
		c.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return Snapshot{}, ctx.Err()
		}
	}
}

// ServerTime is the client's estimate of the server's current time.
func (c *Client) ServerTime() sim.TickTime {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock.ServerTime(c.now())
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (a *CloseError when the server said),
// or nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) stateErr() error {
	if c.closed {
		return ErrClosed
	}
	return c.err
}

// Drop ends the connection abruptly, with no goodbye and no close
// handshake, as a network failure would: the server holds the player's seat
// for its resume grace period, and a Dial with Welcome().ResumeToken gets
// the same player back.
func (c *Client) Drop() {
	c.mu.Lock()
	c.closed = true
	l := c.link
	c.mu.Unlock()
	c.cancel()
	l.closeNow()
	<-c.done
}

// Close leaves the room and closes the connection with status 1000.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	l := c.link
	c.mu.Unlock()
	c.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	l.write(ctx, protocol.AppendLeave(nil, &protocol.Leave{Reason: "bye"}))
	cancel()
	err := l.close(websocket.StatusNormalClosure, "bye")
	select {
	case <-c.done:
	case <-time.After(closeWait):
		l.closeNow() // the server never answered the close
		<-c.done
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, errFrameConnClosed) {
		// The server, seeing our Leave, closed from its side at the same
		// moment: the goodbye happened.
		return nil
	}
	return err
}
