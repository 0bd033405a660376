package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// timeline samples the swarm every cfg.Sample for the charts and draws the
// progress line. Only its own goroutine touches it until finish.
type timeline struct {
	sw     *swarm
	cfg    config
	prev   counters
	points []point

	windowStart, windowEnd time.Duration // set by markWindow (racy-safe: see markWindow)
	marks                  chan [2]time.Duration

	lastPrinted time.Duration
	lineWidth   int
}

func newTimeline(sw *swarm, cfg config) *timeline {
	return &timeline{sw: sw, cfg: cfg, marks: make(chan [2]time.Duration, 4)}
}

// markWindow tells the progress line which phase the run is in; it is
// called from the run goroutine, hence the channel.
func (tl *timeline) markWindow(start, end time.Duration) {
	select {
	case tl.marks <- [2]time.Duration{start, end}:
	default:
	}
}

func (tl *timeline) run(ctx context.Context) {
	tl.prev = tl.sw.counters()
	t := time.NewTicker(tl.cfg.Sample)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			tl.sample()
			return
		case <-t.C:
			tl.sample()
		}
	}
}

// sample adds one point: the figures since the previous sample.
func (tl *timeline) sample() {
	for drained := false; !drained; {
		select {
		case m := <-tl.marks:
			tl.windowStart, tl.windowEnd = m[0], m[1]
		default:
			drained = true
		}
	}
	c := tl.sw.counters()
	secs := (c.at - tl.prev.at).Seconds()
	if secs < tl.cfg.Sample.Seconds()/2 {
		return // the partial interval left when sampling stops is too short for a rate
	}
	rtt := c.rtt.Sub(tl.prev.rtt)
	iv := c.interval.Sub(tl.prev.interval)
	p := point{
		T:                roundTo(c.at.Seconds(), 2),
		Connected:        c.connected,
		Failed:           tl.sw.m.dialFailed.Load() + tl.sw.m.dropped.Load(),
		RTTP50:           quantileMs(rtt, 0.5),
		RTTP99:           quantileMs(rtt, 0.99),
		IntervalP50:      quantileMs(iv, 0.5),
		IntervalP99:      quantileMs(iv, 0.99),
		SnapshotsPerS:    roundTo(float64(c.snapshots-tl.prev.snapshots)/secs, 1),
		BytesPerS:        roundTo(float64(c.bytes-tl.prev.bytes)/secs, 0),
		LoadbotsCPUCores: roundTo((c.cpu-tl.prev.cpu).Seconds()/secs, 3),
	}
	tl.points = append(tl.points, p)
	tl.prev = c
	tl.progress(p, c.at)
}

// progress draws the live line: redrawn in place on a terminal, else one
// line every cfg.ProgressEvery.
func (tl *timeline) progress(p point, now time.Duration) {
	w := tl.cfg.Progress
	if w == nil {
		return
	}
	if !tl.cfg.ProgressTTY && now-tl.lastPrinted < tl.cfg.ProgressEvery && tl.lastPrinted != 0 {
		return
	}
	tl.lastPrinted = now
	phase := "joining"
	switch {
	case tl.windowEnd > 0:
		phase = "closing"
	case tl.windowStart > 0:
		phase = fmt.Sprintf("measuring %.0f/%.0fs", (now - tl.windowStart).Seconds(), tl.cfg.Duration.Seconds())
	case p.Connected+p.Failed >= int64(tl.cfg.Bots):
		phase = "warm-up"
	}
	line := fmt.Sprintf("%6.1fs %-16s connected %d/%d  failed %d  snapshots/s %.0f  MB/s %.2f  p99 rtt %s ms  p99 gap %s ms  cpu %.2f",
		p.T, phase, p.Connected, tl.cfg.Bots, p.Failed, p.SnapshotsPerS, p.BytesPerS/1e6, f(p.RTTP99), f(p.IntervalP99), p.LoadbotsCPUCores)
	if tl.cfg.ProgressTTY {
		pad := max(tl.lineWidth-len(line), 0)
		tl.lineWidth = len(line)
		fmt.Fprintf(w, "\r%s%*s", line, pad, "")
		return
	}
	fmt.Fprintln(w, line)
}

// finish ends the in-place line.
func (tl *timeline) finish() {
	if tl.cfg.ProgressTTY && tl.cfg.Progress != nil && tl.lineWidth > 0 {
		io.WriteString(tl.cfg.Progress, "\n")
	}
}
