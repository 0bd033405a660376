package timing

import (
	"time"

	"github.com/tickwire/tickwire/sim"
)

// Tuning of the ClockEstimator. See the type's comment for the method.
const (
	// offsetWindow is how many samples the least-delay filter looks back
	// over: about a second of snapshots at 30 Hz.
	offsetWindow = 32
	// pingWindow is how many pings the server-clock filter looks back over.
	pingWindow = 8
	// shiftRun is how many samples in a row must all fall a tick below the
	// filtered offset before the estimator decides the server moved its
	// schedule (dropped ticks) and forgets the older samples.
	shiftRun = 8
	// warmupSamples is how many snapshot samples after the Welcome the
	// estimator jumps straight to its target instead of slewing.
	warmupSamples = 8
	// slewDivisor sets the slew rate: a correction runs the estimated clock
	// at most 1/slewDivisor (5%) fast or slow, so it never runs backwards.
	slewDivisor = 20
	// minJump is the least error that is jumped rather than slewed
	// (besides two ticks): slewing it away at 5% would take a second.
	minJump = 50 * time.Millisecond
	// snapshotsStale is how long without a snapshot before pings (through
	// the learned server-clock-to-tick mapping) steer the estimate.
	snapshotsStale = time.Second
)

// ClockEstimator maps the client's monotonic clock (time since dial) to the
// server's simulation time (sim.TickTime, 1/256 tick).
//
// The server's tick t is due at server time epoch + t*period, so the
// server's "tick clock" (server time less epoch) runs at the same rate as
// the client's clock, and the only unknown is one offset: tick clock =
// client time + offset. Every message that tells us the tick clock at which
// it was sent gives a sample of offset less its one-way delay:
//
//   - a snapshot of tick t sent sendDelay after t was due: t*period +
//     sendDelay - arrival;
//   - the Welcome: tick t was due at the server time it names;
//   - a ping: its server time, mapped to the tick clock by the difference
//     between the two clocks (from the Welcome, then learned from
//     snapshots and pings as they come).
//
// Delay only ever adds, so the least-delayed sample is the truest: the
// estimator keeps the last 32 samples and, until it knows the round trip,
// uses their largest (a minimum filter on delay), which ignores queueing,
// jitter and a client that reads late. That names the tick clock of the
// freshest message that could arrive now: the server's time less the
// one-way delay of the fastest path.
//
// Told the round trip (SetRTT, the server's SRTT from the snapshot header),
// it names the server's current time: the median sample plus RTT/2. The
// median, not the least-delayed sample, because SRTT/2 is a mean one-way
// delay that already contains the typical queueing; adding it to the
// fastest sample would run early by that queueing (measured: 10ms early on
// a path with ±10ms jitter, against about 1ms with the median). The median
// of 32 still ignores up to 15 delayed outliers.
//
// A server that falls behind and drops ticks moves its epoch later, so all
// new samples fall below the filtered value; when shiftRun (8) samples in a
// row fall more than a tick below it, the older samples are forgotten.
//
// The output is smooth: a correction smaller than max(2 ticks, 50ms) is
// slewed, running the estimated clock at most 5% fast or slow, so it never
// runs backwards; a larger one (the first samples, a dropped-tick shift, a
// new round trip) is jumped. Callers that must not repeat work across a
// backward jump (the LeadController) guard against it themselves.
//
// Methods take the client time of the event; times that go slightly
// backwards (stamped on one goroutine, applied on another) are tolerated.
// It is not safe for concurrent use.
type ClockEstimator struct {
	period time.Duration

	ticks offsetFilter // samples of tick clock - client time (ns)
	pings offsetFilter // samples of server time - client time (ns)
	// serverToTick is tick clock - server time: minus the epoch.
	serverToTick   time.Duration
	haveMapping    bool
	lastSnapshot   time.Duration // client time of the newest snapshot sample
	haveSnapshot   bool
	snapshots      int
	oneWay         time.Duration
	target         time.Duration // where the offset is heading
	offset, offAt  time.Duration // offset committed at client time offAt
	synced         bool
	jumps, resyncs int
}

// NewClockEstimator returns an estimator for a server ticking tickRate
// times a second (the Welcome's TickRate; values below 1 count as 1).
func NewClockEstimator(tickRate int) ClockEstimator {
	return ClockEstimator{
		period: time.Second / time.Duration(max(tickRate, 1)),
		pings:  offsetFilter{size: pingWindow},
	}
}

// AddWelcome feeds the Welcome: tick was due at server time
// serverTimeMicros, and the Welcome arrived at client time now.
func (c *ClockEstimator) AddWelcome(tick sim.Tick, serverTimeMicros int64, now time.Duration) {
	server := time.Duration(serverTimeMicros) * time.Microsecond
	tickClock := time.Duration(tick) * c.period
	c.serverToTick, c.haveMapping = tickClock-server, true
	c.pings.add(server - now)
	c.ticks.add(tickClock - now)
	c.update(now)
}

// AddSnapshot feeds a snapshot of tick that the server sent sendDelay after
// the tick was due, and that arrived at client time now.
func (c *ClockEstimator) AddSnapshot(tick sim.Tick, sendDelay time.Duration, now time.Duration) {
	sample := time.Duration(tick)*c.period + max(sendDelay, 0) - now
	c.ticks.add(sample)
	if c.ticks.shifted(c.period) {
		c.resyncs++
	}
	c.lastSnapshot, c.haveSnapshot = now, true
	c.snapshots++
	if c.pings.n > 0 {
		// Both filters hold least-delayed samples, so their difference
		// is the current epoch (with a server that drops ticks, it moves).
		c.serverToTick, c.haveMapping = c.ticks.max()-c.pings.max(), true
	}
	c.update(now)
}

// AddPing feeds a ping the server sent at serverTimeMicros (its own clock)
// that arrived at client time now.
func (c *ClockEstimator) AddPing(serverTimeMicros int64, now time.Duration) {
	c.pings.add(time.Duration(serverTimeMicros)*time.Microsecond - now)
	c.update(now)
}

// SetRTT tells the estimator the round trip (the server's smoothed RTT from
// the snapshot header), so ServerTime names the server's current time
// rather than the time of the freshest message. 0 is ignored.
func (c *ClockEstimator) SetRTT(rtt time.Duration, now time.Duration) {
	if rtt <= 0 {
		return
	}
	c.oneWay = rtt / 2
	c.update(now)
}

// ServerTime is the estimated server simulation time at client time now,
// never below 0. Before any sample it is 0.
func (c *ClockEstimator) ServerTime(now time.Duration) sim.TickTime {
	if !c.synced {
		return 0
	}
	return c.tickTime(now + c.offsetAt(now))
}

// ReceiveTime is ServerTime less the one-way delay (RTT/2, once SetRTT was
// called): the server time of a snapshot arriving now, the newest the client
// can hold. An interpolating renderer draws at ReceiveTime less its
// buffering delay, and that is the view time to claim for lag compensation.
func (c *ClockEstimator) ReceiveTime(now time.Duration) sim.TickTime {
	if !c.synced {
		return 0
	}
	return c.tickTime(now + c.offsetAt(now) - c.oneWay)
}

// Synced reports whether any sample has been fed.
func (c *ClockEstimator) Synced() bool { return c.synced }

// Resyncs counts the times the estimator decided the server moved its
// schedule (dropped ticks) and forgot older samples.
func (c *ClockEstimator) Resyncs() int { return c.resyncs }

// Jumps counts corrections applied at once rather than slewed.
func (c *ClockEstimator) Jumps() int { return c.jumps }

// tickTime converts a tick-clock time to a TickTime without overflow.
func (c *ClockEstimator) tickTime(x time.Duration) sim.TickTime {
	if x <= 0 || c.period <= 0 {
		return 0
	}
	whole, frac := x/c.period, x%c.period
	if whole >= time.Duration(^sim.Tick(0)) {
		return lastTickTime // beyond the ticks a sim.Tick can number
	}
	return sim.TickTime(whole)*sim.SubTicks + sim.TickTime(frac*sim.SubTicks/c.period)
}

// offsetAt is the output offset at client time now: the committed offset
// slewed toward the target for the time since it was committed.
func (c *ClockEstimator) offsetAt(now time.Duration) time.Duration {
	step := max(now-c.offAt, 0) / slewDivisor
	return c.offset + min(max(c.target-c.offset, -step), step)
}

// update commits the slew so far, recomputes the target from the filters,
// and jumps to it when the error is large.
func (c *ClockEstimator) update(now time.Duration) {
	if c.synced {
		c.offset = c.offsetAt(now)
		c.offAt = max(c.offAt, now)
	}
	var base time.Duration
	switch {
	case c.haveSnapshot && (now-c.lastSnapshot < snapshotsStale || c.pings.n == 0):
		base = c.ticks.max()
		if c.oneWay > 0 {
			// SRTT/2 is a mean one-way delay: pair it with the median
			// sample, not the least-delayed one, or the estimate runs
			// early by the typical queueing.
			base = c.ticks.median()
		}
	case c.pings.n > 0 && c.haveMapping:
		// Pings are a second apart: too few for a median, so this
		// fallback keeps the least-delay sample even with SetRTT (early
		// by the typical queueing, like ReceiveTime).
		base = c.pings.max() + c.serverToTick
	case c.ticks.n > 0:
		base = c.ticks.max()
	default:
		return
	}
	c.target = base + c.oneWay
	err := c.target - c.offset
	if err < 0 {
		err = -err
	}
	if !c.synced || c.snapshots <= warmupSamples || err > max(2*c.period, minJump) {
		if !c.synced || err != 0 {
			c.jumps++
		}
		c.offset, c.offAt, c.synced = c.target, max(c.offAt, now), true
	}
}

// offsetFilter keeps the last offsetWindow samples of "remote clock - local
// arrival time" and answers their maximum: the least-delayed sample.
type offsetFilter struct {
	buf  [offsetWindow]time.Duration
	n    int // samples held, up to the capacity in use
	next int // index the next sample goes to
	// cap is the capacity in use (offsetWindow for ticks, pingWindow for
	// pings); 0 means offsetWindow.
	size int
	best time.Duration
}

func (f *offsetFilter) capacity() int {
	if f.size == 0 {
		return offsetWindow
	}
	return f.size
}

// add stores a sample, replacing the oldest when full.
func (f *offsetFilter) add(s time.Duration) {
	capacity := f.capacity()
	f.buf[f.next] = s
	f.next = (f.next + 1) % capacity
	f.n = min(f.n+1, capacity)
	f.best = f.scan()
}

// shifted checks whether the newest shiftRun samples all sit more than
// threshold below the window's maximum; if so it forgets every older
// sample and reports true.
func (f *offsetFilter) shifted(threshold time.Duration) bool {
	if f.n <= shiftRun {
		return false
	}
	capacity := f.capacity()
	recent := f.recentMax(shiftRun)
	if recent >= f.best-threshold {
		return false
	}
	var keep [shiftRun]time.Duration
	for i := range shiftRun {
		keep[i] = f.buf[(f.next-shiftRun+i+capacity)%capacity]
	}
	f.n, f.next = 0, 0
	for _, s := range keep {
		f.buf[f.next] = s
		f.next++
		f.n++
	}
	f.best = f.scan()
	return true
}

// recentMax is the maximum of the newest k samples.
func (f *offsetFilter) recentMax(k int) time.Duration {
	capacity := f.capacity()
	m := f.buf[(f.next-1+capacity)%capacity]
	for i := 2; i <= k; i++ {
		m = max(m, f.buf[(f.next-i+capacity)%capacity])
	}
	return m
}

func (f *offsetFilter) scan() time.Duration {
	capacity := f.capacity()
	m := f.buf[(f.next-1+capacity)%capacity]
	for i := 2; i <= f.n; i++ {
		m = max(m, f.buf[(f.next-i+capacity)%capacity])
	}
	return m
}

func (f *offsetFilter) max() time.Duration { return f.best }

// median is the median of the samples held (the upper one of an even
// count); 0 when empty.
func (f *offsetFilter) median() time.Duration {
	var sorted [offsetWindow]time.Duration
	n := f.n
	copy(sorted[:n], f.buf[:n]) // the first n slots are the ones in use
	s := sorted[:n]
	for i := 1; i < len(s); i++ { // insertion sort: n <= 32
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if n == 0 {
		return 0
	}
	return s[n/2]
}
