package server

// Agones life cycle. On Agones every tickwire process is one GameServer,
// and the SDK server (a sidecar in the same pod) is how the process tells
// Agones what it is doing. tickwire speaks the sidecar's REST interface with
// plain net/http: the Agones Go SDK is gRPC and a heavy dependency for five
// small calls.
//
//   - Ready once Serve has a listener, retried with backoff because the
//     sidecar may start after the game server.
//   - Health every AgonesOptions.HealthInterval, but only while the server's
//     own janitor loop keeps beating: a wedged process stops reporting and
//     Agones replaces it.
//   - Labels and Counters saying how many rooms and seats are open, so a
//     GameServerAllocation can pick a process with room for one more
//     player (see deploy/agones/). Sent when they change, not on a timer.
//   - Ready again when an Allocated process has sat empty for IdleReady, so
//     the fleet sees it as spare and can scale it down.
//   - Shutdown once Server.Shutdown has drained the rooms (every player told
//     1001), so Agones deletes the pod only after the goodbyes.
//
// Every call has a timeout and every failure is logged and retried; nothing
// here can stop the server from serving its players.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AgonesOptions configures how a Server reports to Agones (Options.Agones).
// The zero value works inside an Agones pod.
type AgonesOptions struct {
	// SDKURL is the base URL of the SDK server's REST interface.
	// Default "http://localhost:$AGONES_SDK_HTTP_PORT", which Agones sets
	// in the game server's environment (port 9358 when it is unset).
	SDKURL string
	// HealthInterval is how often the process reports itself healthy.
	// Keep it well under the GameServer's health.periodSeconds. Default 2s.
	HealthInterval time.Duration
	// SyncInterval is how often the room and seat counts are looked at;
	// they are sent to Agones only when they changed. Default 500ms.
	SyncInterval time.Duration
	// IdleReady is how long an Allocated process may sit without rooms or
	// players before it marks itself Ready again, so the fleet counts it as
	// spare and may scale it down. Default 1m; negative never.
	IdleReady time.Duration
	// RequestTimeout bounds every call to the SDK server. Default 2s.
	RequestTimeout time.Duration
}

func (o *AgonesOptions) withDefaults() AgonesOptions {
	r := *o
	if r.SDKURL == "" {
		port := os.Getenv("AGONES_SDK_HTTP_PORT")
		if port == "" {
			port = "9358"
		}
		r.SDKURL = "http://localhost:" + port
	}
	r.SDKURL = strings.TrimRight(r.SDKURL, "/")
	// A ticker panics on a period <= 0: negatives mean the default too.
	positiveOr(&r.HealthInterval, 2*time.Second)
	positiveOr(&r.SyncInterval, 500*time.Millisecond)
	positiveOr(&r.RequestTimeout, 2*time.Second)
	setDefault(&r.IdleReady, time.Minute)
	return r
}

func positiveOr(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// What tickwire publishes on its GameServer. Labels set through the SDK get
// the prefix "agones.dev/sdk-", so selectors match e.g.
// "agones.dev/sdk-tickwire-accepting". The Counters are updated only when
// the GameServer declares them (spec.counters); count and capacity are both
// set by the process, so capacity minus count is the free seats.
const (
	AgonesLabelRooms     = "tickwire-rooms"      // open rooms
	AgonesLabelPlayers   = "tickwire-players"    // seats taken or held
	AgonesLabelFreeSeats = "tickwire-free-seats" // seats a new player could get
	AgonesLabelAccepting = "tickwire-accepting"  // "true" while free seats > 0 and not draining
	AgonesCounterRooms   = "rooms"               // count: rooms; capacity: MaxRooms
	AgonesCounterPlayers = "players"             // count: seats taken or held; capacity: count + free seats
)

// occupancy is what the process tells Agones about its load.
type occupancy struct {
	rooms, roomCapacity int
	players, freeSeats  int
	accepting           bool
}

// occupancy counts rooms and seats without asking any room goroutine:
// cheap enough to run every SyncInterval however many rooms there are.
// Free seats are the empty seats of open public rooms plus the seats of rooms the
// process may still open, bounded by its connection limit; a draining
// process has none.
func (s *Server) occupancy() occupancy {
	rooms := s.rooms.list()
	o := occupancy{rooms: len(rooms), roomCapacity: s.opts.MaxRooms}
	free := 0
	for _, r := range rooms {
		taken := r.seatsHint()
		o.players += taken
		if !r.private { // a private room's seats are not for strangers
			free += max(r.maxPlayers-taken, 0)
		}
	}
	free += max(s.opts.MaxRooms-len(rooms), 0) * s.opts.MaxPlayers
	o.freeSeats = min(free, max(s.opts.MaxConns-o.players, 0))
	if s.isClosing() {
		o.freeSeats = 0
		o.roomCapacity = o.rooms
	}
	o.accepting = o.freeSeats > 0
	return o
}

// agonesSDK runs the Agones life cycle of one Server. Its loop goroutine
// is started by Serve (start) and stopped by Shutdown or Close (finish),
// which then reports Shutdown.
type agonesSDK struct {
	srv    *Server
	opts   AgonesOptions
	log    *slog.Logger
	client *http.Client
	stale  time.Duration // janitor silence after which the process counts as wedged

	ctx        context.Context // canceled by finish: ends the loop
	cancel     context.CancelFunc
	startOnce  sync.Once
	finishOnce sync.Once
	mu         sync.Mutex // guards started against a racing finish
	started    bool
	done       chan struct{} // closed when the loop has returned

	// alive reports whether the process is fit to report Health; tests
	// replace it before Serve.
	alive func() bool

	// Owned by the loop goroutine (and by finish once it has returned).
	ready      bool // Ready went through
	published  occupancy
	dirty      bool // published is not known to be what Agones holds
	counterOff map[string]bool
	healthy    bool   // the last Health report went through
	wedged     bool   // the last look found the process wedged
	syncFailed bool   // the last publish failed
	state      string // the GameServer state last read while idle
	emptySince time.Time
}

func newAgonesSDK(s *Server, o *AgonesOptions) *agonesSDK {
	if o == nil {
		return nil
	}
	opts := o.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	a := &agonesSDK{
		srv:  s,
		opts: opts,
		log:  s.log.With("component", "agones"),
		// A transport of its own, so finish can drop its idle connections
		// without touching anybody else's.
		client:     &http.Client{Transport: &http.Transport{MaxIdleConns: 2, IdleConnTimeout: time.Minute}},
		stale:      3*s.janitorPeriod() + opts.HealthInterval,
		ctx:        ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
		dirty:      true,
		counterOff: map[string]bool{},
		healthy:    true,
	}
	a.alive = a.janitorBeating
	return a
}

// janitorBeating reports whether the server's janitor swept recently. The
// janitor takes the directory lock and walks every connection, so a
// process whose scheduler, directory or connection table is stuck stops
// beating. While draining the janitor has stopped on purpose.
func (a *agonesSDK) janitorBeating() bool {
	if a.srv.isClosing() {
		return true
	}
	return a.srv.now()-time.Duration(a.srv.heartbeat.Load()) <= a.stale
}

// start begins the life cycle: Serve calls it once it has a listener.
func (a *agonesSDK) start() {
	if a == nil {
		return
	}
	a.startOnce.Do(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.ctx.Err() != nil { // finish came first
			return
		}
		a.started = true
		go a.run()
	})
}

// finish stops the loop and reports Shutdown, trying for a bounded time.
// Shutdown and Close call it once every room and connection is gone.
func (a *agonesSDK) finish() {
	if a == nil {
		return
	}
	a.finishOnce.Do(func() {
		a.mu.Lock()
		a.cancel()
		started := a.started
		a.mu.Unlock()
		if started {
			<-a.done
		}
		defer a.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 2*a.opts.RequestTimeout+time.Second)
		defer cancel()
		if a.ready {
			// The rooms are gone: say so (no free seats) before the end.
			a.sync(ctx)
		}
		if attempts, err := a.retry(ctx, "/shutdown"); err != nil {
			a.log.Error("agones: could not report Shutdown; Agones will find out when the pod goes", "url", a.opts.SDKURL, "attempts", attempts, "err", err)
			return
		}
		a.log.Info("agones: reported Shutdown")
	})
}

// run is the loop: Ready, then Health, counts and the idle check until
// finish.
func (a *agonesSDK) run() {
	defer close(a.done)
	if !a.becomeReady() {
		return
	}
	a.ready = true
	health := time.NewTicker(a.opts.HealthInterval)
	defer health.Stop()
	counts := time.NewTicker(a.opts.SyncInterval)
	defer counts.Stop()
	draining := a.srv.shutdown
	a.sync(a.ctx)
	a.health()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-draining:
			// Take no more players: publish zero free seats now, not at
			// the next tick. Health goes on through the drain.
			draining = nil
			a.sync(a.ctx)
		case <-counts.C:
			a.sync(a.ctx)
		case <-health.C:
			a.health()
			a.idleCheck()
		}
	}
}

// becomeReady reports Ready, retrying with backoff until the sidecar
// answers; false if the server began stopping first.
func (a *agonesSDK) becomeReady() bool {
	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if a.ctx.Err() != nil || a.srv.isClosing() {
			return false
		}
		err := a.call(a.ctx, http.MethodPost, "/ready", struct{}{}, nil)
		if err == nil {
			a.log.Info("agones: reported Ready", "url", a.opts.SDKURL, "attempts", attempt)
			return true
		}
		a.log.Warn("agones: SDK server not answering yet; retrying Ready", "url", a.opts.SDKURL, "attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-time.After(delay):
		case <-a.ctx.Done():
			return false
		case <-a.srv.shutdown:
			return false
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// health reports Health if the process is alive, logging only changes.
func (a *agonesSDK) health() {
	if !a.alive() {
		if !a.wedged {
			a.log.Error("agones: the server's own loop has stopped; withholding Health so Agones replaces this process", "silent_for_more_than", a.stale)
		}
		a.wedged = true
		return
	}
	if a.wedged {
		a.log.Warn("agones: the server's loop is beating again; reporting Health")
		a.wedged = false
	}
	err := a.call(a.ctx, http.MethodPost, "/health", struct{}{}, nil)
	if a.ctx.Err() != nil {
		return // finishing: not the sidecar's fault
	}
	switch {
	case err != nil && a.healthy:
		a.log.Warn("agones: Health report failed; retrying every interval", "err", err)
	case err == nil && !a.healthy:
		a.log.Info("agones: Health reports go through again")
	}
	a.healthy = err == nil
}

// sync publishes the occupancy if it changed since Agones last took it.
func (a *agonesSDK) sync(ctx context.Context) {
	occ := a.srv.occupancy()
	if occ == a.published && !a.dirty {
		return
	}
	err := a.publish(ctx, occ)
	if err != nil && ctx.Err() != nil {
		a.dirty = true // cut short by finish, which publishes once more
		return
	}
	switch {
	case err != nil && !a.syncFailed:
		a.log.Warn("agones: could not update labels/counters; retrying", "err", err)
	case err == nil && a.syncFailed:
		a.log.Info("agones: labels/counters updated again")
	}
	a.syncFailed = err != nil
	if err == nil {
		a.published, a.dirty = occ, false
	}
}

// publish sends the labels and counters that differ from what Agones
// holds (everything when that is unknown).
func (a *agonesSDK) publish(ctx context.Context, occ occupancy) error {
	old, all := a.published, a.dirty
	labels := []struct {
		key        string
		value, was int
	}{
		{AgonesLabelRooms, occ.rooms, old.rooms},
		{AgonesLabelPlayers, occ.players, old.players},
		{AgonesLabelFreeSeats, occ.freeSeats, old.freeSeats},
	}
	for _, l := range labels {
		if all || l.value != l.was {
			if err := a.setLabel(ctx, l.key, strconv.Itoa(l.value)); err != nil {
				return err
			}
		}
	}
	if all || occ.accepting != old.accepting {
		if err := a.setLabel(ctx, AgonesLabelAccepting, strconv.FormatBool(occ.accepting)); err != nil {
			return err
		}
	}
	if all || occ.rooms != old.rooms || occ.roomCapacity != old.roomCapacity {
		if err := a.setCounter(ctx, AgonesCounterRooms, occ.rooms, occ.roomCapacity); err != nil {
			return err
		}
	}
	if all || occ.players != old.players || occ.freeSeats != old.freeSeats {
		if err := a.setCounter(ctx, AgonesCounterPlayers, occ.players, occ.players+occ.freeSeats); err != nil {
			return err
		}
	}
	return nil
}

func (a *agonesSDK) setLabel(ctx context.Context, key, value string) error {
	return a.call(ctx, http.MethodPut, "/metadata/label", map[string]string{"key": key, "value": value}, nil)
}

// setCounter sets a Counter's count and capacity. A GameServer that does
// not declare the Counter (or an Agones without Counters) answers with an
// error: the Counter is then left alone for the life of the process.
func (a *agonesSDK) setCounter(ctx context.Context, name string, count, capacity int) error {
	if a.counterOff[name] {
		return nil
	}
	body := map[string]int64{"count": int64(count), "capacity": int64(capacity)}
	err := a.call(ctx, http.MethodPatch, "/v1beta1/counters/"+name, body, nil)
	var se *agonesError
	if errors.As(err, &se) && se.counterMissing() {
		a.counterOff[name] = true
		a.log.Info("agones: the GameServer declares no such Counter; publishing labels only", "counter", name, "answer", se.Message)
		return nil
	}
	return err
}

// idleCheck marks an Allocated process that has been empty for IdleReady
// Ready again. Empty means no rooms at all; the clock restarts whenever a
// room opens and whenever the process is seen to become Allocated, so a
// player an allocation just sent here has IdleReady to arrive.
func (a *agonesSDK) idleCheck() {
	if a.opts.IdleReady < 0 || a.srv.isClosing() {
		return
	}
	now := time.Now()
	if len(a.srv.rooms.list()) > 0 {
		a.emptySince, a.state = now, ""
		return
	}
	var gs struct {
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := a.call(a.ctx, http.MethodGet, "/gameserver", nil, &gs); err != nil {
		return // Health logs an unreachable sidecar
	}
	state := gs.Status.State
	if state == "Allocated" && a.state != "Allocated" {
		a.emptySince = now
	}
	a.state = state
	if state != "Allocated" || now.Sub(a.emptySince) < a.opts.IdleReady {
		return
	}
	if err := a.call(a.ctx, http.MethodPost, "/ready", struct{}{}, nil); err != nil {
		a.log.Warn("agones: could not mark the idle server Ready", "err", err)
		return
	}
	a.log.Info("agones: Allocated but empty; reported Ready so the fleet can reuse or retire this server", "empty_for", now.Sub(a.emptySince).Round(time.Millisecond))
	a.state = "Ready"
}

// retry calls POST path until it goes through or ctx ends.
func (a *agonesSDK) retry(ctx context.Context, path string) (attempts int, err error) {
	delay := 50 * time.Millisecond
	for attempts = 1; ; attempts++ {
		if err = a.call(ctx, http.MethodPost, path, struct{}{}, nil); err == nil {
			return attempts, nil
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return attempts, err
		}
		delay = min(2*delay, time.Second)
	}
}

// agonesError is a non-2xx answer of the SDK server.
type agonesError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *agonesError) Error() string {
	return fmt.Sprintf("agones %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// counterMissing reports whether the answer means the Counter does not
// exist (or Counters are off), rather than a passing failure. The SDK
// server answers 404 or, in some versions, 500 with "not found".
func (e *agonesError) counterMissing() bool {
	if e.Status == http.StatusNotFound || e.Status == http.StatusNotImplemented {
		return true
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "not found") || strings.Contains(msg, "feature")
}

// call sends one JSON request to the SDK server, bounded by
// RequestTimeout, and decodes the answer into out when out is not nil.
func (a *agonesSDK) call(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.opts.SDKURL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("agones %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("agones %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &agonesError{Method: method, Path: path, Status: resp.StatusCode, Message: strings.TrimSpace(string(data))}
		var grpcErr struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &grpcErr) == nil && grpcErr.Message != "" {
			e.Message = grpcErr.Message
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("agones %s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// publicURL asks the sidecar where players reach this server: on Agones the
// node's address and the host port given to the container port named "ws"
// (else the first port) are only known at run time. It retries until the
// sidecar answers with an address or ctx ends.
func (a *agonesSDK) publicURL(ctx context.Context, tls bool) (string, error) {
	backoff := 50 * time.Millisecond
	for {
		var gs struct {
			Status struct {
				Address string `json:"address"`
				Ports   []struct {
					Name string `json:"name"`
					Port int    `json:"port"`
				} `json:"ports"`
			} `json:"status"`
		}
		err := a.call(ctx, http.MethodGet, "/gameserver", nil, &gs)
		if err == nil && gs.Status.Address != "" && len(gs.Status.Ports) > 0 {
			port := gs.Status.Ports[0].Port
			for _, p := range gs.Status.Ports {
				if p.Name == "ws" {
					port = p.Port
				}
			}
			scheme := "ws"
			if tls {
				scheme = "wss"
			}
			return fmt.Sprintf("%s://%s/ws", scheme, net.JoinHostPort(gs.Status.Address, strconv.Itoa(port))), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}
