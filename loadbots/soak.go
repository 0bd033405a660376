package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Names of the server metrics a soak follows.
const (
	metricGoroutines = "go_goroutines"
	metricHeapInuse  = "go_memstats_heap_inuse_bytes"
	metricGCTarget   = "go_memstats_next_gc_bytes"
)

// soakSample is the server's resources at one moment of the window.
type soakSample struct {
	at                    time.Duration // since the window opened
	goroutines, heap, rss float64
	gcTarget              float64
	connected             int64
}

// soakSampler reads the server's /metrics every so often during the
// window, on its own goroutine, until stop.
type soakSampler struct {
	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
	samples  []soakSample // written by the goroutine; read after done
	errs     int
}

func startSoak(ctx context.Context, sw *swarm, probe *serverProbe, every time.Duration) *soakSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &soakSampler{cancel: cancel, done: make(chan struct{})}
	opened := time.Now()
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			r, errs := probe.read(ctx)
			if r.metrics != nil {
				g, ok1 := r.metrics.Value(metricGoroutines)
				h, ok2 := r.metrics.Value(metricHeapInuse)
				rss, ok3 := r.metrics.Value(metricRSS)
				gc, ok4 := r.metrics.Value(metricGCTarget)
				if ok1 && ok2 && ok3 && ok4 {
					s.samples = append(s.samples, soakSample{
						at: time.Since(opened), goroutines: g, heap: h, rss: rss, gcTarget: gc,
						connected: sw.m.connected.Load(),
					})
				}
			}
			if len(errs) > 0 {
				s.errs++
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling (after one last sample is taken, if one is under
// way) and returns the samples.
func (s *soakSampler) stop() []soakSample {
	s.stopOnce.Do(s.cancel)
	<-s.done
	return s.samples
}

// soakEvery is how often a soak samples the server: about 24 samples a
// window, between one and ten seconds apart.
func soakEvery(window time.Duration) time.Duration {
	return min(max(window/24, time.Second), 10*time.Second)
}

// soakReport says whether the server's goroutines, heap and RSS stayed
// flat over the window while bots came and went.
type soakReport struct {
	ChurnPerS      float64    `json:"churn_per_s"`
	Rejoined       int64      `json:"rejoined"`
	RejoinFailures int64      `json:"rejoin_failures"`
	ChurnSkipped   int64      `json:"churn_skipped"`
	Samples        int        `json:"samples"`
	SampleEveryS   float64    `json:"sample_every_s"`
	ConnectedStart int64      `json:"connected_start"`
	ConnectedEnd   int64      `json:"connected_end"`
	Goroutines     soakFigure `json:"goroutines"`
	HeapInuseMB    soakFigure `json:"heap_inuse_mb"`
	GCTargetMB     soakFigure `json:"gc_target_mb"`
	RSSMB          soakFigure `json:"rss_mb"`
	Flat           bool       `json:"flat"`
	Verdict        string     `json:"verdict"`
}

// soakFigure is one resource at the window's start and end (each over the
// first and last quarter of the samples: the median of goroutines and RSS,
// the least heap, which is the live heap after a collection), its largest
// sample, and whether the end stays within the tolerance of the start.
type soakFigure struct {
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Max       float64 `json:"max"`
	Tolerance string  `json:"tolerance"`
	Flat      bool    `json:"flat"`
}

// soakFigures judges the samples. Goroutines are flat when the end is
// within 2% (at least 10) of the start, adjusted for the bots connected
// (each connection has a fixed number of goroutines, and a few rejoins are
// always in flight); the heap and RSS when the end is at most 10% (plus
// 4 MB of heap, 8 MB of RSS) above the start.
//
// The heap is judged by the collector's next target
// (go_memstats_next_gc_bytes), which the runtime sets from the live heap
// after each collection: heap in use (reported too) swings between the
// live heap and that target with every cycle, and a server of a few
// hundred players collects only every ten seconds or so, so samples of it
// minutes apart differ by up to the whole swing without anything leaking
// (measured: 12.6 -> 18.7 MB in a 2-minute soak whose heap profiles,
// taken after a forced collection, differ by under 1 MB).
func soakFigures(samples []soakSample, every time.Duration) *soakReport {
	r := &soakReport{Samples: len(samples), SampleEveryS: every.Seconds()}
	if len(samples) < 2 {
		r.Verdict = fmt.Sprintf("too few samples (%d) to judge", len(samples))
		return r
	}
	span := max(len(samples)/4, 1)
	first, last := samples[:span], samples[len(samples)-span:]
	pick := func(ss []soakSample, f func(soakSample) float64, agg func([]float64) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		return agg(v)
	}
	largest := func(f func(soakSample) float64) float64 {
		return pick(samples, f, slices.Max[[]float64])
	}
	r.ConnectedStart = int64(pick(first, func(s soakSample) float64 { return float64(s.connected) }, median))
	r.ConnectedEnd = int64(pick(last, func(s soakSample) float64 { return float64(s.connected) }, median))

	gor := func(s soakSample) float64 { return s.goroutines }
	g := soakFigure{Start: pick(first, gor, median), End: pick(last, gor, median), Max: largest(gor), Tolerance: "±2% (at least 10), per connected bot"}
	perBot := 0.0
	if r.ConnectedStart > 0 {
		perBot = g.Start / float64(r.ConnectedStart)
	}
	expected := g.Start + perBot*float64(r.ConnectedEnd-r.ConnectedStart)
	g.Flat = abs(g.End-expected) <= max(0.02*g.Start, 10)
	r.Goroutines = g

	heap := func(s soakSample) float64 { return s.heap / (1 << 20) }
	h := soakFigure{Start: pick(first, heap, slices.Min[[]float64]), End: pick(last, heap, slices.Min[[]float64]), Max: largest(heap),
		Tolerance: "shown, not judged: swings with GC cycles"}
	h.Flat = h.End <= 1.1*h.Start+4
	r.HeapInuseMB = roundFigure(h)
	gcTarget := func(s soakSample) float64 { return s.gcTarget / (1 << 20) }
	gt := soakFigure{Start: pick(first, gcTarget, median), End: pick(last, gcTarget, median), Max: largest(gcTarget), Tolerance: "+10% + 4 MB"}
	gt.Flat = gt.End <= 1.1*gt.Start+4
	r.GCTargetMB = roundFigure(gt)

	rss := func(s soakSample) float64 { return s.rss / (1 << 20) }
	m := soakFigure{Start: pick(first, rss, median), End: pick(last, rss, median), Max: largest(rss), Tolerance: "+10% + 8 MB"}
	m.Flat = m.End <= 1.1*m.Start+8
	r.RSSMB = roundFigure(m)

	r.Flat = g.Flat && gt.Flat && m.Flat
	r.Verdict = "flat"
	if !r.Flat {
		var grew []string
		for _, x := range []struct {
			name string
			f    soakFigure
		}{{"goroutines", r.Goroutines}, {"heap (GC target)", r.GCTargetMB}, {"RSS", r.RSSMB}} {
			if !x.f.Flat {
				grew = append(grew, fmt.Sprintf("%s %.1f -> %.1f", x.name, x.f.Start, x.f.End))
			}
		}
		r.Verdict = "NOT flat: " + fmt.Sprint(grew)
	}
	return r
}

func roundFigure(f soakFigure) soakFigure {
	f.Start, f.End, f.Max = roundTo(f.Start, 1), roundTo(f.End, 1), roundTo(f.Max, 1)
	return f
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
