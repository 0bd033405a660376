package timing_test

import (
	"math/rand/v2"
	"sort"
	"time"

	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

// netSim is a deterministic simulation of one client and one server room
// joined by a TCP-like path (in order, with delay and jitter), driving the
// timing package the way netcode.Client and the server do. Times are client
// time; the server's clock is client time + serverOffset, and tick t is due
// at server time epoch + t*period.
type netSim struct {
	// Configuration, set before run.
	tickRate     int
	rtt          time.Duration // base round trip, split evenly
	jitter       time.Duration // each one-way delay is base ± jitter (uniform)
	frame        time.Duration // the client's game-loop period
	duration     time.Duration
	warmup       time.Duration // inputs for ticks due before this are not scored
	setRTT       bool          // the client feeds Header.RTT to the clock
	pingEvery    time.Duration
	clientStalls []span // the client runs no frames (tab hidden, GC storm)
	netStalls    []span // nothing is delivered during these (both ways)
	epochShifts  []shift
	rttSteps     []rttStep // the base round trip changes (a route change)
	seed         uint64

	// Results.
	inputs, onTime   int
	leadSum          time.Duration
	labelled         []sim.Tick
	clockErrs        []time.Duration // |estimate - truth| per frame after warmup
	clockErrAt       []time.Duration // client time of each clockErrs entry
	maxBackward      sim.TickTime    // largest backward step of ServerTime between frames
	lateAfter        map[time.Duration]int
	clock            timing.ClockEstimator
	lead             timing.LeadController
	serverOffset     time.Duration
	epoch            time.Duration // server time
	period           time.Duration
	rng              *rand.Rand
	lastDown, lastUp time.Duration
}

type span struct{ from, to time.Duration }

type rttStep struct {
	at  time.Duration // client time
	rtt time.Duration
}

// rttAt is the base round trip at client time c.
func (s *netSim) rttAt(c time.Duration) time.Duration {
	rtt := s.rtt
	for _, st := range s.rttSteps {
		if c >= st.at {
			rtt = st.rtt
		}
	}
	return rtt
}

type shift struct {
	at time.Duration // client time
	by time.Duration // the server's epoch moves this much later
}

type downMsg struct {
	arrive    time.Duration
	ping      bool
	serverUS  int64
	tick      sim.Tick
	sendDelay time.Duration
	inputLead time.Duration
	rtt       time.Duration
}

type upMsg struct {
	arrive time.Duration // client time
	ticks  []sim.Tick
}

func (s *netSim) delay(send time.Duration, last *time.Duration) time.Duration {
	d := s.rttAt(send) / 2
	if s.jitter > 0 {
		d += time.Duration(s.rng.Int64N(int64(2*s.jitter)+1)) - s.jitter
	}
	at := send + max(d, 0)
	for _, st := range s.netStalls {
		if at >= st.from && at < st.to {
			at = st.to
		}
	}
	at = max(at, *last) // TCP keeps order
	*last = at
	return at
}

// serverDue is the client time at which tick t is due.
func (s *netSim) serverDue(t sim.Tick) time.Duration {
	return s.epoch + time.Duration(t)*s.period - s.serverOffset
}

// trueServerTime is the server's tick clock at client time c, as TickTime.
func (s *netSim) trueServerTime(c time.Duration) sim.TickTime {
	x := c + s.serverOffset - s.epoch
	return sim.TickTime(x/s.period)*sim.SubTicks + sim.TickTime(x%s.period*sim.SubTicks/s.period)
}

func (s *netSim) stalled(c time.Duration) bool {
	for _, st := range s.clientStalls {
		if c >= st.from && c < st.to {
			return true
		}
	}
	return false
}

func (s *netSim) run() {
	s.rng = rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))
	s.lastDown, s.lastUp = 0, 0
	s.inputs, s.onTime, s.leadSum, s.labelled, s.clockErrs, s.clockErrAt, s.maxBackward = 0, 0, 0, nil, nil, nil, 0
	s.period = time.Second / time.Duration(s.tickRate)
	s.serverOffset = 7*time.Second + time.Duration(s.rng.Int64N(int64(time.Second)))
	s.epoch = time.Duration(s.rng.Int64N(int64(time.Second)))
	if s.frame == 0 {
		s.frame = time.Second / 60
	}
	if s.pingEvery == 0 {
		s.pingEvery = time.Second
	}
	s.lateAfter = map[time.Duration]int{}
	s.clock = timing.NewClockEstimator(s.tickRate)
	s.lead = timing.NewLeadController(s.tickRate)

	var (
		down        []downMsg
		up          []upMsg
		timer       timing.InputTimer
		rttEst      timing.RTTEstimator
		newest      sim.Tick
		tick        sim.Tick
		nextPing    time.Duration
		nextFrame   time.Duration
		lastST      sim.TickTime
		haveLastST  bool
		shiftsDone  int
		serverTicks = func() sim.Tick { return tick }
	)
	// Join: the server answers at the tick after the client's join lands.
	joinAt := s.rtt/2 + 5*time.Millisecond
	for s.serverDue(tick+1) <= joinAt {
		tick++
	}
	welcome := downMsg{arrive: s.delay(joinAt, &s.lastDown), tick: tick,
		serverUS: (s.epoch + time.Duration(tick)*s.period).Microseconds()}
	s.clock.AddWelcome(welcome.tick, welcome.serverUS, welcome.arrive)
	nextFrame = welcome.arrive
	nextPing = joinAt + s.pingEvery

	for nextFrame < s.duration {
		nextTick := s.serverDue(tick + 1)
		if nextTick <= nextFrame {
			// Server tick: take the inputs that arrived, step, send.
			now := nextTick
			if shiftsDone < len(s.epochShifts) && now >= s.epochShifts[shiftsDone].at {
				s.epoch += s.epochShifts[shiftsDone].by
				shiftsDone++
				continue
			}
			for len(up) > 0 && up[0].arrive <= now {
				for _, t := range up[0].ticks {
					if t <= newest {
						continue
					}
					newest = t
					due := s.serverDue(t)
					timer.Add(due+s.serverOffset, up[0].arrive+s.serverOffset)
					if due >= s.warmup {
						s.inputs++
						if t > serverTicks() {
							s.onTime++
							s.leadSum += due - up[0].arrive
						} else {
							s.lateAfter[(due/time.Second)*time.Second]++
						}
					}
				}
				up = up[1:]
			}
			tick++
			rttEst.Add(s.rttAt(now) + time.Duration(s.rng.Int64N(int64(2*s.jitter)+1)) - s.jitter)
			sendDelay := time.Duration(s.rng.Int64N(int64(2 * time.Millisecond)))
			down = append(down, downMsg{arrive: s.delay(now+sendDelay, &s.lastDown), tick: tick,
				sendDelay: sendDelay, inputLead: timer.Lead(), rtt: rttEst.SRTT()})
			if now >= nextPing {
				nextPing += s.pingEvery
				down = append(down, downMsg{arrive: s.delay(now, &s.lastDown), ping: true,
					serverUS: (now + s.serverOffset).Microseconds()})
				sort.SliceStable(down, func(i, j int) bool { return down[i].arrive < down[j].arrive })
			}
			continue
		}
		// Client frame.
		now := nextFrame
		nextFrame += s.frame + time.Duration(s.rng.Int64N(int64(2*time.Millisecond)))
		if s.stalled(now) {
			continue
		}
		for len(down) > 0 && down[0].arrive <= now {
			m := down[0]
			down = down[1:]
			if m.ping {
				s.clock.AddPing(m.serverUS, m.arrive)
				continue
			}
			s.clock.AddSnapshot(m.tick, m.sendDelay, m.arrive)
			if s.setRTT {
				s.clock.SetRTT(m.rtt, m.arrive)
			}
			s.lead.Feedback(m.inputLead, m.rtt, m.arrive)
		}
		st := s.clock.ServerTime(now)
		if haveLastST && st < lastST && now >= s.warmup {
			s.maxBackward = max(s.maxBackward, lastST-st)
		}
		lastST, haveLastST = st, true
		if now >= s.warmup {
			truth := s.trueServerTime(now)
			if !s.setRTT {
				truth = s.trueServerTime(now - s.rttAt(now)/2)
			}
			e := time.Duration(st-truth) * s.period / sim.SubTicks
			s.clockErrs = append(s.clockErrs, max(e, -e))
			s.clockErrAt = append(s.clockErrAt, now)
		}
		var frame []sim.Tick
		for {
			t, ok := s.lead.NextInputTick(now, st)
			if !ok {
				break
			}
			frame = append(frame, t)
			s.labelled = append(s.labelled, t)
		}
		if len(frame) > 0 {
			up = append(up, upMsg{arrive: s.delay(now, &s.lastUp), ticks: frame})
		}
	}
}

func (s *netSim) onTimeRate() float64 { return float64(s.onTime) / float64(max(s.inputs, 1)) }

func (s *netSim) meanLead() time.Duration {
	return s.leadSum / time.Duration(max(s.onTime, 1))
}

// clockErrQuantile is the q-quantile of the absolute clock error.
func (s *netSim) clockErrQuantile(q float64) time.Duration {
	e := append([]time.Duration(nil), s.clockErrs...)
	sort.Slice(e, func(i, j int) bool { return e[i] < e[j] })
	if len(e) == 0 {
		return 0
	}
	return e[int(q*float64(len(e)-1))]
}
