package server

import (
	"context"
	"maps"
	"sort"
	"sync"
	"time"
)

// MemoryDirectory is the cluster directory in this process's memory: the
// same rules as RedisDirectory, for several Servers embedded in one program
// (and for trying cluster behaviour without Redis). It never fails and
// outlives the servers that use it: Close does nothing.
type MemoryDirectory struct {
	mu    sync.Mutex
	procs map[string]*memProc
}

type memProc struct {
	entry   ProcessEntry
	expires time.Time
	rooms   map[string]*memRoom
}

type memRoom struct {
	status  RoomStatus // as published; zero while creating
	taken   int
	state   string    // "open", or "creating"/"created" while a matchmaker opens it
	spec    RoomSpec  // what to create it as, while not open
	expires time.Time // while not open: when the entry lapses
	holds   map[string]memHold
}

type memHold struct {
	expires time.Time
	settled int64 // unix ns when the owner made the reservation, or 0
}

// NewMemoryDirectory returns an empty in-memory directory.
func NewMemoryDirectory() *MemoryDirectory {
	return &MemoryDirectory{procs: map[string]*memProc{}}
}

// Close implements ClusterDirectory; the directory stays usable.
func (d *MemoryDirectory) Close() error { return nil }

// live returns the live processes, dropping lapsed entries; d.mu held.
func (d *MemoryDirectory) live(now time.Time) []*memProc {
	out := make([]*memProc, 0, len(d.procs))
	for id, p := range d.procs {
		if !now.Before(p.expires) {
			delete(d.procs, id)
			continue
		}
		for rid, r := range p.rooms {
			if r.state != "open" && !now.Before(r.expires) {
				delete(p.rooms, rid)
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].entry.ID < out[j].entry.ID })
	return out
}

// liveHolds counts r's holds that have not expired, dropping the rest.
func (r *memRoom) liveHolds(now time.Time) int {
	for id, h := range r.holds {
		if !now.Before(h.expires) {
			delete(r.holds, id)
		}
	}
	return len(r.holds)
}

// Publish implements ClusterDirectory.
func (d *MemoryDirectory) Publish(ctx context.Context, proc ProcessEntry, rooms []RoomStatus, mark int64, ttl time.Duration) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	p := d.procs[proc.ID]
	if p == nil {
		p = &memProc{rooms: map[string]*memRoom{}}
		d.procs[proc.ID] = p
	}
	p.entry, p.expires = proc, now.Add(ttl)
	seen := map[string]bool{}
	for _, st := range rooms {
		seen[st.ID] = true
		r := p.rooms[st.ID]
		if r == nil {
			r = &memRoom{holds: map[string]memHold{}}
			p.rooms[st.ID] = r
		}
		r.status, r.taken, r.state, r.spec = st, st.Seated+st.Reserved, "open", RoomSpec{}
		for id, h := range r.holds {
			if !now.Before(h.expires) || (h.settled > 0 && h.settled < mark) {
				delete(r.holds, id)
			}
		}
	}
	for rid, r := range p.rooms {
		if !seen[rid] && (r.state == "open" || !now.Before(r.expires)) {
			delete(p.rooms, rid)
		}
	}
	return now.UnixNano(), nil
}

// Withdraw implements ClusterDirectory.
func (d *MemoryDirectory) Withdraw(ctx context.Context, procID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.procs, procID)
	return nil
}

// HoldSeat implements ClusterDirectory.
func (d *MemoryDirectory) HoldSeat(ctx context.Context, req SeatRequest) (SeatHold, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	excluded := map[string]bool{}
	for _, e := range req.Exclude {
		excluded[e] = true
	}
	var best, target *memProc
	var bestRoom string
	bestFree := 0
	for _, p := range d.live(now) {
		if p.entry.Draining || excluded[p.entry.ID] {
			continue
		}
		for rid, r := range p.rooms {
			game, seats, private, labels := r.status.Game, r.status.MaxPlayers, r.status.Private, r.status.Labels
			if r.state != "open" {
				game, seats, private, labels = r.spec.Game, r.spec.MaxPlayers, r.spec.Private, r.spec.Labels
			}
			if excluded[p.entry.ID+"/"+rid] || game != req.Game || seats != req.MaxPlayers || private || !labelsInclude(labels, req.Labels) {
				continue
			}
			free := seats - r.taken - r.liveHolds(now)
			// Fill the fullest room first; ties by id, so the choice is
			// the same on every call.
			if free > 0 && (best == nil || free < bestFree || (free == bestFree && rid < bestRoom)) {
				best, bestRoom, bestFree = p, rid, free
			}
		}
		n := len(p.rooms)
		if n < p.entry.Capacity && (target == nil || n < len(target.rooms) || (n == len(target.rooms) && p.entry.FreeSeats > target.entry.FreeSeats)) {
			target = p
		}
	}
	holdID := newRoomID("h-")
	hold := memHold{expires: now.Add(req.Hold)}
	if best != nil {
		r := best.rooms[bestRoom]
		r.holds[holdID] = hold
		return SeatHold{ID: holdID, Process: best.entry, Room: bestRoom, Create: r.state != "open", Spec: r.spec}, nil
	}
	if target == nil {
		return SeatHold{}, ErrNoCapacity
	}
	spec := req.NewRoom
	spec.Labels = maps.Clone(spec.Labels)
	target.rooms[spec.ID] = &memRoom{state: "creating", spec: spec, expires: now.Add(req.Hold), holds: map[string]memHold{holdID: hold}}
	return SeatHold{ID: holdID, Process: target.entry, Room: spec.ID, Create: true, Spec: spec}, nil
}

// Settle implements ClusterDirectory.
func (d *MemoryDirectory) Settle(ctx context.Context, h SeatHold, outcome SeatOutcome) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.procs[h.Process.ID]
	if p == nil {
		return nil
	}
	r := p.rooms[h.Room]
	if r == nil {
		return nil
	}
	switch outcome {
	case SeatReserved:
		if hold, ok := r.holds[h.ID]; ok {
			hold.settled = time.Now().UnixNano()
			r.holds[h.ID] = hold
		}
		if r.state == "creating" {
			r.state = "created"
		}
		return nil
	case SeatRoomFull:
		r.taken = r.status.MaxPlayers
		if r.state != "open" {
			r.taken = r.spec.MaxPlayers
		}
	case SeatRoomGone:
		delete(p.rooms, h.Room)
	}
	delete(r.holds, h.ID)
	return nil
}

// Rooms implements ClusterDirectory.
func (d *MemoryDirectory) Rooms(ctx context.Context) ([]ClusterRoom, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	var out []ClusterRoom
	for _, p := range d.live(now) {
		for rid, r := range p.rooms {
			st := r.status
			if r.state != "open" {
				st = RoomStatus{ID: rid, Game: r.spec.Game, Params: maps.Clone(r.spec.Params), Labels: maps.Clone(r.spec.Labels), MaxPlayers: r.spec.MaxPlayers}
			}
			st.Labels, st.Params = nonNilLabels(st.Labels), nonNilLabels(st.Params)
			st.FreeSeats = max(st.MaxPlayers-r.taken-r.liveHolds(now), 0)
			out = append(out, ClusterRoom{RoomStatus: st, Process: p.entry.ID, URL: p.entry.URL})
		}
	}
	sortClusterRooms(out)
	return out, nil
}
