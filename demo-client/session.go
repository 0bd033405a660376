package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// Close codes the server ends connections with (server/status.go; the
// client may not import the server, and a test checks they agree).
const (
	codeNormal          websocket.StatusCode = 1000
	codeGoingAway       websocket.StatusCode = 1001
	codeTryAgainLater   websocket.StatusCode = 1013
	codeVersionMismatch websocket.StatusCode = 4000
	codeRoomFull        websocket.StatusCode = 4001
	codeJoinRefused     websocket.StatusCode = 4002
	codeRoomClosed      websocket.StatusCode = 4003
	codeSlowConsumer    websocket.StatusCode = 4005
	codeIdle            websocket.StatusCode = 4006
	codeReplaced        websocket.StatusCode = 4007
	codeUnauthorized    websocket.StatusCode = 4008
)

// errNotArena means the room runs a game whose parameters the arena does
// not understand: this client can not predict (or draw) it.
var errNotArena = errors.New("the room's game is not the arena")

// Reconnect backoff: the first retry after about backoffBase, doubling up to
// backoffMax, each delay drawn between half and all of its step so that many
// clients dropped at once do not return in lockstep.
const (
	backoffBase = 500 * time.Millisecond
	backoffMax  = 15 * time.Second
	dialTimeout = 10 * time.Second
	// stableAfter is how long a connection must have lasted for the next
	// failure to start the backoff from the beginning again.
	stableAfter = 10 * time.Second
)

// backoffDelay is the wait before reconnect attempt n (1-based).
func backoffDelay(n int, rnd func() float64) time.Duration {
	d := backoffBase
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// connPhase is where a session is in its life.
type connPhase int

const (
	phaseConnecting connPhase = iota // dialing
	phaseConnected                   // joined, snapshots flowing
	phaseRetrying                    // lost or refused; waiting to dial again
	phaseStopped                     // gave up: the player must act
)

// sessionStatus is what the game draws about the connection.
type sessionStatus struct {
	Phase   connPhase
	Message string // why the last connection ended or was refused, for people
	Attempt int    // reconnect attempts since the last stable connection
	RetryAt time.Time
	Client  *netcode.Client // nil unless connected
	Buffer  *snapshotBuffer // the current connection's snapshots
	Layout  *layout         // of the current (or last) room
	Own     sim.EntityID
	Room    string
}

// session keeps a player connected to one room: it dials, and when the
// connection ends it says why and dials again with backoff (resuming the
// same player), until Stop or a refusal the player must act on.
type session struct {
	url, room, name string
	token           string               // a join token, for servers that require one
	clock           func() time.Duration // the snapshot buffers' clock
	cancel          context.CancelFunc
	done            chan struct{}

	mu     sync.Mutex // guards status
	status sessionStatus
}

func startSession(url, room, name, token string, clock func() time.Duration) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		url: url, room: room, name: name, token: token,
		clock: clock, cancel: cancel,
		done:   make(chan struct{}),
		status: sessionStatus{Phase: phaseConnecting, Room: room},
	}
	go s.run(ctx)
	return s
}

// Status returns the current connection status.
func (s *session) Status() sessionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Stop ends the session and its connection and waits for its goroutine.
func (s *session) Stop() {
	s.cancel()
	<-s.done
}

func (s *session) setStatus(f func(st *sessionStatus)) {
	s.mu.Lock()
	f(&s.status)
	s.mu.Unlock()
}

func (s *session) run(ctx context.Context) {
	defer close(s.done)
	var resume string
	attempt := 0
	for {
		s.setStatus(func(st *sessionStatus) { st.Phase, st.Client = phaseConnecting, nil })
		buf := newSnapshotBuffer()
		c, lay, err := s.dial(ctx, resume, buf)
		if ctx.Err() != nil {
			if c != nil {
				c.Close()
			}
			return
		}
		var ended error
		if err == nil {
			resume = c.Welcome().ResumeToken
			connectedAt := time.Now()
			w := c.Welcome()
			s.setStatus(func(st *sessionStatus) {
				st.Phase, st.Client, st.Buffer, st.Message = phaseConnected, c, buf, ""
				st.Layout, st.Own, st.Room = lay, w.EntityID, w.Room
			})
			select {
			case <-ctx.Done():
				c.Close()
				return
			case <-c.Done():
				ended = c.Err()
			}
			if time.Since(connectedAt) > stableAfter {
				attempt = 0
			}
		} else {
			ended = err
		}
		retry, msg := describeEnd(ended)
		if !retry {
			s.setStatus(func(st *sessionStatus) { st.Phase, st.Client, st.Message = phaseStopped, nil, msg })
			return
		}
		attempt++
		wait := backoffDelay(attempt, rand.Float64)
		s.setStatus(func(st *sessionStatus) {
			st.Phase, st.Client, st.Message = phaseRetrying, nil, msg
			st.Attempt, st.RetryAt = attempt, time.Now().Add(wait)
		})
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// dial connects and joins, predicting the own player with the arena's
// movement under the room's parameters.
func (s *session) dial(ctx context.Context, resume string, buf *snapshotBuffer) (*netcode.Client, *layout, error) {
	// The room's parameters arrive in the Welcome, after the reader
	// goroutine (which reconciles) has started: until they are known the
	// defaults predict, and the first reconcile corrects any difference.
	var params atomic.Pointer[arena.Params]
	if p, err := arena.ParseParams(nil); err == nil {
		params.Store(&p)
	}
	step := func(e sim.EntityState, in sim.Input) sim.EntityState {
		if p := params.Load(); p != nil {
			return p.Move(e, in)
		}
		return e
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := netcode.Dial(ctx, s.url, &netcode.Options{
		Room:        s.room,
		Name:        s.name,
		Token:       s.token,
		ResumeToken: resume,
		Predict:     step,
		OnSnapshot: func(snap *netcode.Snapshot) {
			buf.Add(snap.Tick, snap.Header, snap.Entities, s.clock())
		},
	})
	if err != nil {
		return nil, nil, err
	}
	w := c.Welcome()
	p, err := arena.ParseParams(w.Params)
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("%w: %v", errNotArena, err)
	}
	p.TickRate = w.TickRate
	params.Store(&p)
	lay := newLayout(w.Kinds, p)
	buf.configure(w.TickRate, lay, w.EntityID)
	return c, lay, nil
}

// describeEnd turns why a connection ended (or never began) into words for
// the player, and says whether trying again can help.
func describeEnd(err error) (retry bool, msg string) {
	var ce *netcode.CloseError
	if errors.As(err, &ce) {
		reason := ce.Reason
		if reason == "" {
			reason = "no reason given"
		}
		switch ce.Code {
		case codeVersionMismatch:
			return false, "The server speaks another protocol version (" + reason + "). Update the client."
		case codeReplaced:
			return false, "You are playing in another window (" + reason + ")."
		case codeJoinRefused:
			return false, "The server refused to seat you: " + reason + "."
		case codeUnauthorized:
			return false, "This server wants a valid join token (" + reason + "); pass one with -token or ?token=."
		case codeTryAgainLater:
			return true, "The server is at capacity (" + reason + ")."
		case codeRoomFull:
			return true, "The room is full; waiting for a seat."
		case codeGoingAway:
			return true, "The server went away (" + reason + ")."
		case codeRoomClosed:
			return true, "The room closed (" + reason + ")."
		case codeSlowConsumer:
			return true, "Too slow to keep up with the server (" + reason + ")."
		case codeIdle:
			return true, "Disconnected for inactivity (" + reason + ")."
		case codeNormal:
			return true, "The server closed the connection (" + reason + ")."
		}
		return true, fmt.Sprintf("The server closed the connection: %s (code %d).", reason, int(ce.Code))
	}
	switch {
	case err == nil:
		return true, "The connection ended."
	case errors.Is(err, errNotArena):
		return false, "This client plays the arena only: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return true, "The server did not answer in time."
	}
	return true, "Cannot reach the server: " + err.Error()
}
