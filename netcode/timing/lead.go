package timing

import (
	"time"

	"github.com/tickwire/tickwire/sim"
)

// lastTickTime is the start of the last tick a sim.Tick can number.
const lastTickTime = sim.TickTime(^sim.Tick(0)) * sim.SubTicks

// Tuning of the LeadController. See the type's comment for the law.
const (
	// initialMargin is the lead beyond RTT/2 before any feedback: a tick
	// (inputs are labelled on tick boundaries) plus room for jitter.
	initialMarginTicks = 1
	initialMarginExtra = 20 * time.Millisecond
	// raiseTime and lowerTime are the integrator's time constants: lead is
	// gained back four times faster than it is given up, because a late
	// input costs a misprediction and an early one only latency.
	raiseTime = 500 * time.Millisecond
	lowerTime = 2 * time.Second
	// maxErrorTicks caps the error one report integrates, in ticks.
	maxErrorTicks = 3
	// maxFeedbackStep bounds the time one feedback integrates over, so a
	// report after a long silence cannot kick the lead.
	maxFeedbackStep = 100 * time.Millisecond
	// leadSlewDivisor limits how fast the applied lead follows its target:
	// at most 1/leadSlewDivisor (10%) of elapsed time, so the input clock
	// runs between 0.9x and 1.1x and never backwards.
	leadSlewDivisor = 10
	// maxLead caps the lead; the server drops inputs more than 64 ticks
	// ahead, and no sane path needs more than a second.
	maxLead      = time.Second
	maxLeadTicks = 48
)

// LeadController runs the client's input clock: it decides which tick each
// input is labelled with, so inputs reach the server a little before the
// ticks that need them.
//
// The input clock is the estimated server time plus a lead. Tick t is due
// for labelling once the input clock reaches t's start; an input sent then
// arrives at the server about (lead - uplink delay) before t is due.
//
// Control law. The lead's target is RTT/2 (a feed-forward of the measured
// one-way delay) plus a bias that integrates the server's feedback:
// Header.InputLead, a conservative figure of how early inputs arrive (the
// InputTimer's mean less three deviations; negative means late). Each
// feedback adds (safety - inputLead) * dt / T to the bias, where dt is the
// time since the previous feedback (at most 100ms) and T is 0.5s when
// inputs are too late and 2s when they are earlier than needed: lateness is
// fixed fast, surplus lead is given back slowly. The safety margin is an
// eighth of a tick. The error is capped at three ticks a report (a stall
// makes inputs a second late, which is not a lead the path needs), and
// while the applied lead is still slewing toward the target, errors in the
// direction it is moving are not integrated (anti-windup: the reports
// cannot show the effect yet).
//
// The bias starts at one tick plus 20ms (a tick for labelling on tick
// boundaries, 20ms for jitter). Feedback from the first round trip after
// labelling starts is ignored: it describes inputs sent before the
// controller had a say, or none. The lead applied follows the target at no
// more than 10% of elapsed time, so the input clock never jumps and never
// runs backwards by itself; the target is clamped to [0, min(1s, 48 ticks)].
//
// Because the bias absorbs whatever the feed-forward misses, the controller
// works whether or not the clock estimator adds RTT/2 itself (with
// ClockEstimator.SetRTT the bias settles near the jitter margin; without it,
// near RTT/2 plus the margin).
//
// NextInputTick hands out every tick exactly once, in order. When the
// estimated server time has passed the next tick (a stall: the game loop
// paused, or the clock estimate jumped forward), the ticks the server has
// already run are skipped, since their inputs could only arrive late; the
// rest are handed out back to back. When the input clock goes backwards (a
// backward clock correction), nothing is handed out until it catches up.
//
// It is not safe for concurrent use.
type LeadController struct {
	period time.Duration
	safety time.Duration
	rtt    time.Duration
	bias   time.Duration
	// lead is the applied lead, committed at client time leadSince.
	lead, leadSince time.Duration
	next            sim.Tick // next tick to hand out; 0 until the first
	started         bool
	firstAt         time.Duration // client time of the first label
	feedbackAt      time.Duration
	haveFeedback    bool
	skipped         uint64
}

// NewLeadController returns a controller for a server ticking tickRate
// times a second (values below 1 count as 1).
func NewLeadController(tickRate int) LeadController {
	period := time.Second / time.Duration(max(tickRate, 1))
	bias := initialMarginTicks*period + initialMarginExtra
	return LeadController{
		period: period,
		safety: period / 8,
		bias:   bias,
		lead:   bias,
	}
}

// NextInputTick returns the next tick due for labelling at client time now,
// given the estimated server time, and false when none is due yet. Call it
// in a loop until false: after a pause several ticks may be due.
func (l *LeadController) NextInputTick(now time.Duration, serverTime sim.TickTime) (sim.Tick, bool) {
	lead := l.leadAt(now)
	l.lead, l.leadSince = lead, max(l.leadSince, now)
	// Clamp to the ticks that exist, so an absurd estimate cannot wrap a
	// tick number and hand one out twice.
	serverTime = min(max(serverTime, 0), lastTickTime)
	clock := min(serverTime+l.toTickTime(lead), lastTickTime)
	if !l.started {
		t := max(sim.Tick(max(clock, 0)/sim.SubTicks), 1)
		if t.Time() > clock {
			return 0, false
		}
		l.started, l.firstAt, l.next = true, now, t+1
		return t, true
	}
	if l.next == 0 || l.next.Time() > clock {
		return 0, false // 0: every tick has been handed out
	}
	if l.next.Time() <= serverTime {
		// The server has run this tick already (by our estimate): its
		// input could only arrive late. Skip to the first tick it has not.
		first := sim.Tick(serverTime/sim.SubTicks) + 1
		l.skipped += uint64(first - l.next)
		l.next = first
		if l.next == 0 || l.next.Time() > clock {
			return 0, false
		}
	}
	t := l.next
	l.next++
	return t, true
}

// Feedback feeds the figures of a snapshot header received at client time
// now: inputLead (Header.InputLead; 0 means the server has no measurement
// yet and is ignored) and rtt (Header.RTT; 0 means not measured yet).
func (l *LeadController) Feedback(inputLead, rtt time.Duration, now time.Duration) {
	if rtt > 0 {
		l.rtt = rtt
	}
	// The first round trip after labelling starts reports on inputs sent
	// before this controller had any say, or on none at all.
	settle := max(l.rtt, 100*time.Millisecond) + 4*l.period
	if inputLead == 0 || !l.started || now-l.firstAt < settle {
		l.feedbackAt, l.haveFeedback = now, true
		return
	}
	dt := maxFeedbackStep
	if l.haveFeedback {
		dt = min(max(now-l.feedbackAt, 0), maxFeedbackStep)
	}
	l.feedbackAt, l.haveFeedback = now, true
	// A stall shows up as inputs a whole second late; that is not a
	// lead the path needs, so one report moves the bias at most as far as
	// a few ticks' error would.
	limit := maxErrorTicks * l.period
	errLead := min(max(l.safety-inputLead, -limit), limit)
	// Anti-windup: while the applied lead is still slewing toward the
	// target, reports cannot show the target's effect yet; integrating
	// them would overshoot.
	lead := l.leadAt(now)
	if (errLead > 0 && lead < l.Target()-l.period/4) || (errLead < 0 && lead > l.Target()+l.period/4) {
		return
	}
	tc := lowerTime
	if errLead > 0 {
		tc = raiseTime
	}
	l.bias += time.Duration(int64(errLead) * int64(dt) / int64(tc))
	// Keep the bias where the target clamp would not hide it, so it never
	// winds up beyond what the lead can express.
	l.bias = min(max(l.bias, -l.rtt/2), l.maxLead())
}

// Lead is the lead applied at client time now.
func (l *LeadController) Lead(now time.Duration) time.Duration { return l.leadAt(now) }

// Target is the lead the controller is steering to.
func (l *LeadController) Target() time.Duration {
	return min(max(l.rtt/2+l.bias, 0), l.maxLead())
}

// Skipped counts ticks skipped because the server had run them already.
func (l *LeadController) Skipped() uint64 { return l.skipped }

func (l *LeadController) maxLead() time.Duration {
	return min(maxLead, maxLeadTicks*l.period)
}

// leadAt is the committed lead slewed toward the target for the time since.
func (l *LeadController) leadAt(now time.Duration) time.Duration {
	target := l.Target()
	if !l.started {
		return target // nothing labelled yet: no clock to keep smooth
	}
	step := max(now-l.leadSince, 0) / leadSlewDivisor
	return l.lead + min(max(target-l.lead, -step), step)
}

func (l *LeadController) toTickTime(d time.Duration) sim.TickTime {
	if l.period <= 0 {
		return 0
	}
	return sim.TickTime(d * sim.SubTicks / l.period)
}
