package server

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// directory is the process's rooms by name. A room is created by the first
// join that names it and removes itself when it closes, so a join racing a
// closing room retries and gets a fresh one.
type directory struct {
	srv   *Server
	mu    sync.Mutex
	rooms map[string]*room
	conns map[*conn]struct{}
	perIP map[string]int
}

// Errors of the directory's limits; their text is what the player reads.
var (
	errTooManyRooms  = errors.New("the server has no room for another match; try again later")
	errTooManyConns  = errors.New("the server is full; try again later")
	errTooManyFromIP = errors.New("too many connections from your address")
)

func newDirectory(s *Server) *directory {
	return &directory{
		srv:   s,
		rooms: make(map[string]*room),
		conns: make(map[*conn]struct{}),
		perIP: make(map[string]int),
	}
}

// getOrCreate returns the open room called name, creating it with game and
// params if there is none.
func (d *directory) getOrCreate(name, game string, params map[string]string) (*room, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv.isClosing() {
		return nil, ErrServerClosed
	}
	if r, ok := d.rooms[name]; ok {
		return r, nil
	}
	if len(d.rooms) >= d.srv.opts.MaxRooms {
		return nil, errTooManyRooms
	}
	if game == "" {
		game = d.srv.opts.DefaultGame
	}
	r, err := newRoom(d.srv, name, game, params)
	if err != nil {
		return nil, err
	}
	if !d.srv.goroutine(r.run) {
		return nil, ErrServerClosed
	}
	d.rooms[name] = r
	return r, nil
}

// get returns the open room called name, or nil.
func (d *directory) get(name string) *room {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rooms[name]
}

// create opens a new room as spec says (spec.ID and spec.Game set); unlike
// getOrCreate it fails when the name is taken.
func (d *directory) create(spec RoomSpec) (*room, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv.isClosing() {
		return nil, ErrServerClosed
	}
	if _, ok := d.rooms[spec.ID]; ok {
		return nil, fmt.Errorf("%w: %q", ErrRoomExists, spec.ID)
	}
	if len(d.rooms) >= d.srv.opts.MaxRooms {
		return nil, errTooManyRooms
	}
	r, err := newRoom(d.srv, spec.ID, spec.Game, spec.Params)
	if err != nil {
		return nil, err
	}
	r.applySpec(spec)
	if !d.srv.goroutine(r.run) {
		return nil, ErrServerClosed
	}
	d.rooms[spec.ID] = r
	return r, nil
}

// remove drops r from the directory if it is still the room under its name.
func (d *directory) remove(r *room) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rooms[r.name] == r {
		delete(d.rooms, r.name)
	}
}

// list returns the open rooms sorted by name.
func (d *directory) list() []*room {
	d.mu.Lock()
	rs := make([]*room, 0, len(d.rooms))
	for _, r := range d.rooms {
		rs = append(rs, r)
	}
	d.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].name < rs[j].name })
	return rs
}

// closeAll asks every room to close its players with code and reason.
func (d *directory) closeAll(code websocket.StatusCode, reason string) {
	for _, r := range d.list() {
		r.requestClose(code, reason)
	}
}

// addConn registers c, unless a connection limit says no.
func (d *directory) addConn(c *conn) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.conns) >= d.srv.opts.MaxConns {
		return errTooManyConns
	}
	if d.perIP[c.ip] >= d.srv.opts.MaxConnsPerIP {
		return errTooManyFromIP
	}
	d.conns[c] = struct{}{}
	d.perIP[c.ip]++
	return nil
}

func (d *directory) removeConn(c *conn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.conns[c]; !ok {
		return
	}
	delete(d.conns, c)
	if d.perIP[c.ip]--; d.perIP[c.ip] <= 0 {
		delete(d.perIP, c.ip)
	}
}

// sweepIdle closes every connection that has sent nothing since idleSince.
func (d *directory) sweepIdle(idleSince time.Duration) {
	d.mu.Lock()
	var idle []*conn
	for c := range d.conns {
		if time.Duration(c.lastRead.Load()) < idleSince {
			idle = append(idle, c)
		}
	}
	d.mu.Unlock()
	for _, c := range idle {
		c.reject("idle", StatusIdle, fmt.Sprintf("nothing received for %s", d.srv.opts.IdleTimeout))
	}
}

// closeConnsNow drops every connection without a goodbye.
func (d *directory) closeConnsNow() {
	d.mu.Lock()
	cs := make([]*conn, 0, len(d.conns))
	for c := range d.conns {
		cs = append(cs, c)
	}
	d.mu.Unlock()
	for _, c := range cs {
		c.ws.CloseNow()
	}
}

// roomDrivenCount is how many connections are in modeRoom.
func (d *directory) roomDrivenCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for c := range d.conns {
		if c.sock.roomDriven() {
			n++
		}
	}
	return n
}

func (d *directory) connCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.conns)
}
