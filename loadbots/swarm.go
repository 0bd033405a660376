package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/loadbots/internal/histogram"
	"github.com/tickwire/tickwire/netcode"
)

const (
	// shards is how many scheduler goroutines send the bots' inputs. Each
	// wakes once per tick at its own phase, so sends spread over the tick
	// in steps of period/shards (about 2 ms at 30 Hz, the granularity of
	// the peer harness's bots) without a timer per bot.
	shards = 16
	// dialConcurrency bounds joins in flight.
	dialConcurrency = 32
	// dialTimeout bounds one bot's connect and join.
	dialTimeout = 20 * time.Second
	// closeConcurrency bounds goodbyes in flight at the end.
	closeConcurrency = 64
	// maxErrorKinds bounds how many distinct error texts the report keeps.
	maxErrorKinds = 20
)

// measures are what every bot adds to; all fields are safe for concurrent
// use. Histograms hold microseconds.
type measures struct {
	rtt          *histogram.Histogram // input round trip less server-side waits
	inputLatency *histogram.Histogram // input round trip as sent→confirmed
	interval     *histogram.Histogram // time between a bot's snapshots
	serverRTT    *histogram.Histogram // RTT the server reports in headers

	snapshots, bytes, inputs, frames, repeated, skippedWakes, lateWakes atomic.Uint64

	connected, dialFailed, dropped atomic.Int64

	// Churn: bots that left and whose seat a new bot took, rejoins that
	// failed, and churn beats skipped because too many were in flight.
	rejoined, rejoinFailed, churnSkipped atomic.Int64

	errMu  sync.Mutex
	errors map[string]int // guarded by errMu
}

func newMeasures() *measures {
	return &measures{
		rtt:          histogram.New(),
		inputLatency: histogram.New(),
		interval:     histogram.New(),
		serverRTT:    histogram.New(),
		errors:       map[string]int{},
	}
}

func (m *measures) noteError(err error) {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	msg := err.Error()
	if _, ok := m.errors[msg]; !ok && len(m.errors) >= maxErrorKinds {
		msg = "(other errors)"
	}
	m.errors[msg]++
}

func (m *measures) errorCounts() []errorCount {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	out := make([]errorCount, 0, len(m.errors))
	for msg, n := range m.errors {
		out = append(out, errorCount{Error: msg, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Error < out[j].Error
	})
	return out
}

// swarm owns the bots of one run: it dials them, drives their inputs from a
// few shard goroutines, and closes them.
type swarm struct {
	cfg   config
	sc    scenario
	start time.Time
	m     *measures

	// Set from the first bot's Welcome, before any shard starts.
	tickRate int
	period   time.Duration

	shards []*shard
	wg     sync.WaitGroup // the shard goroutines

	// pollers read the bots' sockets (config.Readers "poller"); none when
	// the platform has no netcode.Poller or the run asked for goroutines.
	pollers []*netcode.Poller

	mu   sync.Mutex
	bots []*bot // dialled successfully; guarded by mu
}

func newSwarm(cfg config, sc scenario) *swarm {
	sw := &swarm{cfg: cfg, sc: sc, start: time.Now(), m: newMeasures()}
	if cfg.Readers == "" || cfg.Readers == "poller" {
		for range runtime.GOMAXPROCS(0) {
			p, err := netcode.NewPoller()
			if err != nil {
				break // not on this platform: each client reads for itself
			}
			sw.pollers = append(sw.pollers, p)
		}
	}
	return sw
}

// poller is the Poller that reads bot i's socket, or nil.
func (sw *swarm) poller(i int) *netcode.Poller {
	if len(sw.pollers) == 0 {
		return nil
	}
	return sw.pollers[i%len(sw.pollers)]
}

// now is swarm time: monotonic, since the swarm started.
func (sw *swarm) now() time.Duration { return time.Since(sw.start) }

// botLost records a bot whose connection ended during the run.
func (sw *swarm) botLost(b *bot, err error) {
	if cerr := b.client.Err(); cerr != nil {
		err = cerr
	}
	if b.counted.CompareAndSwap(true, false) {
		sw.m.connected.Add(-1)
	}
	sw.m.dropped.Add(1)
	sw.m.noteError(fmt.Errorf("bot lost: %w", err))
}

// dial connects bot i and joins its room.
func (sw *swarm) dial(ctx context.Context, i int) (*bot, error) {
	room := roomName(sw.cfg.RoomPrefix, roomOf(i, sw.cfg.Bots, sw.cfg.Rooms))
	b := newBot(sw, i, room)
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := netcode.Dial(ctx, sw.cfg.URL, &netcode.Options{
		Room:       room,
		Name:       fmt.Sprintf("bot%d", i),
		Params:     sw.sc.Params,
		OnSnapshot: b.onSnapshot,
		Poller:     sw.poller(i),
	})
	if err != nil {
		return nil, err
	}
	b.client = c
	return b, nil
}

// dialAll connects every bot, at most cfg.Ramp per second when set, and
// hands each to a shard as soon as it is in. The first bot is dialled
// alone: its Welcome sets the tick the shards run at. It returns once every
// dial has ended (in or failed) or ctx is done.
func (sw *swarm) dialAll(ctx context.Context) error {
	first, err := sw.dial(ctx, 0)
	if err != nil {
		sw.m.dialFailed.Add(1)
		sw.m.noteError(fmt.Errorf("join: %w", err))
		return fmt.Errorf("first bot could not join %s: %w", sw.cfg.URL, err)
	}
	sw.tickRate = first.client.Welcome().TickRate
	sw.period = time.Second / time.Duration(sw.tickRate)
	sw.startShards(ctx)
	sw.add(first)

	sem := make(chan struct{}, dialConcurrency)
	var wg sync.WaitGroup
	began := time.Now()
	for i := 1; i < sw.cfg.Bots; i++ {
		if sw.cfg.Ramp > 0 {
			due := began.Add(time.Duration(float64(i) / sw.cfg.Ramp * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			b, err := sw.dial(ctx, i)
			if err != nil {
				if ctx.Err() == nil {
					sw.m.dialFailed.Add(1)
					sw.m.noteError(fmt.Errorf("join: %w", err))
				}
				return
			}
			sw.add(b)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// add seats a dialled bot on its shard; from the next tick it sends.
func (sw *swarm) add(b *bot) {
	sw.mu.Lock()
	sw.bots = append(sw.bots, b)
	sw.mu.Unlock()
	sw.seat(b)
}

// seat counts a dialled bot in and hands it to its shard; from the next
// tick it sends.
func (sw *swarm) seat(b *bot) {
	b.counted.Store(true)
	sw.m.connected.Add(1)
	sw.shards[b.idx%len(sw.shards)].add(b)
}

// startShards starts the scheduler goroutines, phases spread over a tick.
func (sw *swarm) startShards(ctx context.Context) {
	base := sw.now()
	for k := range shards {
		s := &shard{sw: sw, first: base + sw.period*time.Duration(k)/shards}
		sw.shards = append(sw.shards, s)
		sw.wg.Go(func() { s.run(ctx) })
	}
}

// stop waits for the shards (ctx must be done) and closes every bot.
func (sw *swarm) stop() {
	sw.wg.Wait()
	sw.mu.Lock()
	bots := sw.bots
	sw.mu.Unlock()
	sem := make(chan struct{}, closeConcurrency)
	var wg sync.WaitGroup
	for _, b := range bots {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			// A connection that already ended has nothing to say goodbye on.
			if err := b.client.Close(); err != nil && !errors.Is(err, netcode.ErrClosed) {
				return
			}
		})
	}
	wg.Wait()
	for _, p := range sw.pollers {
		p.Close()
	}
}

// shard is one scheduler goroutine and the bots it drives.
type shard struct {
	sw    *swarm
	first time.Duration // swarm time of its first wake

	mu    sync.Mutex
	added []*bot // handed over by dialers, guarded by mu
}

func (s *shard) add(b *bot) {
	s.mu.Lock()
	s.added = append(s.added, b)
	s.mu.Unlock()
}

// run wakes once per tick, drift-free, and steps each live bot. If it
// falls more than four ticks behind (the process was starved) it skips
// ahead instead of bursting, as the peer harness's bots do.
func (s *shard) run(ctx context.Context) {
	sw := s.sw
	var bots []*bot
	next := s.first
	timer := time.NewTimer(max(next-sw.now(), 0))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		s.mu.Lock()
		bots = append(bots, s.added...)
		s.added = s.added[:0]
		s.mu.Unlock()
		live := bots[:0]
		for _, b := range bots {
			// Each bot's own send time: a shard's sends take a while.
			if b.step(sw.now()) {
				live = append(live, b)
			}
		}
		clear(bots[len(live):])
		bots = live
		next += sw.period
		if now := sw.now(); now-next > 4*sw.period {
			sw.m.lateWakes.Add(1)
			next = now + sw.period
		}
		timer.Reset(max(next-sw.now(), 0))
	}
}
