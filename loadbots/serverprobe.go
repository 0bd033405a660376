package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/loadbots/internal/procstat"
	"github.com/tickwire/tickwire/loadbots/internal/promtext"
)

// Names of the server metrics loadbots reads.
const (
	metricTick      = "tickwire_tick_duration_seconds"
	metricCPU       = "process_cpu_seconds_total"
	metricRSS       = "process_resident_memory_bytes"
	metricOverrun   = "tickwire_ticks_overrun_total"
	metricReplaced  = "tickwire_snapshots_replaced_total"
	metricSnapBytes = "tickwire_snapshot_bytes_total"
	metricPlayers   = "tickwire_players"
)

// serverProbe reads the server's figures at a moment: from /metrics when
// reachable, and from /proc when the server's pid is known.
type serverProbe struct {
	metricsURL string // "" or "off": none
	pid        int
	client     *http.Client
}

// serverReading is one probe; a nil part was unavailable.
type serverReading struct {
	at      time.Time
	metrics *promtext.Metrics
	proc    *procstat.Process
}

func newServerProbe(metricsURL string, pid int) *serverProbe {
	if metricsURL == "off" {
		metricsURL = ""
	}
	return &serverProbe{metricsURL: metricsURL, pid: pid, client: &http.Client{Timeout: 5 * time.Second}}
}

// read probes the server; errors are returned for the report's warnings,
// and what could be read is kept.
func (p *serverProbe) read(ctx context.Context) (serverReading, []error) {
	r := serverReading{at: time.Now()}
	var errs []error
	if p.pid != 0 {
		pr, err := procstat.Read(p.pid)
		if err != nil {
			errs = append(errs, fmt.Errorf("server pid %d: %w", p.pid, err))
		} else {
			r.proc = &pr
		}
	}
	if p.metricsURL != "" {
		m, err := promtext.Scrape(ctx, p.client, p.metricsURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("server metrics: %w", err))
		} else {
			r.metrics = m
		}
	}
	return r, errs
}

// serverFigures turns the readings at the start and end of the window
// (and before any bot joined) into the report's server section. players
// are the bots connected at the window's end, for per-player figures.
func serverFigures(idle, start, end serverReading, players int) serverReport {
	var s serverReport
	secs := end.at.Sub(start.at).Seconds()
	if start.metrics != nil && end.metrics != nil {
		b1, ok1 := end.metrics.Histogram(metricTick)
		b0, ok0 := start.metrics.Histogram(metricTick)
		if ok1 && ok0 {
			w := promtext.SubBuckets(b1, b0)
			s.TickMs.P50 = msOrNil(promtext.Quantile(0.5, w) * 1000)
			s.TickMs.P99 = msOrNil(promtext.Quantile(0.99, w) * 1000)
		}
		if d, ok := delta(start.metrics, end.metrics, metricOverrun); ok {
			s.TicksOverrun = &d
		}
		if d, ok := delta(start.metrics, end.metrics, metricReplaced); ok {
			s.SnapshotsReplaced = &d
		}
		if d, ok := delta(start.metrics, end.metrics, metricSnapBytes); ok && players > 0 && secs > 0 {
			s.SnapshotBytesPerClientPerS = round(d/float64(players)/secs, 1)
		}
	}
	switch {
	case start.proc != nil && end.proc != nil && secs > 0:
		s.CPUCores = round((end.proc.CPU-start.proc.CPU).Seconds()/secs, 3)
		s.CPUSource = "proc"
	case start.metrics != nil && end.metrics != nil && secs > 0:
		c0, ok0 := start.metrics.Value(metricCPU)
		c1, ok1 := end.metrics.Value(metricCPU)
		if ok0 && ok1 {
			s.CPUCores = round((c1-c0)/secs, 3)
			s.CPUSource = "metrics"
		}
	}
	rssEnd, rssIdle := rssOf(end), rssOf(idle)
	s.RSSMB = mb(rssEnd)
	s.RSSIdleMB = mb(rssIdle)
	if rssEnd != nil && rssIdle != nil && players > 0 {
		s.RSSKBPerPlayer = round(float64(*rssEnd-*rssIdle)/1024/float64(players), 1)
	}
	if s.CPUCores != nil && players > 0 {
		s.CPUMicrosPerClientPerS = round(*s.CPUCores*1e6/float64(players), 1)
	}
	return s
}

func delta(a, b *promtext.Metrics, name string) (float64, bool) {
	x, ok1 := a.Sum(name)
	y, ok2 := b.Sum(name)
	return y - x, ok1 && ok2
}

// rssOf prefers /proc (what the peers' harnesses read) over /metrics.
func rssOf(r serverReading) *int64 {
	if r.proc != nil {
		return &r.proc.RSSBytes
	}
	if r.metrics != nil {
		if v, ok := r.metrics.Value(metricRSS); ok {
			n := int64(v)
			return &n
		}
	}
	return nil
}

func mb(b *int64) *float64 {
	if b == nil {
		return nil
	}
	return round(float64(*b)/(1<<20), 1)
}

// msOrNil rounds a figure in ms to µs, nil when not a number.
func msOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return round(v, 3)
}

// round returns v rounded to digits decimals, as a pointer for the report's
// nullable fields.
func round(v float64, digits int) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	p := math.Pow(10, float64(digits))
	r := math.Round(v*p) / p
	return &r
}
