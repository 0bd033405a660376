package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tickwire/tickwire/loadbots/internal/histogram"
	"github.com/tickwire/tickwire/loadbots/internal/procstat"
)

// busyCore is the share of one core above which the bots' own figures are
// suspect: then they measure the load generator, not the server.
const busyCore = 0.9

// otherBusy is how much CPU besides the server, the bots and the kernel's
// network work makes a run suspect.
const otherBusy = 0.15

// run performs one load run: probe the idle server, join the bots, warm
// up, measure for cfg.Duration, close the bots, and report. It writes
// cfg.JSONPath and cfg.HTMLPath when set. main and the tests both call it.
func run(ctx context.Context, cfg config) (*report, error) {
	sc, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if sc.Name == "accuracy" {
		return nil, fmt.Errorf("%w: accuracy runs through runAccuracy", ErrUnsupportedScenario)
	}
	if cfg.RoomPrefix == "" {
		cfg.RoomPrefix = fmt.Sprintf("lb%x-", time.Now().UnixNano()&0xffffff)
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	started := time.Now()
	var warnings []string
	warn := func(errs []error) {
		for _, e := range errs {
			warnings = appendOnce(warnings, e.Error())
		}
	}
	probe := newServerProbe(cfg.MetricsURL, cfg.ServerPID)
	idle, errs := probe.read(ctx)
	warn(errs)

	sw := newSwarm(cfg, sc)
	tl := newTimeline(sw, cfg)
	runCtx, stopBots := context.WithCancel(ctx)
	defer stopBots()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	sampling.Go(func() { tl.run(sampleCtx) })

	runErr := sw.dialAll(runCtx)
	joined := sw.now()
	var churning sync.WaitGroup
	if runErr == nil {
		churning.Go(func() { sw.churn(runCtx) })
	}
	var rep *report
	if runErr == nil {
		rep, runErr = measure(runCtx, sw, tl, probe, idle)
	}
	stopBots()
	churning.Wait()
	sw.stop()
	stopSampling()
	sampling.Wait()
	tl.finish()
	if runErr != nil {
		return nil, runErr
	}

	rep.StartedAt = started.UTC().Format(time.RFC3339)
	rep.JoinS = roundTo(joined.Seconds(), 2)
	rep.Timeline = tl.points
	for _, w := range rep.Warnings {
		warnings = appendOnce(warnings, w)
	}
	rep.Warnings = warnings
	if cfg.JSONPath != "" {
		if err := rep.writeJSON(cfg.JSONPath); err != nil {
			return rep, fmt.Errorf("writing -json: %w", err)
		}
	}
	if cfg.HTMLPath != "" {
		if err := rep.writeHTML(cfg.HTMLPath); err != nil {
			return rep, fmt.Errorf("writing -html: %w", err)
		}
	}
	return rep, nil
}

// counters is the swarm's totals at one moment.
type counters struct {
	at                                         time.Duration
	cpu                                        time.Duration
	snapshots, bytes, inputs, frames, repeated uint64
	rtt, inputLatency, interval, serverRTT     histogram.Snapshot
	connected, dialFailed, dropped             int64
}

func (sw *swarm) counters() counters {
	m := sw.m
	cpu, _ := procstat.SelfCPU()
	return counters{
		at:           sw.now(),
		cpu:          cpu,
		snapshots:    m.snapshots.Load(),
		bytes:        m.bytes.Load(),
		inputs:       m.inputs.Load(),
		frames:       m.frames.Load(),
		repeated:     m.repeated.Load(),
		rtt:          m.rtt.Snapshot(),
		inputLatency: m.inputLatency.Snapshot(),
		interval:     m.interval.Snapshot(),
		serverRTT:    m.serverRTT.Snapshot(),
		connected:    m.connected.Load(),
		dialFailed:   m.dialFailed.Load(),
		dropped:      m.dropped.Load(),
	}
}

// measure warms up, then takes the window's figures.
func measure(ctx context.Context, sw *swarm, tl *timeline, probe *serverProbe, idle serverReading) (*report, error) {
	cfg := sw.cfg
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return nil, err
	}
	var warnings []string
	srv0, errs := probe.read(ctx)
	for _, e := range errs {
		warnings = appendOnce(warnings, e.Error())
	}
	mach0, machErr := procstat.ReadMachine()
	c0 := sw.counters()
	tl.markWindow(c0.at, 0)
	var soak *soakSampler
	if cfg.Soak {
		soak = startSoak(ctx, sw, probe, soakEvery(cfg.Duration))
	}
	// An interrupt (Ctrl-C) during the window still reports what was
	// measured until then.
	interrupted := sleep(ctx, cfg.Duration) != nil
	c1 := sw.counters()
	var soakRep *soakReport
	if soak != nil {
		soakRep = soakFigures(soak.stop(), soakEvery(cfg.Duration))
		soakRep.ChurnPerS = cfg.Churn
		soakRep.Rejoined = sw.m.rejoined.Load()
		soakRep.RejoinFailures = sw.m.rejoinFailed.Load()
		soakRep.ChurnSkipped = sw.m.churnSkipped.Load()
		if !soakRep.Flat {
			warnings = append(warnings, "soak: server resources not flat: "+soakRep.Verdict)
		}
	}
	mach1, _ := procstat.ReadMachine()
	srv1, errs := probe.read(context.WithoutCancel(ctx))
	for _, e := range errs {
		warnings = appendOnce(warnings, e.Error())
	}
	tl.markWindow(c0.at, c1.at)
	if interrupted {
		warnings = append(warnings, fmt.Sprintf("interrupted: the window lasted %.1f s of the %v asked for",
			(c1.at-c0.at).Seconds(), cfg.Duration))
	}

	secs := (c1.at - c0.at).Seconds()
	clients := int(c0.connected)
	perClient := func(n uint64, digits int) *float64 {
		if clients == 0 {
			return nil
		}
		return round(float64(n)/float64(clients)/secs, digits)
	}
	interval := c1.interval.Sub(c0.interval)
	m := sw.m
	rep := &report{
		Bots:                   cfg.Bots,
		Rooms:                  cfg.Rooms,
		Connected:              int(c1.connected),
		DurationS:              roundTo(secs, 2),
		RTTMs:                  pcts3(c1.rtt.Sub(c0.rtt)),
		SnapshotIntervalMs:     pct2{P50: quantileMs(interval, 0.5), P99: quantileMs(interval, 0.99)},
		SnapshotsPerClientPerS: perClient(c1.snapshots-c0.snapshots, 2),
		BytesPerClientPerS:     perClient(c1.bytes-c0.bytes, 1),
		LoadbotsCPUCores:       round((c1.cpu-c0.cpu).Seconds()/secs, 3),
		Server:                 serverFigures(idle, srv0, srv1, int(c1.connected)),

		Scenario:            sw.sc.Name,
		Params:              paramList(sw.sc.Params),
		URL:                 cfg.URL,
		Machine:             machineInfo(),
		WarmupS:             cfg.Warmup.Seconds(),
		MeasuredClients:     clients,
		DialFailures:        int(c1.dialFailed),
		Disconnects:         int(c1.dropped),
		InputsPerClientPerS: perClient(c1.inputs-c0.inputs, 2),
		FramesPerClientPerS: perClient(c1.frames-c0.frames, 2),
		RepeatedPerClientS:  perClient(c1.repeated-c0.repeated, 2),
		InputLatencyMs:      pcts3(c1.inputLatency.Sub(c0.inputLatency)),
		ServerRTTMs:         pcts3(c1.serverRTT.Sub(c0.serverRTT)),
		SnapshotIntervalMax: msOrNil(interval.Max() / 1000),
		SchedulerLateWakes:  m.lateWakes.Load(),
		SkippedWakes:        m.skippedWakes.Load(),
		Definitions:         theDefinitions,
		Errors:              m.errorCounts(),
		Window:              window{StartS: roundTo(c0.at.Seconds(), 2), EndS: roundTo(c1.at.Seconds(), 2)},
		Soak:                soakRep,
	}
	rep.Failed = rep.DialFailures + rep.Disconnects
	if machErr == nil {
		busy, soft := procstat.BusyCores(mach0, mach1, nil)
		other := busy - soft
		if rep.LoadbotsCPUCores != nil {
			other -= *rep.LoadbotsCPUCores
		}
		if rep.Server.CPUCores != nil {
			other -= *rep.Server.CPUCores
		}
		rep.MachineWindow = &machineWindow{
			BusyCores:    roundTo(busy, 3),
			SoftIRQCores: roundTo(soft, 3),
			OtherCores:   roundTo(max(other, 0), 3),
		}
		if rep.Server.CPUCores != nil && other > otherBusy {
			warnings = append(warnings, fmt.Sprintf(
				"other processes kept %.2f cores busy during the window: the machine was shared, so CPU and latency figures are disturbed", other))
		}
	}
	if c := rep.LoadbotsCPUCores; c != nil && *c > busyCore {
		warnings = append(warnings, fmt.Sprintf(
			"loadbots used %.2f cores (over %.0f%% of one): the latency and rate figures measure the load generator as much as the server",
			*c, busyCore*100))
	}
	if rep.Server.CPUCores == nil {
		warnings = append(warnings, "server CPU unknown: give -server-pid or make /metrics reachable")
	}
	if rep.SchedulerLateWakes > 0 {
		warnings = append(warnings, fmt.Sprintf("the bots' input scheduler fell behind %d times (starved of CPU)", rep.SchedulerLateWakes))
	}
	rep.Warnings = warnings
	return rep, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func roundTo(v float64, digits int) float64 {
	if r := round(v, digits); r != nil {
		return *r
	}
	return 0
}

// machineInfo describes where the bots ran, for the report.
func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), AffinityCPUs: runtime.NumCPU(), Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if pm, err := procstat.ReadMachine(); err == nil {
		m.CPUs = len(pm.CPUs) // NumCPU counts only the CPUs taskset left us
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return m
}
