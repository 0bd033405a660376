package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// TestAimRayAgreesWithTheArena sweeps aims across a standing target and
// checks that "on target in the shooter's view" says exactly what the
// arena's own hit test says, edges included: the scenario's denominator
// means what the server would judge on the same world.
func TestAimRayAgreesWithTheArena(t *testing.T) {
	t.Parallel()
	params := map[string]string{"npcs": "0", "damage": "0", "cooldown_ms": "0", "lagcomp": "off",
		"width": "600", "height": "600", "range": "1000", "hit_radius": "20"}
	g, err := arena.New(sim.Config{TickRate: 30, Seed: 11, Params: params})
	require.NoError(t, err)
	rules := g.Rules()
	shooterID, err := g.Join(1, "shooter")
	require.NoError(t, err)
	targetID, err := g.Join(2, "target")
	require.NoError(t, err)
	g.Step(1, nil)
	var world []sim.EntityState
	pos := func(id sim.EntityID) (int32, int32) {
		for _, e := range g.World(world[:0]) {
			if e.ID == id {
				return e.Fields[arena.PlayerX], e.Fields[arena.PlayerY]
			}
		}
		t.Fatalf("entity %d not in the world", id)
		return 0, 0
	}
	sx, sy := pos(shooterID)
	tx, ty := pos(targetID)
	centre := aimAt(sx, sy, tx, ty)

	hits, misses := 0, 0
	lastShot := sim.EntityID(0)
	for k := -200; k <= 200; k++ {
		aim := centre + uint16(k*arena.AimStep/4)
		tick := sim.Tick(k + 202)
		g.Step(tick, []sim.PlayerInput{{Player: 1, Input: sim.Input{Aim: aim, Buttons: sim.ButtonFire}, Fresh: true}})
		var shot *sim.EntityState
		world = g.World(world[:0])
		for i := range world {
			if world[i].Kind == arena.KindShot && world[i].ID > lastShot {
				shot = &world[i]
			}
		}
		require.NotNil(t, shot, "aim %d: the arena fired", aim)
		lastShot = shot.ID
		arenaHit := sim.EntityID(shot.Fields[arena.ShotTarget]) == targetID
		assert.Equal(t, arenaHit, newAimRay(sx, sy, aim, rules).hits(tx, ty), "aim %d (%d steps off centre)", aim, k)
		assert.Equal(t, arena.QuantizeAim(aim), shot.Fields[arena.ShotAim], "the shot carries the quantized aim")
		if arenaHit {
			hits++
		} else {
			misses++
		}
	}
	assert.Positive(t, hits, "the sweep crosses the target")
	assert.Positive(t, misses, "and passes beside it")
}

func TestAimRayRange(t *testing.T) {
	t.Parallel()
	rules := arena.DefaultParams() // range 300, hit radius 20
	r := newAimRay(0, 0, 0, rules) // along +x
	u := int32(arena.SimUnits)
	assert.True(t, r.hits(300*u, 0), "at the end of the range")
	assert.True(t, r.hits(319*u, 0), "a circle reaching back to the end")
	assert.False(t, r.hits(321*u, 0), "beyond range and radius")
	assert.True(t, r.hits(100*u, 19*u), "beside the ray within the radius")
	assert.False(t, r.hits(100*u, 21*u), "beside the ray beyond it")
	assert.False(t, r.hits(-30*u, 0), "behind the shooter")
}

func TestMatchShots(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	fires := []fireRecord{
		{at: at(0), aim: 640, x: 10, y: 10},
		{at: at(600), aim: 1280, x: 20, y: 20}, // the server never made this one
		{at: at(1200), aim: 640, x: 10, y: 10}, // same aim and place as the first
		{at: at(1800), aim: 64, x: 30, y: 30},  // prediction was off: origin differs
	}
	shots := []seenShot{
		{at: at(250), aim: 640, x: 10, y: 10},
		{at: at(1450), aim: 640, x: 10, y: 10},
		{at: at(2050), aim: 64, x: 31, y: 30},
		{at: at(2100), aim: 9999, x: 1, y: 1}, // nobody's
	}
	assert.Equal(t, []int{0, -1, 1, 2}, matchShots(fires, shots))
	assert.Equal(t, 3, countMatched(matchShots(fires, shots)))

	// A shot seen before the pull, or long after it, is not its shot.
	late := []seenShot{{at: at(-10), aim: 640, x: 10, y: 10}, {at: at(int(matchWindow/time.Millisecond) + 1), aim: 640, x: 10, y: 10}}
	assert.Equal(t, []int{-1}, matchShots(fires[:1], late))
}

func TestCorrectionQuantile(t *testing.T) {
	t.Parallel()
	assert.Nil(t, correctionQuantile(0.99, 0, 0, nil), "no snapshots: no figure")
	v := correctionQuantile(0.99, 995, 5, []int64{40, 7})
	require.NotNil(t, v)
	assert.Zero(t, *v, "corrections in under 1% of snapshots: p99 is 0")
	v = correctionQuantile(0.99, 90, 10, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	require.NotNil(t, v)
	assert.Equal(t, 9.0, *v, "10% corrected: p99 falls at the 90th percentile of their sizes (nearest rank)")
	v = correctionQuantile(0.5, 0, 4, []int64{4, 1, 3, 2})
	require.NotNil(t, v)
	assert.Equal(t, 2.0, *v)
	assert.Nil(t, correctionQuantile(0.99, 50, 50, nil), "sizes never sampled")
}

func TestTargetsTurnAwayFromWalls(t *testing.T) {
	t.Parallel()
	rules := arena.DefaultParams()
	m := int32(100)
	assert.Equal(t, [2]int8{1, 1}, awayFromWalls([2]int8{-1, -1}, 10, 10, m, rules), "corner: both axes turn")
	assert.Equal(t, [2]int8{-1, 0}, awayFromWalls([2]int8{1, 0}, rules.MaxX()-5, 500, m, rules))
	assert.Equal(t, [2]int8{1, -1}, awayFromWalls([2]int8{1, -1}, 500, 500, m, rules), "open ground: unchanged")
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[[2]int8]bool{}
	for range 1000 {
		d := randomDirection(rng)
		require.NotEqual(t, [2]int8{}, d, "a target never stands")
		seen[d] = true
	}
	assert.Len(t, seen, 8)
}

// TestAccuracyAgainstARealServer plays the scenario briefly against an
// in-process server with a small injected round trip, through runAccuracy
// (main's path), and checks the JSON has issue 4's fields with sane values.
// At this RTT lag compensation matters little, so "on beats off" is not
// asserted; the full figures are docs/BENCHMARKS.md's.
func TestAccuracyAgainstARealServer(t *testing.T) {
	srv := servertest.Start(t, nil)
	path := filepath.Join(t.TempDir(), "acc.json")
	const rtt = 40 * time.Millisecond
	rep, err := runAccuracy(t.Context(), config{
		URL: srv.URL, Scenario: "accuracy", Bots: 4,
		Warmup: 1500 * time.Millisecond, Duration: 3 * time.Second,
		RTT: rtt, Jitter: 4 * time.Millisecond, Seed: 9, JSONPath: path,
	})
	require.NoError(t, err)
	require.Len(t, rep.Runs, 2)
	assert.Equal(t, "on", rep.Runs[0].LagComp)
	assert.Equal(t, "off", rep.Runs[1].LagComp)
	for _, run := range rep.Runs {
		assert.Equal(t, 2, run.Pairs, "errors: %v", run.Errors)
		assert.Zero(t, run.JoinFailures)
		assert.Positive(t, run.Fired)
		assert.LessOrEqual(t, run.Hits, run.OnTarget)
		assert.LessOrEqual(t, run.OnTarget, run.Fired)
	}

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, k := range []string{"scenario", "rtt_injected_ms", "jitter_injected_ms", "shots", "hit_rate",
		"hit_rate_without_lag_compensation", "rtt_estimate_ms", "prediction_corrections_p99"} {
		v, ok := doc[k]
		if assert.True(t, ok, "JSON lacks %s", k) {
			assert.NotNil(t, v, "JSON %s is null", k)
		}
	}
	assert.Equal(t, "accuracy", doc["scenario"])
	assert.Equal(t, 40.0, doc["rtt_injected_ms"])
	assert.Equal(t, 4.0, doc["jitter_injected_ms"])
	assert.Positive(t, doc["shots"])
	for _, k := range []string{"hit_rate", "hit_rate_without_lag_compensation"} {
		v, _ := doc[k].(float64)
		assert.GreaterOrEqual(t, v, 0.0, k)
		assert.LessOrEqual(t, v, 1.0, k)
	}
	// The server's estimate includes loopback and scheduling: a little
	// over the injected round trip, never far.
	est, _ := doc["rtt_estimate_ms"].(float64)
	assert.InDelta(t, 40, est, 15, "rtt estimate")
	p99, _ := doc["prediction_corrections_p99"].(float64)
	assert.GreaterOrEqual(t, p99, 0.0)
}
