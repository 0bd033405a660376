package arena

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

// goldenHash is the hash of every world of scriptedRun(seed 7, 600 ticks,
// small arena so shots land), computed on linux/amd64. The same test runs
// under js/wasm: a match there proves the browser's client computes the
// server's worlds bit for bit. If a rule changes on purpose, update it.
const goldenHash = uint64(0xa91a90ec587208da)

var goldenParams = map[string]string{"width": "400", "height": "300", "npcs": "12", "respawn_ms": "500", "damage": "25"}

func TestDeterministicAcrossRuns(t *testing.T) {
	t.Parallel()
	var first [][]sim.EntityState
	h1 := scriptedRun(t, 7, 600, goldenParams, func(_ sim.Tick, w []sim.EntityState) {
		first = append(first, append([]sim.EntityState(nil), w...))
	})
	i := 0
	h2 := scriptedRun(t, 7, 600, goldenParams, func(tick sim.Tick, w []sim.EntityState) {
		require.Equal(t, first[i], w, "world after tick %d", tick)
		i++
	})
	assert.Equal(t, h1, h2)
	assert.NotEqual(t, h1, scriptedRun(t, 8, 600, goldenParams, nil), "another seed plays differently")
}

func TestDeterministicGoldenHash(t *testing.T) {
	t.Parallel()
	var kills, hits int32
	h := scriptedRun(t, 7, 600, goldenParams, func(_ sim.Tick, w []sim.EntityState) {
		kills = 0
		for _, e := range w {
			if e.Kind == KindPlayer {
				kills += e.Fields[PlayerScore]
			}
			if e.Kind == KindShot && e.Fields[ShotTarget] != 0 {
				hits++
			}
		}
	})
	// The script must exercise the rules the hash is meant to pin.
	require.Positive(t, kills, "the scripted match has kills")
	require.Positive(t, hits, "the scripted match has hits")
	assert.Equal(t, goldenHash, h, "world hash differs from the one computed on amd64")
}
