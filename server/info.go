package server

import "github.com/tickwire/tickwire/sim"

// RoomInfo describes an open room at one moment.
type RoomInfo struct {
	Name    string       `json:"name"`
	Game    string       `json:"game"`
	Tick    sim.Tick     `json:"tick"`
	Players []PlayerInfo `json:"players"`
}

// PlayerInfo describes a seated player.
type PlayerInfo struct {
	ID     sim.PlayerID `json:"id"`
	Name   string       `json:"name"`
	Entity sim.EntityID `json:"entity"`
	// RTTMillis is the server's smoothed round-trip estimate.
	RTTMillis float64 `json:"rtt_ms"`
	// Connected is false while the player's connection is gone (and its
	// seat is held for a resume).
	Connected bool `json:"connected"`
	// SnapshotsReplaced counts snapshots this player's connection was too
	// slow to take before a newer one replaced them.
	SnapshotsReplaced uint64 `json:"snapshots_replaced"`
}

// Rooms returns every open room, sorted by name. It asks each room's
// goroutine, so the answer is consistent per room.
func (s *Server) Rooms() []RoomInfo {
	rooms := s.rooms.list()
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		if info, ok := r.info(); ok {
			out = append(out, info)
		}
	}
	return out
}

// info asks the room goroutine for its description; false if it stopped.
func (r *room) info() (RoomInfo, bool) {
	reply := make(chan RoomInfo, 1)
	select {
	case r.infoc <- reply:
	case <-r.done:
		return RoomInfo{}, false
	}
	select {
	case info := <-reply:
		return info, true
	case <-r.done:
		return RoomInfo{}, false
	}
}

// describe builds the room's RoomInfo; room goroutine only.
func (r *room) describe() RoomInfo {
	info := RoomInfo{Name: r.name, Game: r.gameName, Tick: r.tick, Players: make([]PlayerInfo, 0, len(r.players))}
	for _, p := range r.players {
		pi := PlayerInfo{ID: p.id, Name: p.name, Entity: p.entity, Connected: p.conn != nil}
		p.mu.Lock()
		pi.RTTMillis = float64(p.rtt.SRTT().Microseconds()) / 1000
		p.mu.Unlock()
		if p.conn != nil {
			pi.SnapshotsReplaced = p.conn.replaced.Load()
		}
		info.Players = append(info.Players, pi)
	}
	return info
}
