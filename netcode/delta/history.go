package delta

import "github.com/tickwire/tickwire/sim"

// History is a ring of the most recent frames, keyed by tick: the server's
// record of the snapshots it sent (baselines for acks) and the client's
// record of the ones it decoded. Frames are reused, so keeping one costs no
// allocation once the ring is warm. Not safe for concurrent use.
type History struct {
	frames []Frame
	held   []bool
	got    int // slot of the frame the last Get returned, or -1
}

// NewHistory returns a ring of n frames (at least 2).
func NewHistory(n int) *History {
	n = max(n, 2)
	return &History{frames: make([]Frame, n), held: make([]bool, n), got: -1}
}

// Next returns emptied storage for the frame of tick t and marks it held.
// It replaces the frame of t if one is held, else fills a free slot, else
// evicts the oldest (lowest tick) frame and reuses its storage. It never
// evicts the frame the latest Get returned, so a client can Get a baseline
// and then decode into Next's frame.
func (h *History) Next(t sim.Tick) *Frame {
	slot, free, oldest := -1, -1, -1
	home := h.home(t)
	for i := range h.frames {
		switch {
		case !h.held[i]:
			if free < 0 || i == home {
				free = i
			}
		case h.frames[i].Tick == t:
			slot = i
		case i == h.got:
			// The caller may be holding it as a baseline.
		case oldest < 0 || h.frames[i].Tick < h.frames[oldest].Tick:
			oldest = i
		}
	}
	if slot < 0 {
		slot = free
	}
	if slot < 0 {
		slot = oldest
	}
	f := &h.frames[slot]
	f.Tick = t
	f.Entities = f.Entities[:0]
	h.held[slot] = true
	return f
}

// home is the slot a frame of tick t takes when it is free. Ticks come in
// order, so a full ring evicts the frame of t-n, which sat in the same
// slot: frames stay at home, and Get finds one on its first probe instead
// of scanning (a client calls it for every snapshot's baseline).
func (h *History) home(t sim.Tick) int { return int(t % sim.Tick(len(h.frames))) }

// Get returns the frame of tick t, or false when it is not held (never
// stored, evicted or dropped). The frame stays valid until Next evicts it.
func (h *History) Get(t sim.Tick) (*Frame, bool) {
	if i := h.home(t); h.held[i] && h.frames[i].Tick == t {
		h.got = i
		return &h.frames[i], true
	}
	for i := range h.frames {
		if h.held[i] && h.frames[i].Tick == t {
			h.got = i
			return &h.frames[i], true
		}
	}
	return nil, false
}

// Drop forgets the frame of tick t (for example one that failed to decode);
// its storage is reused by the next Next.
func (h *History) Drop(t sim.Tick) {
	for i := range h.frames {
		if h.held[i] && h.frames[i].Tick == t {
			h.held[i] = false
			if i == h.got {
				// Whatever takes this slot next was not Got: it must not
				// inherit the protection from eviction.
				h.got = -1
			}
		}
	}
}
