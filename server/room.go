package server

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/sim"
)

// joinRequest asks a room to seat a connection; the reply comes back on a
// channel with room for it, so the room never blocks on the asker.
type joinRequest struct {
	conn   *conn
	name   string
	resume string // a resume token from an earlier Welcome, or ""
	token  string // the Join's token: it may claim a reservation
	// resumeOnly, when set, is why the join itself was refused (an
	// expired join token, say): only a resume of a held seat may pass,
	// anything else is refused with 4008 and this reason.
	resumeOnly string
	reply      chan joinReply
}

// leaveRequest tells the room a connection ended. voluntary means the
// player said goodbye; otherwise the seat is held for a resume.
type leaveRequest struct {
	player    *player
	conn      *conn
	voluntary bool
}

type joinReply struct {
	player  *player
	welcome protocol.Welcome
	code    websocket.StatusCode // non-zero: refused
	reason  string
}

type closeRequest struct {
	code   websocket.StatusCode
	reason string
}

// room is one match. A single goroutine (run) owns it: the game, the world,
// the players and their snapshot baselines. Connections talk to it through
// its channels and through each player's input buffer, which the room drains
// at the tick; the room reads and writes the connections' sockets itself at
// each beat (see tickConn). No lock is held around world state.
type room struct {
	srv      *Server
	log      *slog.Logger
	name     string
	gameName string
	game     Game
	viewer   Viewer // nil: every player sees the whole world
	ender    Ender  // nil: the match never ends by itself
	kinds    []sim.KindSpec
	params   map[string]string // the game's effective parameters, sent in Welcome
	schema   *delta.Schema
	tickRate int
	period   time.Duration

	// Hosting settings (see RoomSpec), fixed before the goroutine starts.
	maxPlayers int
	labels     map[string]string
	private    bool
	matchID    string
	created    time.Time

	joinc  chan joinRequest
	leavec chan leaveRequest
	closec chan closeRequest // capacity 1
	infoc  chan chan RoomInfo
	done   chan struct{} // closed when the room has stopped
	callc  chan func()   // work to run on the room goroutine (room.do)
	tickc  chan struct{} // capacity 1: the metronome's beat

	// epoch is the server time (ns) at which tick 0 was scheduled, so tick
	// t is due at epoch + t*period. Written by the room, read by readers
	// timing input arrival.
	epoch   atomic.Int64
	current atomic.Uint32 // the last tick stepped
	count   atomic.Int32  // players seated
	held    atomic.Int32  // seats held by reservations

	// Owned by the room goroutine.
	tick       sim.Tick
	players    []*player
	inputs     []sim.PlayerInput
	world      []sim.EntityState
	frames     *delta.History
	enc        *delta.Encoder
	groups     []encodedGroup
	head       []byte
	emptySince time.Duration
	nextPlayer sim.PlayerID
	stats      roomStats
	reserved   []reservation // seats held for players on their way
	perf       roomPerf
	batch      *readBatch  // the readers a beat's pump woke
	guard      *time.Timer // bounds the wait for them
	out        []byte      // one player's framed messages for a tick
	msg        []byte      // a message being built
	// The roster (who is seated, as which entity, under which name) goes
	// to each player whenever its version moves past the one the player
	// was last sent; roster is its encoding as of rosterEncoded.
	rosterVersion uint32
	rosterEncoded uint32
	roster        []byte
}

// groupKey says which players can share one entity encoding: the same
// view now, and the same baseline seen through the same view then.
type groupKey struct {
	view     uint64 // hash of the visible entity set; 0 without a Viewer
	baseline sim.Tick
	baseView uint64
}

// encodedGroup is one entity encoding a tick sends.
type encodedGroup struct {
	key  groupKey
	data []byte
}

// roomStats are counters the room keeps for tests and metrics; only the
// room goroutine writes them.
type roomStats struct {
	ticks, overruns, encodings, snapshots, replaced, repeated uint64
	bytes                                                     uint64 // snapshot bytes handed to writers
}

func newRoom(s *Server, name, gameName string, params map[string]string) (*room, error) {
	g, cfg, err := s.newGame(gameName, params)
	if err != nil {
		return nil, err
	}
	effective := cfg.Params
	if pg, ok := g.(Parameterized); ok {
		effective = pg.Params()
	}
	kinds := g.Kinds()
	schema, err := delta.NewSchema(kinds)
	if err != nil {
		return nil, fmt.Errorf("game %q declares invalid kinds: %w", gameName, err)
	}
	r := &room{
		srv:      s,
		log:      s.log.With("room", name),
		name:     name,
		gameName: gameName,
		game:     g,
		kinds:    kinds,
		params:   effective,
		schema:   schema,
		tickRate: s.opts.TickRate,
		period:   time.Second / time.Duration(s.opts.TickRate),
		// Overridden by RoomSpec before the room starts.
		maxPlayers: s.opts.MaxPlayers,
		matchID:    newMatchID(),
		created:    time.Now(),
		callc:      make(chan func()),
		joinc:      make(chan joinRequest),
		leavec:     make(chan leaveRequest),
		closec:     make(chan closeRequest, 1),
		infoc:      make(chan chan RoomInfo),
		done:       make(chan struct{}),
		tickc:      make(chan struct{}, 1),
		batch:      newReadBatch(),
		guard:      time.NewTimer(time.Hour),
		frames:     delta.NewHistory(s.opts.HistoryTicks),
		enc:        delta.NewEncoder(schema),
	}
	r.viewer, _ = g.(Viewer)
	r.ender, _ = g.(Ender)
	r.guard.Stop()
	// Tick 0 is the metronome's last beat: every tick is due on a beat.
	r.epoch.Store(int64(s.beat.grid(s.now())))
	return r, nil
}

// requestClose asks the room to close every player with code and reason and
// stop. It does not wait; a second request while one is pending is dropped.
func (r *room) requestClose(code websocket.StatusCode, reason string) {
	select {
	case r.closec <- closeRequest{code, reason}:
	default:
	}
}

// join asks the room to seat c (or to give it back the player resume
// names); it fails fast if the room has stopped.
func (r *room) join(req joinRequest) (joinReply, bool) {
	req.reply = make(chan joinReply, 1)
	select {
	case r.joinc <- req:
	case <-r.done:
		return joinReply{}, false
	}
	select {
	case rep := <-req.reply:
		return rep, true
	case <-r.done:
		return joinReply{}, false
	}
}

// leave tells the room that c, p's connection, is gone.
func (r *room) leave(p *player, c *conn, voluntary bool) {
	select {
	case r.leavec <- leaveRequest{player: p, conn: c, voluntary: voluntary}:
	case <-r.done:
	}
}

// run is the room goroutine: the tick is one case beside the channels that
// bring it joins, leaves and the order to close.
func (r *room) run() {
	defer close(r.done)
	defer r.srv.rooms.remove(r)
	closing := closeRequest{StatusRoomClosed, "room closed"}
	defer func() {
		if v := recover(); v != nil {
			// A panic in the game (or in us) ends this room only.
			r.log.Error("room panicked; closing it", "panic", v, "stack", string(debug.Stack()))
			r.srv.metrics.roomPanics.Inc()
			closing = closeRequest{StatusInternalError, "room failed"}
		}
		r.closePlayers(closing)
	}()

	r.srv.beat.join(r)
	defer r.srv.beat.leave(r)
	r.emptySince = r.srv.now()
	for {
		select {
		case <-r.tickc:
			r.pump()
			now := r.srv.now()
			if r.runDueTicks(now) {
				closing = closeRequest{StatusRoomClosed, "match over"}
				return
			}
			r.expireDisconnected(now)
			r.expireReservations(time.Now())
			if len(r.players) == 0 && len(r.reserved) == 0 && now-r.emptySince >= r.srv.opts.EmptyRoomTimeout {
				r.log.Debug("closing empty room")
				return
			}
		case req := <-r.joinc:
			req.reply <- r.seat(req)
		case req := <-r.leavec:
			r.disconnect(req)
		case reply := <-r.infoc:
			reply <- r.describe()
		case f := <-r.callc:
			f()
		case req := <-r.closec:
			closing = req
			return
		}
	}
}

// runDueTicks steps every tick that is due at now, at most MaxCatchUpTicks
// of them; if more are due the room is overloaded, and rather than spiral it
// drops them and moves its schedule. It reports whether the match ended.
func (r *room) runDueTicks(now time.Duration) (ended bool) {
	epoch := time.Duration(r.epoch.Load())
	for steps := 0; epoch+time.Duration(r.tick+1)*r.period <= now; steps++ {
		if steps == r.srv.opts.MaxCatchUpTicks {
			behind := int64((now - epoch - time.Duration(r.tick)*r.period) / r.period)
			r.stats.overruns += uint64(behind)
			r.srv.metrics.ticksOverrun.Add(float64(behind))
			epoch = r.srv.beat.grid(now) - time.Duration(r.tick)*r.period
			r.epoch.Store(int64(epoch))
			r.log.Warn("room overloaded; dropped ticks", "ticks", behind)
			break
		}
		r.step(epoch)
		if r.ender != nil {
			if res, over := r.ender.Result(); over {
				r.log.Info("match over", "reason", res.Reason)
				r.endMatch(res)
				return true
			}
		}
	}
	return false
}

// step runs one tick: inputs, simulation, snapshots.
func (r *room) step(epoch time.Duration) {
	began := time.Now()
	defer func() {
		took := time.Since(began)
		r.srv.metrics.tickDuration.Observe(took.Seconds())
		r.perf.observe(r.tick, r.tickRate, took, r.stats.bytes)
	}()
	r.tick++
	t := r.tick
	r.stats.ticks++
	due := epoch + time.Duration(t)*r.period
	r.inputs = r.inputs[:0]
	repeated := r.stats.repeated
	for _, p := range r.players {
		r.inputs = append(r.inputs, p.takeInput(t, r))
	}
	if n := r.stats.repeated - repeated; n > 0 {
		r.srv.metrics.inputsRepeated.Add(float64(n))
	}
	r.game.Step(t, r.inputs)
	r.current.Store(uint32(t))
	r.world = r.game.World(r.world[:0])
	frame := r.frames.Next(t)
	r.schema.Quantize(frame, t, r.world)
	if t%sim.Tick(r.pingEvery()) == 0 {
		for _, p := range r.players {
			p.pingDue = true
		}
	}
	r.broadcast(frame, due)
}

func (r *room) pingEvery() int {
	n := int(r.srv.opts.PingInterval / r.period)
	return max(n, 1)
}

// broadcast sends every connected player the snapshot of cur, encoded once
// per distinct (view, baseline) and framed per player with the player's own
// header. Without a Viewer every player's view is the whole world, so the
// encodings are one per distinct baseline: a handful per tick, however many
// players. A player due a ping gets it in the same write.
func (r *room) broadcast(cur *delta.Frame, due time.Duration) {
	used, sent, replaced, bytes := 0, 0, 0, 0
	now := r.srv.now()
	for _, p := range r.players {
		c := p.conn
		if c == nil {
			continue
		}
		if stall, failed := c.sock.stalled(now); failed {
			c.kick(StatusNormal, "write failed")
			continue
		} else if stall > r.srv.opts.WriteStall {
			c.kick(StatusSlowConsumer, "not reading snapshots")
			continue
		}
		frames, frame, view := r.frames, cur, uint64(0)
		if r.viewer != nil {
			frames = p.views
			frame, view = r.filter(p, cur)
		}
		base := p.baseline(frames, frame.Tick)
		key := groupKey{view: view}
		if base != nil {
			if bv, ok := p.viewAt(base.Tick); ok {
				key.baseline, key.baseView = base.Tick, bv
			} else {
				base = nil // cannot tell who shares it: send it full
			}
		}
		g := -1
		for i := 0; i < used; i++ {
			if r.groups[i].key == key {
				g = i
				break
			}
		}
		if g < 0 {
			if used == len(r.groups) {
				r.groups = append(r.groups, encodedGroup{})
			}
			g = used
			used++
			r.groups[g].key = key
			r.groups[g].data = r.enc.AppendDelta(r.groups[g].data[:0], base, frame)
			r.stats.encodings++
		}
		h := p.header(cur.Tick, key.baseline, now-due)
		r.head = delta.AppendHeader(r.head[:0], cur.Tick, &h)
		r.out = r.out[:0]
		at := r.srv.now()
		if p.pingDue {
			r.msg = protocol.AppendPing(r.msg[:0], &protocol.Ping{ID: p.pingID + 1, ServerTimeMicros: at.Microseconds()})
			r.out = appendFrame(r.out, r.msg)
		}
		// The roster goes first, so a client knows who a new entity is
		// by the time the snapshot that adds it arrives.
		rosterDue := p.rosterSent != r.rosterVersion
		if rosterDue {
			r.out = appendFrame(r.out, r.rosterMessage())
		}
		r.msg = protocol.AppendSnapshot(r.msg[:0], cur.Tick, r.head, r.groups[g].data)
		r.out = appendFrame(r.out, r.msg)
		switch c.sock.send(r.out) {
		case sendDone:
			if p.pingDue {
				p.pingDue = false
				p.pingID++
			}
			if rosterDue {
				p.rosterSent = r.rosterVersion
			}
			c.snapshotSent(cur.Tick, at)
			p.sentTick(cur.Tick, view)
			bytes += len(r.msg)
			sent++
		case sendBusy:
			c.replaced.Add(1)
			replaced++
		}
	}
	// Counted once per tick, not per player: the metrics are atomics
	// shared by every room.
	r.stats.snapshots += uint64(sent)
	r.stats.replaced += uint64(replaced)
	r.stats.bytes += uint64(bytes)
	m := r.srv.metrics
	m.encodings.Add(float64(used))
	m.snapshotsSent.Add(float64(sent))
	m.snapshotBytes.Add(float64(bytes))
	if replaced > 0 {
		m.snapshotsReplaced.Add(float64(replaced))
	}
}

// readerGrace bounds how long a beat waits for the readers it handed bytes
// to. Parsing a tick's messages takes microseconds; when the process is
// overloaded the readers queue behind every other room's work, and a room
// that waited for them without end would only drop more ticks.
const readerGrace = 100 * time.Millisecond

// pump reads, once a beat, what each room-driven connection received since
// the last, and waits until the connections' readers have handled it: the
// inputs are in the players' buffers before the ticks that need them, and
// each carries the kernel's arrival time. A reader that has not finished
// within readerGrace is left to finish on its own; its inputs count as late
// and it is read again once it is back.
func (r *room) pump() {
	b := r.batch
	b.pending.Store(1)
	clock := newStampClock(r.srv.start)
	for _, p := range r.players {
		if p.conn != nil {
			p.conn.sock.pump(b, clock)
		}
	}
	if b.pending.Add(-1) == 0 {
		return
	}
	r.guard.Reset(readerGrace)
	for {
		select {
		case <-b.done:
			r.guard.Stop()
			return
		case req := <-r.leavec:
			// A reader that read its connection's end says so before it
			// is done: the player stands still from this very tick.
			r.disconnect(req)
			continue
		case <-r.guard.C:
		}
		break
	}
	slow := 0
	for _, p := range r.players {
		if c := p.conn; c != nil && c.sock.abandon(b) {
			slow++
		}
	}
	<-b.done // signalled by the last release, an abandon's or a reader's
	r.srv.metrics.readersLate.Add(float64(slow))
	r.log.Debug("readers slow; not waiting for them", "readers", slow)
}

// filter builds p's view of cur (the entities the game's Viewer lets p
// see) in p's own history, and a hash of which entities those are: players
// whose views hash alike share an encoding. r.world[i] is the entity whose
// quantized state is cur.Entities[i].
func (r *room) filter(p *player, cur *delta.Frame) (*delta.Frame, uint64) {
	f := p.views.Next(cur.Tick)
	f.Tick = cur.Tick
	f.Entities = f.Entities[:0]
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a
	h := uint64(offset)
	for i := range cur.Entities {
		if r.viewer.Visible(p.id, &r.world[i]) {
			f.Entities = append(f.Entities, cur.Entities[i])
			h = (h ^ uint64(cur.Entities[i].ID)) * prime
		}
	}
	return f, h
}

// seat handles a join: a resume, room full, refused by the game, or
// seated.
func (r *room) seat(req joinRequest) joinReply {
	if req.resume != "" {
		for _, p := range r.players {
			if p.resumeToken == req.resume {
				return r.resume(p, req.conn)
			}
		}
		// The seat is gone (grace over, or another room's token): a
		// fresh join below.
	}
	if req.resumeOnly != "" {
		return joinReply{code: StatusUnauthorized, reason: req.resumeOnly}
	}
	claimed, code, reason := r.claimReservation(&req)
	if code != 0 {
		return joinReply{code: code, reason: reason}
	}
	// A claimed reservation brings its own seat; anyone else needs one
	// that is neither taken nor held.
	if !claimed && len(r.players)+len(r.reserved) >= r.maxPlayers {
		return joinReply{code: StatusRoomFull, reason: fmt.Sprintf("room %q is full (%d players)", r.name, r.maxPlayers)}
	}
	r.nextPlayer++
	id := r.nextPlayer
	ent, err := r.game.Join(id, req.name)
	if err != nil {
		return joinReply{code: StatusJoinRefused, reason: err.Error()}
	}
	p := newPlayer(id, ent, req.name, req.conn, r)
	p.resumeToken = newResumeToken()
	if r.viewer != nil {
		p.views = delta.NewHistory(r.srv.opts.HistoryTicks)
		p.viewHashes = make([]viewRecord, r.srv.opts.HistoryTicks)
	}
	r.players = append(r.players, p)
	r.count.Store(int32(len(r.players)))
	r.rosterVersion++
	r.log.Info("player joined", "player", id, "name", req.name, "players", len(r.players))
	return joinReply{player: p, welcome: r.welcome(p)}
}

// welcome is the Welcome that seats p.
func (r *room) welcome(p *player) protocol.Welcome {
	return protocol.Welcome{
		ProtocolVersion:  protocol.ProtocolVersion,
		PlayerID:         p.id,
		EntityID:         p.entity,
		ResumeToken:      p.resumeToken,
		TickRate:         r.tickRate,
		ServerTick:       r.tick,
		ServerTimeMicros: r.dueAt(r.tick).Microseconds(),
		Room:             r.name,
		Game:             r.gameName,
		Params:           r.params,
		Kinds:            r.kinds,
	}
}

// resume gives p, and its entity as the game kept it, to connection c. Any
// connection p still had is replaced; c starts from a full snapshot.
func (r *room) resume(p *player, c *conn) joinReply {
	if p.conn != nil && p.conn != c {
		p.conn.kick(StatusReplaced, "resumed on another connection")
	}
	p.conn = c
	p.firstSent, p.lastSent = 0, 0
	r.rosterVersion++ // connected again; and the new connection has seen none
	p.mu.Lock()
	p.ackTick, p.newest = 0, 0
	p.mu.Unlock()
	r.log.Info("player resumed", "player", p.id, "name", p.name)
	return joinReply{player: p, welcome: r.welcome(p)}
}

// disconnect handles the end of a player's connection: the player leaves
// if it said goodbye (or resuming is off); otherwise its seat and entity
// wait ResumeGrace for it to come back, standing still.
func (r *room) disconnect(req leaveRequest) {
	p := req.player
	if p.conn != req.conn {
		return // already resumed on a newer connection
	}
	if req.voluntary || r.srv.opts.ResumeGrace < 0 {
		r.unseat(p)
		return
	}
	p.conn = nil
	p.goneAt = r.srv.now()
	r.rosterVersion++
	p.last = sim.Input{Aim: p.last.Aim}
	r.log.Info("player disconnected; holding the seat", "player", p.id, "grace", r.srv.opts.ResumeGrace)
}

// expireDisconnected removes the players whose grace ran out.
func (r *room) expireDisconnected(now time.Duration) {
	for i := 0; i < len(r.players); i++ {
		p := r.players[i]
		if p.conn == nil && now-p.goneAt >= r.srv.opts.ResumeGrace {
			r.unseat(p)
			i--
		}
	}
}

// unseat removes p from the room and the game.
func (r *room) unseat(p *player) {
	for i, q := range r.players {
		if q == p {
			r.players = append(r.players[:i], r.players[i+1:]...)
			r.game.Leave(p.id)
			r.count.Store(int32(len(r.players)))
			r.rosterVersion++
			r.log.Info("player left", "player", p.id, "players", len(r.players))
			if len(r.players) == 0 {
				r.emptySince = r.srv.now()
			}
			return
		}
	}
}

// rosterMessage returns the Roster message of the room's players now,
// encoded once per change.
func (r *room) rosterMessage() []byte {
	if r.roster != nil && r.rosterEncoded == r.rosterVersion {
		return r.roster
	}
	m := protocol.Roster{Players: make([]protocol.RosterEntry, len(r.players))}
	for i, p := range r.players {
		m.Players[i] = protocol.RosterEntry{PlayerID: p.id, EntityID: p.entity, Name: p.name, Connected: p.conn != nil}
	}
	r.roster = protocol.AppendRoster(r.roster[:0], &m)
	r.rosterEncoded = r.rosterVersion
	return r.roster
}

// closePlayers ends every player's connection as the room stops.
func (r *room) closePlayers(req closeRequest) {
	for _, p := range r.players {
		if p.conn != nil {
			p.conn.kick(req.code, req.reason)
		}
	}
	r.players = nil
	r.count.Store(0)
}

// dueAt is when tick t runs (or ran), in server time; safe from any goroutine.
func (r *room) dueAt(t sim.Tick) time.Duration {
	return time.Duration(r.epoch.Load()) + time.Duration(t)*r.period
}

// tickTimeAt converts server time d to the room's simulation time.
func (r *room) tickTimeAt(d time.Duration) sim.TickTime {
	since := d - time.Duration(r.epoch.Load())
	return sim.TickTime(int64(since) * sim.SubTicks / int64(r.period))
}

// ticksIn converts a duration to simulation time.
func (r *room) ticksIn(d time.Duration) sim.TickTime {
	return sim.TickTime(int64(d) * sim.SubTicks / int64(r.period))
}

// viewTime decides when the world a player aimed at for tick t was current:
// the time hit tests rewind to. The input arrived at arrived, so it left the
// client about srtt/2 earlier, and the newest snapshot the client could have
// had then left the server another srtt/2 before: nothing the client saw is
// newer than arrived - srtt. It renders others some interpolation delay
// behind that, which only the client knows, so its claim is believed within
// a window the measurements allow (no newer than the newest world, plus
// slack; no older than a generous interpolation delay) and clamped to it
// otherwise: a lying client cannot pick its rewind. Without a claim, the
// usual delay of two ticks is assumed. The result is never after the tick
// being stepped and never older than Options.MaxRewind.
func (r *room) viewTime(t sim.Tick, arrived, srtt, rttvar time.Duration, claim sim.TickTime) sim.TickTime {
	latest := t.Time()
	earliest := max(latest-r.ticksIn(r.srv.opts.MaxRewind), 0)
	v := claim
	if srtt > 0 {
		newest := r.tickTimeAt(arrived - srtt)
		slack := r.ticksIn(2*rttvar + viewTimeSlack)
		maxInterp := r.ticksIn(3*r.period + 4*rttvar)
		if claim == 0 {
			v = newest - r.ticksIn(2*r.period)
		} else {
			v = min(max(claim, newest-maxInterp-slack), newest+slack)
		}
	} else if claim == 0 {
		v = latest // nothing measured and nothing claimed: no rewind
	}
	return min(max(v, earliest), latest)
}

// viewTimeSlack is how far a client's claimed view time may stray from the
// server's estimate beyond what measured jitter explains: clocks are
// estimated, and frames render at their own pace.
const viewTimeSlack = 15 * time.Millisecond
