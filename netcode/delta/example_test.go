package delta_test

import (
	"fmt"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/sim"
)

// A server quantizes each tick into its history and encodes against the
// client's acknowledged frame; the client decodes into its own history.
func Example() {
	kinds := []sim.KindSpec{{Name: "ball", Fields: []sim.FieldSpec{
		{Name: "x", Min: 0, Max: 1000, Rate: "vx"},
		{Name: "vx", Min: -10, Max: 10},
	}}}
	schema, err := delta.NewSchema(kinds)
	if err != nil {
		panic(err)
	}
	server, client := delta.NewHistory(30), delta.NewHistory(64)
	enc := delta.NewEncoder(schema)

	ball := sim.EntityState{ID: 1, Fields: [sim.MaxFields]int32{100, 5}}
	for tick := sim.Tick(1); tick <= 3; tick++ {
		ball.Fields[0] += ball.Fields[1]
		cur := server.Next(tick)
		schema.Quantize(cur, tick, []sim.EntityState{ball})

		var base *delta.Frame // full until the client acknowledged tick 1
		if tick > 1 {
			base, _ = server.Get(tick - 1)
		}
		data := enc.AppendDelta(nil, base, cur)

		var clientBase *delta.Frame
		if base != nil {
			clientBase, _ = client.Get(base.Tick)
		}
		got := client.Next(tick)
		if err := schema.DecodeDelta(got, clientBase, tick, data); err != nil {
			panic(err)
		}
		fmt.Printf("tick %d: %d bytes, x=%d\n", tick, len(data), schema.Dequantize(&got.Entities[0]).Fields[0])
	}
	// Output:
	// tick 1: 3 bytes, x=105
	// tick 2: 1 bytes, x=110
	// tick 3: 1 bytes, x=115
}
