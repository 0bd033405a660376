package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/nettest"
	"github.com/tickwire/tickwire/sim/arena"
)

// accuracyPairsDefault is how many shooter-target pairs the accuracy
// scenario plays when -bots is not given (two bots a pair).
const accuracyPairsDefault = 10

// matchWindow is how long after a trigger pull its shot entity may first
// show: the round trip, the input lead and the interpolation, with room to
// spare, yet less than the gap between two shots of equal aim.
const matchWindow = 3 * time.Second

// errOddBots: the accuracy scenario plays pairs.
var errOddBots = errors.New("the accuracy scenario plays shooter-target pairs: want an even -bots")

// runAccuracy plays the accuracy scenario twice, with lag compensation on
// and then off, shooters behind an in-process latency proxy of cfg.RTT and
// cfg.Jitter, and reports both. It writes cfg.JSONPath when set.
func runAccuracy(ctx context.Context, cfg config) (*accuracyReport, error) {
	sc, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if cfg.Bots%2 != 0 {
		return nil, errOddBots
	}
	if cfg.RTT < 0 || cfg.Jitter < 0 {
		return nil, errors.New("-rtt and -jitter must not be negative")
	}
	if cfg.RoomPrefix == "" {
		cfg.RoomPrefix = fmt.Sprintf("acc%x-", time.Now().UnixNano()&0xffffff)
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	// The proxy delays the shooters' traffic only: what they see and when
	// their inputs land is what lag compensation must undo. Targets play
	// on the direct path; where they are is the server's business.
	proxy, err := nettest.NewLatencyProxy(u.Host, cfg.RTT, cfg.Jitter)
	if err != nil {
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	defer proxy.Close()
	viaProxy := *u
	viaProxy.Host = proxy.Addr()

	rep := &accuracyReport{
		Scenario:         "accuracy",
		RTTInjectedMs:    ms(cfg.RTT),
		JitterInjectedMs: ms(cfg.Jitter),
		Pairs:            cfg.Bots / 2,
		URL:              cfg.URL,
		Params:           paramList(sc.Params),
		StartedAt:        time.Now().UTC().Format(time.RFC3339),
		WarmupS:          cfg.Warmup.Seconds(),
		DurationS:        cfg.Duration.Seconds(),
		Definitions:      accuracyDefinitions,
	}
	for i, lagcomp := range []bool{true, false} {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "accuracy: %d pairs, lagcomp=%s, rtt %v ±%v, %v warm-up + %v\n",
				cfg.Bots/2, onOff(lagcomp), cfg.RTT, cfg.Jitter, cfg.Warmup, cfg.Duration)
		}
		r, err := playAccuracy(ctx, cfg, sc, lagcomp, viaProxy.String(), uint64(i))
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, *r)
	}
	rep.summarize(cfg)
	if cfg.JSONPath != "" {
		if err := writeJSONFile(cfg.JSONPath, rep); err != nil {
			return rep, fmt.Errorf("writing -json: %w", err)
		}
	}
	return rep, nil
}

// playAccuracy plays one run of the scenario: dial the pairs, play
// cfg.Warmup then cfg.Duration with the window open, let the last shots
// come back, and count.
func playAccuracy(ctx context.Context, cfg config, sc scenario, lagcomp bool, shooterURL string, salt uint64) (*accuracyRun, error) {
	params := maps.Clone(sc.Params)
	params["lagcomp"] = onOff(lagcomp)
	prefix := cfg.RoomPrefix + "lc" + onOff(lagcomp) + "-"
	pairs := cfg.Bots / 2
	var window, fire atomic.Bool
	fire.Store(true)

	shooters := make([]*shooter, pairs)
	targets := make([]*target, pairs)
	m := newMeasures()
	var joinFailures atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialConcurrency)
	for i := range pairs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s, t, err := dialPair(ctx, cfg, prefix+fmt.Sprint(i), params, shooterURL, &window,
				rand.New(rand.NewPCG(cfg.Seed, salt<<32|uint64(i))))
			if err != nil {
				joinFailures.Add(1)
				m.noteError(fmt.Errorf("join: %w", err))
				return
			}
			shooters[i], targets[i] = s, t
		})
	}
	wg.Wait()
	shooters = slices.DeleteFunc(shooters, func(s *shooter) bool { return s == nil })
	targets = slices.DeleteFunc(targets, func(t *target) bool { return t == nil })
	defer closeAccuracyBots(shooters, targets)
	if len(shooters) == 0 {
		return nil, fmt.Errorf("no pair could join %s (errors: %v)", cfg.URL, m.errorCounts())
	}

	playCtx, stop := context.WithCancel(ctx)
	var players sync.WaitGroup
	for i := range shooters {
		players.Go(func() { shooters[i].play(playCtx, &fire) })
		players.Go(func() { targets[i].play(playCtx) })
	}
	err := sleep(ctx, cfg.Warmup)
	if err == nil {
		window.Store(true)
		err = sleep(ctx, cfg.Duration)
		window.Store(false)
		fire.Store(false)
	}
	if err == nil {
		// The shots of the window's last trigger pulls are on their way
		// back: a round trip, the interpolation delay, and some.
		err = sleep(ctx, cfg.RTT+cfg.Jitter+time.Second)
	}
	stop()
	players.Wait()
	if err != nil {
		return nil, err
	}

	r := &accuracyRun{LagComp: onOff(lagcomp), Pairs: len(shooters), JoinFailures: int(joinFailures.Load())}
	r.count(shooters)
	for _, s := range shooters {
		if err := s.client.Err(); err != nil {
			m.noteError(fmt.Errorf("shooter lost: %w", err))
		}
	}
	r.Errors = m.errorCounts()
	return r, nil
}

// dialPair joins a target (directly) and then its shooter (through the
// proxy) to room.
func dialPair(ctx context.Context, cfg config, room string, params map[string]string, shooterURL string,
	window *atomic.Bool, rng *rand.Rand) (*shooter, *target, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	tc, err := netcode.Dial(dctx, cfg.URL, &netcode.Options{Room: room, Name: "target", Params: params})
	if err != nil {
		return nil, nil, err
	}
	rules, err := arena.ParseParams(tc.Welcome().Params)
	if err != nil {
		tc.Close()
		return nil, nil, fmt.Errorf("room %s: %w", room, err)
	}
	rules.TickRate = tc.Welcome().TickRate
	t := &target{client: tc, rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), rules: rules}
	s := &shooter{targetID: tc.Welcome().EntityID, rng: rng, window: window}
	sc, err := netcode.Dial(dctx, shooterURL, &netcode.Options{
		Room: room, Name: "shooter", Params: params,
		PredictFor: s.predictFor, OnSnapshot: s.onSnapshot,
	})
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	s.client = sc
	return s, t, nil
}

func closeAccuracyBots(shooters []*shooter, targets []*target) {
	var wg sync.WaitGroup
	for _, s := range shooters {
		wg.Go(func() { s.client.Close() })
	}
	for _, t := range targets {
		wg.Go(func() { t.client.Close() })
	}
	wg.Wait()
}

// count matches every shooter's trigger pulls to the shot entities the
// server made of them and fills the run's figures.
func (r *accuracyRun) count(shooters []*shooter) {
	var viewErr, viewAge, gapExact, gapLater []float64
	var rttSum, leadSum time.Duration
	rttN := 0
	var zero, fixed uint64
	var sizes []int64
	for _, s := range shooters {
		shots := s.seen()
		match := matchShots(s.fires, shots)
		for i, f := range s.fires {
			if !f.inWindow {
				continue
			}
			r.Fired++
			viewAge = append(viewAge, ms(f.viewAge))
			j := match[i]
			if j < 0 {
				r.Unconfirmed++
			}
			hit := j >= 0 && shots[j].target == s.targetID
			if !f.onTarget {
				if hit {
					r.OffTargetHits++
				}
				continue
			}
			r.OnTarget++
			if hit {
				r.Hits++
			}
			if j >= 0 {
				sh := &shots[j]
				d := worldDistance(f.tx, f.ty, sh.testX, sh.testY)
				viewErr = append(viewErr, d)
				// Which tick's drawing the server's test matches best.
				early := worldDistance(f.around[0][0], f.around[0][1], sh.testX, sh.testY)
				late := worldDistance(f.around[1][0], f.around[1][1], sh.testX, sh.testY)
				switch {
				case d <= 1:
					gapExact = append(gapExact, ms(f.nextFrame))
				case early < d && early <= late:
					r.ViewTickEarlier++
				case late < d:
					r.ViewTickLater++
					gapLater = append(gapLater, ms(f.nextFrame))
				}
			}
		}
		r.StrayShots += len(shots) - countMatched(match)
		if rtt, lead, ok := s.meanTiming(); ok {
			rttSum += rtt
			leadSum += lead
			rttN++
		}
		zero += s.snapsZero
		fixed += s.snapsFixed
		sizes = append(sizes, s.corrections...)
	}
	if r.OnTarget > 0 {
		r.HitRate = round(float64(r.Hits)/float64(r.OnTarget), 4)
	}
	r.ViewErrorUnits = pctOf(viewErr)
	r.NextFrameMsExact = pctOf(gapExact)
	r.NextFrameMsLater = pctOf(gapLater)
	for _, e := range viewErr {
		if e > 1 {
			r.ViewErrorOver1Unit++
		}
	}
	if len(viewAge) > 0 {
		r.ViewAgeMs = round(mean(viewAge), 1)
	}
	if rttN > 0 {
		r.RTTEstimateMs = round(ms(rttSum/time.Duration(rttN)), 2)
		r.InputLeadMs = round(ms(leadSum/time.Duration(rttN)), 2)
	}
	r.Snapshots = zero + fixed
	r.SnapshotsCorrected = fixed
	r.CorrectionP99 = correctionQuantile(0.99, zero, fixed, sizes)
	if len(sizes) > 0 {
		r.CorrectionMax = round(float64(slices.Max(sizes)), 0)
	}
}

// matchShots pairs trigger pulls with the shot entities seen, both in the
// order they happened: a shot belongs to the earliest unmatched pull with
// the same (quantized) aim made before it was seen and at most matchWindow
// earlier, preferring one fired from exactly the shot's origin (the
// prediction was right). It returns, per fire, the index of its shot or -1
// (the server made no shot of it: the input came too late, or the gun was
// still cooling down).
func matchShots(fires []fireRecord, shots []seenShot) []int {
	match := make([]int, len(fires))
	for i := range match {
		match[i] = -1
	}
	for j, sh := range shots {
		best := -1
		for i, f := range fires {
			if match[i] >= 0 || f.aim != sh.aim || f.at.After(sh.at) || sh.at.Sub(f.at) > matchWindow {
				continue
			}
			if f.x == sh.x && f.y == sh.y {
				best = i
				break
			}
			if best < 0 {
				best = i
			}
		}
		if best >= 0 {
			match[best] = j
		}
	}
	return match
}

func countMatched(match []int) int {
	n := 0
	for _, j := range match {
		if j >= 0 {
			n++
		}
	}
	return n
}

// correctionQuantile is quantile q over snapshots of the own-player
// correction: zero snapshots had none, fixed had one, and sizes are
// corrections sampled among the fixed ones (the frame loop reads the
// client's last correction, so it samples rather than sees every one). It
// is nil when no snapshot was counted, or when the quantile falls among
// corrections none of which was sampled.
func correctionQuantile(q float64, zero, fixed uint64, sizes []int64) *float64 {
	total := float64(zero + fixed)
	if total == 0 {
		return nil
	}
	rank := q * total
	if float64(zero) >= rank {
		v := 0.0
		return &v
	}
	if len(sizes) == 0 {
		return nil
	}
	s := slices.Clone(sizes)
	slices.Sort(s)
	within := (rank - float64(zero)) / float64(fixed)
	i := min(max(int(math.Ceil(within*float64(len(s))))-1, 0), len(s)-1)
	v := float64(s[i])
	return &v
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(v []float64) float64 {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// pctOf is p50, p95 and p99 of v (nearest rank), nil when empty.
func pctOf(v []float64) pct3 {
	if len(v) == 0 {
		return pct3{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(q float64) *float64 {
		i := min(max(int(math.Ceil(q*float64(len(s))))-1, 0), len(s)-1)
		return round(s[i], 2)
	}
	return pct3{P50: at(0.5), P95: at(0.95), P99: at(0.99)}
}
