package timing_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

// FuzzClientTiming feeds the client's estimators whatever a hostile or
// broken server could put in its messages (ticks, send delays, server
// times, input leads, round trips, in any order and at any client time),
// and checks they never panic and the input clock never hands out a tick
// twice or out of order.
func FuzzClientTiming(f *testing.F) {
	f.Add(uint8(30), []byte{})
	f.Add(uint8(60), binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1<<63), 42))
	seed := []byte{}
	for i := range 64 {
		seed = binary.LittleEndian.AppendUint64(seed, uint64(i)*0x9e3779b97f4a7c15)
	}
	f.Add(uint8(20), seed)
	f.Fuzz(func(t *testing.T, rate uint8, data []byte) {
		clock := timing.NewClockEstimator(int(rate))
		lead := timing.NewLeadController(int(rate))
		var now time.Duration
		var last sim.Tick
		handed := false
		for len(data) >= 9 {
			op, v := data[0], binary.LittleEndian.Uint64(data[1:9])
			data = data[9:]
			// Client time mostly moves forward, sometimes a little back.
			now += time.Duration(int64(op>>3)-4) * time.Millisecond
			switch op & 7 {
			case 0:
				clock.AddWelcome(sim.Tick(v), int64(v>>1), now)
			case 1:
				clock.AddSnapshot(sim.Tick(v), time.Duration(int32(v>>32)), now)
			case 2:
				clock.AddPing(int64(v), now)
			case 3:
				clock.SetRTT(time.Duration(int64(v)), now)
			case 4:
				lead.Feedback(time.Duration(int32(v)), time.Duration(int64(v>>32)), now)
			default:
				for range 100 {
					tk, ok := lead.NextInputTick(now, clock.ServerTime(now))
					if !ok {
						break
					}
					if handed && tk <= last {
						t.Fatalf("tick %d after %d", tk, last)
					}
					last, handed = tk, true
				}
			}
			_ = clock.ReceiveTime(now)
		}
	})
}
