package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tickwire/tickwire/sim"
)

func TestViewTime(t *testing.T) {
	const period = 20 * time.Millisecond // 50 Hz: whole milliseconds per tick
	r := &room{srv: &Server{opts: Options{MaxRewind: 250 * time.Millisecond}}, period: period}
	r.epoch.Store(0)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// tt converts server time to the TickTime the room uses.
	tt := func(d time.Duration) sim.TickTime { return sim.TickTime(d * sim.SubTicks / period) }

	const tick = sim.Tick(100) // due at 2000 ms
	arrived := ms(1990)
	srtt, rttvar := ms(100), ms(5)
	// The newest world the client can have seen: arrival - RTT = 1890 ms.
	// Slack: 2 rttvar + 15 ms = 25 ms. Longest believed interpolation:
	// 3 periods + 4 rttvar = 80 ms. So claims in [1785, 1915] ms stand.
	newest := tt(ms(1890))

	cases := []struct {
		name  string
		srtt  time.Duration
		claim sim.TickTime
		want  sim.TickTime
	}{
		{"a claim two ticks behind the newest world is used", srtt, newest - tt(ms(40)), newest - tt(ms(40))},
		{"a claim without interpolation is used", srtt, newest, newest},
		{"no claim: two ticks of interpolation assumed", srtt, 0, newest - tt(ms(40))},
		{"a claim far in the past is clamped to the oldest believable", srtt, newest - tt(ms(200)), tt(ms(1785))},
		{"a claim in the future is clamped to the newest believable", srtt, tick.Time() + 512, tt(ms(1915))},
		{"no RTT yet: the claim, within the max rewind", 0, tt(ms(1900)), tt(ms(1900))},
		{"no RTT yet: a far claim is clamped to the max rewind", 0, tt(ms(100)), tick.Time() - tt(ms(250))},
		{"no RTT and no claim: no rewind", 0, 0, tick.Time()},
	}
	for _, tc := range cases {
		got := r.viewTime(tick, arrived, tc.srtt, rttvar, tc.claim)
		assert.Equal(t, tc.want, got, tc.name)
	}

	// A very slow connection: even its newest world is beyond the max
	// rewind, so the shot is judged at the clamp, never further back.
	got := r.viewTime(tick, arrived, ms(600), rttvar, 0)
	assert.Equal(t, tick.Time()-tt(ms(250)), got)
	// Never later than the tick being stepped, even with zero latency.
	got = r.viewTime(tick, ms(2100), ms(1), 0, tick.Time()+10*sim.SubTicks)
	assert.Equal(t, tick.Time(), got)
}
