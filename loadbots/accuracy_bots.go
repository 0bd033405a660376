package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/interp"
	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// frameRate is how often the accuracy bots run their game loop: a typical
// display's, twice the server's tick, as a game calls Client.Update.
const frameRate = 60

// fireMargin is how long past the room's cooldown a shooter waits before it
// fires again: the server counts the cooldown in ticks from the tick the
// shot ran, the shooter in wall time from the frame that sent it, and a
// trigger pulled while the server still cools down is lost.
const fireMargin = 100 * time.Millisecond

// fireRecord is one pull of the trigger, as the shooter saw it.
type fireRecord struct {
	at     time.Time // the frame that sent it
	aim    int32     // quantized, as the shot entity will carry it
	x, y   int32     // the shooter (origin of the shot), predicted
	tx, ty int32     // the target as drawn
	// The target as it would have been drawn a tick earlier and later:
	// which of the three the server tested says how its view time
	// differed from the claim.
	around   [2][2]int32
	onTarget bool // the drawn target's circle meets the ray
	inWindow bool // fired inside the measurement window
	viewAge  time.Duration
	// nextFrame is how long after it the next input frame left (with a
	// later view claim): the server keeps only the newest claim.
	nextFrame time.Duration
}

// seenShot is a shot entity the shooter's snapshots showed.
type seenShot struct {
	at           time.Time // first seen
	aim          int32
	x, y         int32
	target       sim.EntityID
	testX, testY int32 // where the server tested the nearest target
}

// shooter is an accuracy bot that aims at where it draws its target (the
// interpolated view) and fires whenever its gun is ready. Its client
// predicts its own player with the room's movement rule.
//
// Two goroutines touch it: the client's reader (onSnapshot, under the
// client's lock) and the shooter's own frame loop. mu guards the fields the
// reader writes; the frame loop never calls the client while holding mu
// (the reader holds the client's lock when it takes mu).
type shooter struct {
	client   *netcode.Client
	targetID sim.EntityID
	rng      *rand.Rand
	window   *atomic.Bool // the measurement window is open

	mu        sync.Mutex
	rules     arena.Params
	period    time.Duration
	view      *interp.Buffer
	delay     interp.DelayTracker
	headerRTT time.Duration // the server's RTT estimate, newest header
	rttSum    time.Duration // over the window's timing headers
	leadSum   time.Duration // the server's input lead, same headers
	rttN      int
	shots     []seenShot
	lastShot  sim.EntityID

	// Owned by the frame loop.
	fires       []fireRecord
	snapsZero   uint64  // snapshots in the window with no correction
	snapsFixed  uint64  // snapshots in the window with a correction
	corrections []int64 // sizes of corrections sampled in the window
}

// predictFor readies the shooter for the room from its Welcome (before any
// snapshot arrives) and returns the arena movement rule for prediction.
func (s *shooter) predictFor(w protocol.Welcome) (predict.StepFunc, error) {
	rules, err := arena.ParseParams(w.Params)
	if err != nil {
		return nil, err
	}
	rules.TickRate = w.TickRate
	fields := interp.FieldsFromKinds(w.Kinds)
	if int(arena.KindPlayer) < len(fields) && arena.PlayerLife < len(fields[arena.KindPlayer]) {
		fields[arena.KindPlayer][arena.PlayerAim] = interp.Field{Mode: interp.Angle, Turn: 1 << 16}
		fields[arena.KindPlayer][arena.PlayerLife] = interp.Field{Mode: interp.Teleport}
	}
	s.mu.Lock()
	s.rules = rules
	s.period = time.Second / time.Duration(w.TickRate)
	s.view = interp.NewBuffer(&interp.Options{Capacity: 32, Fields: fields})
	s.delay = interp.NewDelayTracker(w.TickRate)
	s.mu.Unlock()
	return rules.Move, nil
}

// onSnapshot runs on the client's reader goroutine for every decoded
// snapshot: it feeds the interpolation buffer and the delay tracker, keeps
// the server's RTT estimate and notes new shot entities.
func (s *shooter) onSnapshot(snap *netcode.Snapshot) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.view == nil {
		return
	}
	s.view.Add(snap.Tick, snap.Entities)
	s.delay.Add(snap.Tick, snap.Received)
	if h := &snap.Header; h.Timing && h.RTT > 0 {
		s.headerRTT = h.RTT
		if s.window.Load() {
			s.rttSum += h.RTT
			s.leadSum += h.InputLead
			s.rttN++
		}
	}
	for i := range snap.Entities {
		e := &snap.Entities[i]
		if e.Kind != arena.KindShot || e.ID <= s.lastShot {
			continue
		}
		s.lastShot = e.ID
		f := &e.Fields
		s.shots = append(s.shots, seenShot{
			at: now, aim: f[arena.ShotAim], x: f[arena.ShotX], y: f[arena.ShotY],
			target: sim.EntityID(f[arena.ShotTarget]), testX: f[arena.ShotTX], testY: f[arena.ShotTY],
		})
	}
}

// viewNow returns the time the shooter draws the others at: the server
// time of a snapshot arriving now (the client's estimate of the server's
// clock less half the RTT), less the interpolation delay the tracker asks
// for. ok is false before the clock and the buffer are ready.
func (s *shooter) viewNow() (at sim.TickTime, age time.Duration, ok bool) {
	st := s.client.ServerTime()
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == 0 || s.view == nil || s.view.Len() < 2 {
		return 0, 0, false
	}
	oneWay := sim.TickTime(int64(s.headerRTT/2) * sim.SubTicks / int64(s.period))
	delay := s.delay.DelayTicks()
	at = st - oneWay - delay
	age = time.Duration(int64(oneWay+delay) * int64(s.period) / sim.SubTicks)
	return at, age, at > 0
}

// drawn samples the target at view time at.
func (s *shooter) drawn(at sim.TickTime, scratch []sim.EntityState) (sim.EntityState, []sim.EntityState, bool) {
	s.mu.Lock()
	scratch = s.view.Sample(scratch[:0], at)
	rules := s.rules
	s.mu.Unlock()
	for _, e := range scratch {
		if e.ID == s.targetID && e.Kind == arena.KindPlayer {
			return e, scratch, rules.HP > 0
		}
	}
	return sim.EntityState{}, scratch, false
}

// play is the shooter's game loop, one frame every 1/frameRate: strafe
// (new direction every 0.5-1.5 s), aim at the target where it is drawn,
// claim the drawn time as the view time, and fire when the gun is ready,
// standing still for that tick so the shot leaves from the predicted
// position. Firing stops when fire is cleared; play returns when ctx ends
// or the connection does.
func (s *shooter) play(ctx context.Context, fire *atomic.Bool) {
	frame := time.NewTicker(time.Second / frameRate)
	defer frame.Stop()
	s.mu.Lock()
	cooldown := time.Duration(s.rules.CooldownMS)*time.Millisecond + fireMargin
	rules := s.rules
	s.mu.Unlock()
	var (
		move       [2]int8
		nextRedraw time.Time
		lastFire   time.Time
		scratch    []sim.EntityState
		prev       netcode.Stats
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-frame.C:
		}
		now := time.Now()
		if now.After(nextRedraw) {
			move = randomDirection(s.rng)
			nextRedraw = now.Add(500*time.Millisecond + time.Duration(s.rng.Int64N(int64(time.Second))))
		}
		in := sim.Input{MoveX: move[0], MoveY: move[1]}
		var shot fireRecord
		at, age, viewOK := s.viewNow()
		own, predicted := s.client.Predicted()
		if viewOK && predicted {
			var tgt sim.EntityState
			var ok bool
			tgt, scratch, ok = s.drawn(at, scratch)
			if ok {
				ox, oy := own.Fields[arena.PlayerX], own.Fields[arena.PlayerY]
				tx, ty := tgt.Fields[arena.PlayerX], tgt.Fields[arena.PlayerY]
				in.Aim = aimAt(ox, oy, tx, ty)
				if fire.Load() && now.Sub(lastFire) >= cooldown {
					in.Buttons = sim.ButtonFire
					in.MoveX, in.MoveY = 0, 0 // the shot leaves from where the prediction stands
					shot = fireRecord{
						at: now, aim: arena.QuantizeAim(in.Aim), x: ox, y: oy, tx: tx, ty: ty,
						onTarget: newAimRay(ox, oy, in.Aim, rules).hits(tx, ty),
						inWindow: s.window.Load(), viewAge: age,
					}
					for k, d := range []sim.TickTime{-sim.SubTicks, sim.SubTicks} {
						var e sim.EntityState
						if e, scratch, ok = s.drawn(at+d, scratch); ok {
							shot.around[k] = [2]int32{e.Fields[arena.PlayerX], e.Fields[arena.PlayerY]}
						}
					}
				}
			}
			s.client.SetViewTime(at)
		}
		n, err := s.client.Update(in)
		if err != nil {
			return
		}
		if n > 0 && in.Buttons == 0 && len(s.fires) > 0 && s.fires[len(s.fires)-1].nextFrame == 0 {
			s.fires[len(s.fires)-1].nextFrame = now.Sub(lastFire)
		}
		if n > 0 && in.Buttons != 0 {
			lastFire = now
			s.fires = append(s.fires, shot)
		}
		st := s.client.Stats()
		if s.window.Load() && st.Snapshots > prev.Snapshots {
			fixed := st.Corrections - prev.Corrections
			s.snapsFixed += fixed
			s.snapsZero += st.Snapshots - prev.Snapshots - fixed
			if fixed > 0 && st.LastCorrection != 0 {
				s.corrections = append(s.corrections, st.LastCorrection)
			}
		}
		prev = st
	}
}

// meanTiming is the mean of the server's RTT estimates and of its input
// lead reports (how early our inputs arrived) in the window.
func (s *shooter) meanTiming() (rtt, lead time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rttN == 0 {
		return 0, 0, false
	}
	n := time.Duration(s.rttN)
	return s.rttSum / n, s.leadSum / n, true
}

// seen returns a copy of the shots seen.
func (s *shooter) seen() []seenShot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenShot(nil), s.shots...)
}

// target is an accuracy bot that strafes unpredictably: a new direction
// (one of the eight, never standing) every 0.2-0.8 s, turned away from a
// wall it is about to run along or into, so it keeps moving.
type target struct {
	client *netcode.Client
	rng    *rand.Rand
	rules  arena.Params
}

func (t *target) play(ctx context.Context) {
	frame := time.NewTicker(time.Second / frameRate)
	defer frame.Stop()
	var move [2]int8
	var nextRedraw time.Time
	margin := 3 * t.rules.PlayerStep() * int32(t.rules.TickRate) / 10 // 0.3 s of running
	for {
		select {
		case <-ctx.Done():
			return
		case <-frame.C:
		}
		now := time.Now()
		if now.After(nextRedraw) {
			move = randomDirection(t.rng)
			if snap, ok := t.client.Latest(); ok {
				if me, ok := snap.Entity(t.client.Welcome().EntityID); ok {
					move = awayFromWalls(move, me.Fields[arena.PlayerX], me.Fields[arena.PlayerY], margin, t.rules)
				}
			}
			nextRedraw = now.Add(200*time.Millisecond + time.Duration(t.rng.Int64N(int64(600*time.Millisecond))))
		}
		if _, err := t.client.Update(sim.Input{MoveX: move[0], MoveY: move[1]}); err != nil {
			return
		}
	}
}

// randomDirection is one of the eight directions, uniformly.
func randomDirection(rng *rand.Rand) [2]int8 {
	for {
		d := [2]int8{int8(rng.IntN(3) - 1), int8(rng.IntN(3) - 1)}
		if d != [2]int8{} {
			return d
		}
	}
}

// awayFromWalls turns each axis of move that heads into a wall closer than
// margin (sim units) to head away from it.
func awayFromWalls(move [2]int8, x, y, margin int32, rules arena.Params) [2]int8 {
	if x < margin && move[0] < 0 || x > rules.MaxX()-margin && move[0] > 0 {
		move[0] = -move[0]
	}
	if y < margin && move[1] < 0 || y > rules.MaxY()-margin && move[1] > 0 {
		move[1] = -move[1]
	}
	return move
}
