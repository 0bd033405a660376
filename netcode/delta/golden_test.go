package delta

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt from the current encoder")

// TestGolden pins the encoded bytes of a fixed scenario (walkers, then a
// churning world with spawns, despawns, reused IDs and random fields), so a
// change of the wire format is a deliberate act: run with -update and
// commit the new file with the protocol change.
func TestGolden(t *testing.T) {
	s := mustSchema(t)
	enc := NewEncoder(s)
	var out strings.Builder
	record := func(name string, tick sim.Tick, base *Frame, cur *Frame) {
		var baseTick sim.Tick
		if base != nil {
			baseTick = base.Tick
		}
		h := Header{Baseline: baseTick, LastInput: tick, RTT: 2 * time.Millisecond, InputLead: 5 * time.Millisecond}
		b := AppendHeader(nil, tick, &h)
		b = enc.AppendDelta(b, base, cur)
		fmt.Fprintf(&out, "%s tick=%d base=%d len=%d\n%s\n", name, tick, baseTick, len(b), hex.EncodeToString(b))
		// The pinned bytes must also decode.
		_, rest, err := ParseHeader(tick, b)
		require.NoError(t, err)
		var got Frame
		require.NoError(t, s.DecodeDelta(&got, base, tick, rest))
		require.Equal(t, cur.Entities, got.Entities)
	}
	frames := NewHistory(8)
	sc := newScenario(42, 4, 3)
	for tick := sim.Tick(1); tick <= 6; tick++ {
		f := frames.Next(tick)
		s.Quantize(f, tick, sc.step())
		var base *Frame
		if tick > 2 {
			base, _ = frames.Get(tick - 2)
		}
		record("walkers", tick, base, f)
	}
	frames = NewHistory(8)
	c := newChaos(42, 6, 1)
	for tick := sim.Tick(1); tick <= 6; tick++ {
		f := frames.Next(tick)
		s.Quantize(f, tick, c.step())
		var base *Frame
		if tick > 1 {
			base, _ = frames.Get(tick - 1)
		}
		record("chaos", tick, base, f)
	}

	path := filepath.Join("testdata", "golden.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(out.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestGolden -update to create it")
	require.Equal(t, string(want), out.String(), "the wire format changed; if on purpose, run with -update")
}
