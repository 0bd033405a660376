package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scale-out: many tickwire processes share one room directory, so a player
// sent to any of them finds a seat anywhere in the cluster. Each process
// publishes itself (public URL, capacity, rooms and their seats) with a
// short TTL and refreshes it from a goroutine; a process that dies drops out
// when its TTL lapses. Matchmaking asks the directory to hold a seat
// atomically (the directory picks a room with a free seat, or the
// least-loaded process to open one on), then asks the owning process for a
// real reservation:
//
//   - on this process, directly (Server.Reserve's path);
//   - on another, over its rooms API with the shared API key: POST
//     /api/rooms (only while the room is still being created) and POST
//     /api/rooms/{id}/reservations. The owner mints the join token with its
//     own secret, so the token is one it accepts whatever its -auth-secret.
//
// The owning room's goroutine stays the only authority on its seats: the
// directory's hold only keeps two matchmakers, on any processes, from
// aiming at the same last seat. A hold counts against the room's free seats
// from the moment it is taken until the owner's next publish includes the
// reservation it became, so the directory never over-reports free seats. If
// the owner refuses anyway (a join by name took the seat, the room closed,
// the process died), the hold is released and matchmaking tries elsewhere.
//
// Without Options.Cluster none of this runs: the process matchmakes among
// its own rooms (localMatchmaker), exactly as a single process does.

// ClusterOptions turns on the cluster directory. The zero value of each
// field but Directory means its default.
type ClusterOptions struct {
	// Directory is the shared directory (OpenDirectory,
	// NewRedisDirectory). Required. The server closes it when it stops.
	Directory ClusterDirectory
	// PublicURL is the WebSocket URL players reach this process at
	// (ws://host:port/ws); the rooms API of the process is the same host
	// over http(s), which other processes use to reserve seats here.
	// Default: ws://<listen address>/ws (the host name for an unspecified
	// address).
	PublicURL string
	// ProcessID names this process in the directory. Default: the host
	// name and a random suffix.
	ProcessID string
	// TTL is how long the directory keeps this process's entries without
	// a refresh; they are refreshed every TTL/3. Default 5s.
	TTL time.Duration
	// Timeout bounds every directory call and every request to another
	// process. Default 1s.
	Timeout time.Duration
}

func (o *ClusterOptions) withDefaults() ClusterOptions {
	r := *o
	setDefault(&r.TTL, 5*time.Second)
	setDefault(&r.Timeout, time.Second)
	if r.ProcessID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "tickwire"
		}
		r.ProcessID = newRoomID(host + "-")
	}
	return r
}

// ClusterDirectory is the room directory the processes of a cluster share:
// RedisDirectory across machines, MemoryDirectory among Servers in one
// program. Implementations bound nothing themselves: the server
// passes every call a context with its deadline.
type ClusterDirectory interface {
	// Publish records proc and its rooms for ttl, replacing what proc
	// published before. Seat holds settled as reserved before mark are
	// dropped: rooms was read after they became reservations and counts
	// them. It returns the mark for the next Publish (0 the first time).
	Publish(ctx context.Context, proc ProcessEntry, rooms []RoomStatus, mark int64, ttl time.Duration) (int64, error)
	// Withdraw removes proc and its rooms.
	Withdraw(ctx context.Context, procID string) error
	// Rooms lists the rooms of every live process.
	Rooms(ctx context.Context) ([]ClusterRoom, error)
	// HoldSeat atomically holds a seat in a public room of req.Game with
	// req.MaxPlayers seats and req.Labels that has one free, or, when none
	// has, records req.NewRoom on the least-loaded live process and holds
	// a seat in it. ErrNoCapacity: no process can take another room.
	HoldSeat(ctx context.Context, req SeatRequest) (SeatHold, error)
	// Settle ends a hold with what the owning process said.
	Settle(ctx context.Context, h SeatHold, outcome SeatOutcome) error
	// Close releases the directory's connections.
	Close() error
}

// Errors of the cluster directory; the HTTP API answers both with 503.
var (
	// ErrDirectoryUnavailable: the directory could not be reached (or
	// answered too late); matches keep running, matchmaking waits for it.
	ErrDirectoryUnavailable = errors.New("tickwire: the cluster room directory is unavailable")
	// ErrNoCapacity: every live process is full or draining.
	ErrNoCapacity = errors.New("tickwire: no process in the cluster has room for another match")
)

// ProcessEntry is one process as the directory lists it.
type ProcessEntry struct {
	ID string `json:"id"`
	// URL is the public WebSocket URL players join at; APIURL the base
	// URL of its rooms API.
	URL    string `json:"url"`
	APIURL string `json:"api_url"`
	// Capacity is the most rooms it opens (Options.MaxRooms).
	Capacity  int  `json:"capacity"`
	Rooms     int  `json:"rooms"`
	FreeSeats int  `json:"free_seats"`
	Draining  bool `json:"draining"`
}

// ClusterRoom is a room as the cluster lists it: its status and where it
// lives. Listing leaves players out; GET /api/rooms/{id} on the owning
// process includes them.
type ClusterRoom struct {
	RoomStatus
	// Process is the id of the process that runs the room, URL where its
	// players join.
	Process string `json:"process"`
	URL     string `json:"url"`
}

// SeatRequest asks the directory for a seat (HoldSeat).
type SeatRequest struct {
	Game       string
	MaxPlayers int
	Labels     map[string]string
	// NewRoom is the room to open when no room has a free seat (ID set).
	NewRoom RoomSpec
	// Exclude lists process ids, and "process/room" pairs, not to choose:
	// ones that refused or could not be reached on an earlier attempt.
	Exclude []string
	// Hold is how long the hold counts against the room's seats unless the
	// owner's publish accounts for it first.
	Hold time.Duration
}

// SeatHold is a seat the directory holds for a matchmaker.
type SeatHold struct {
	ID      string // the hold's own id
	Process ProcessEntry
	Room    string
	// Create: the room is not yet known to be open on its process, which
	// must be asked to create it (as Spec) first; someone else may have.
	Create bool
	Spec   RoomSpec
}

// SeatOutcome is what became of a hold.
type SeatOutcome string

// Outcomes of a hold.
const (
	SeatReserved  SeatOutcome = "reserved"  // the owner made the reservation
	SeatRoomFull  SeatOutcome = "full"      // the owner said the room is full
	SeatRoomGone  SeatOutcome = "gone"      // the owner has no such room
	SeatAbandoned SeatOutcome = "abandoned" // anything else: the hold is dropped
)

// cluster is a Server's membership of the cluster: its publisher goroutine
// and its matchmaker.
type cluster struct {
	srv  *Server
	opts ClusterOptions
	dir  ClusterDirectory
	fwd  forwarder

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the publisher stops

	// mu guards self's URLs (set once start has the listener; the ID is
	// fixed from newCluster on) and started.
	mu      sync.Mutex
	self    ProcessEntry
	started bool

	startOnce, stopOnce sync.Once
	up                  atomic.Bool // the last publish went through
	abandoned           atomic.Bool // tests: stop as if killed, leaving the entries
}

// newCluster joins s to the cluster o describes; nil without one.
func newCluster(s *Server, o *ClusterOptions) *cluster {
	if o == nil {
		return nil
	}
	opts := o.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c := &cluster{
		srv:    s,
		opts:   opts,
		dir:    opts.Directory,
		fwd:    newForwarder(s.opts.APIKey, opts.Timeout),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		self:   ProcessEntry{ID: opts.ProcessID, Capacity: s.opts.MaxRooms},
	}
	if c.dir == nil {
		s.log.Error("cluster: no directory configured; matchmaking will answer 503")
		c.dir = unavailableDirectory{}
	}
	if s.opts.APIKey == "" {
		s.log.Error("cluster: no API key: other processes cannot reserve seats here, nor this one there; give every process the same -api-key")
	}
	s.hosting.matchmaker = c
	return c
}

// start publishes the process, with URLs derived from the listener unless
// PublicURL says otherwise; Serve calls it once it listens.
func (c *cluster) start(addr net.Addr, tls bool) {
	if c == nil {
		return
	}
	c.startOnce.Do(func() {
		public := c.opts.PublicURL
		if public == "" && c.srv.agones != nil {
			// On Agones the address players reach is the node's and the
			// host port Agones chose: ask the sidecar, then publish.
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.ctx.Err() != nil {
				return
			}
			c.started = true
			go func() {
				url, err := c.srv.agones.publicURL(c.ctx, tls)
				if err != nil {
					close(c.done) // stopped before the sidecar answered
					return
				}
				c.srv.log.Info("cluster: public URL from Agones", "url", url)
				apiURL, _ := apiBaseURL(url)
				c.mu.Lock()
				c.self.URL, c.self.APIURL = url, apiURL
				c.mu.Unlock()
				c.run()
			}()
			return
		}
		if public == "" {
			public = defaultPublicURL(addr, tls)
			if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
				c.srv.log.Warn("cluster: listening on all addresses without -public-url; players are sent to the host name", "url", public)
			}
		}
		apiURL, err := apiBaseURL(public)
		if err != nil {
			c.srv.log.Error("cluster: bad public URL; other processes cannot reserve seats here", "url", public, "err", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.ctx.Err() != nil { // stop came first
			return
		}
		c.self.URL, c.self.APIURL = public, apiURL
		c.started = true
		go c.run()
	})
}

// stop ends the publisher and, unless abandoned, withdraws the process so
// nobody is sent here any more. Shutdown and Close call it first.
func (c *cluster) stop() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.cancel()
		started := c.started
		c.mu.Unlock()
		if started {
			<-c.done
		}
		if started && !c.abandoned.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
			if err := c.dir.Withdraw(ctx, c.self.ID); err != nil {
				c.srv.log.Warn("cluster: could not withdraw from the directory; the entries lapse with their TTL", "ttl", c.opts.TTL, "err", err)
			} else {
				c.srv.log.Info("cluster: withdrew from the directory", "process", c.self.ID)
			}
			cancel()
		}
		c.fwd.close()
		if err := c.dir.Close(); err != nil {
			c.srv.log.Debug("cluster: closing the directory", "err", err)
		}
	})
}

// run publishes the process every TTL/3 until stop: re-registering by
// itself whenever the directory comes back.
func (c *cluster) run() {
	defer close(c.done)
	t := time.NewTicker(c.opts.TTL / 3)
	defer t.Stop()
	var mark int64
	var downSince, lastLog time.Time
	for {
		next, err := c.publish(mark)
		switch {
		case err == nil:
			mark = next
			if !c.up.Swap(true) {
				if downSince.IsZero() {
					c.srv.log.Info("cluster: registered in the directory", "process", c.self.ID, "url", c.self.URL)
				} else {
					c.srv.log.Info("cluster: directory is back; re-registered", "process", c.self.ID, "down_for", time.Since(downSince).Round(time.Millisecond))
				}
				downSince = time.Time{}
			}
		case c.ctx.Err() != nil:
			return
		default:
			c.up.Store(false)
			now := time.Now()
			if downSince.IsZero() {
				downSince, lastLog = now, now
				c.srv.log.Error("cluster: directory unavailable; matches keep running, matchmaking answers 503, retrying", "every", c.opts.TTL/3, "err", err)
			} else if now.Sub(lastLog) >= 10*time.Second {
				lastLog = now
				c.srv.log.Warn("cluster: directory still unavailable; retrying", "down_for", now.Sub(downSince).Round(time.Second), "err", err)
			}
		}
		select {
		case <-t.C:
		case <-c.ctx.Done():
			return
		}
	}
}

// publish sends this process and its rooms to the directory once.
func (c *cluster) publish(mark int64) (int64, error) {
	rooms := c.srv.ListRooms(RoomFilter{})
	c.mu.Lock()
	proc := c.self
	c.mu.Unlock()
	proc.Rooms = len(rooms)
	for _, r := range rooms {
		proc.FreeSeats += r.FreeSeats
	}
	proc.Draining = c.srv.isClosing()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.Timeout)
	defer cancel()
	return c.dir.Publish(ctx, proc, rooms, mark, c.opts.TTL)
}

// maxSeatAttempts bounds how many holds one matchmake tries before it
// gives up: each failed one excludes the room or process that refused.
const maxSeatAttempts = 6

// Matchmake holds a seat through the directory and turns it into a
// reservation on the owning process, trying elsewhere when that refuses.
func (c *cluster) Matchmake(ctx context.Context, req MatchRequest) (Reservation, error) {
	seats := req.MaxPlayers
	if seats == 0 {
		seats = c.srv.opts.MaxPlayers
	}
	sr := SeatRequest{
		Game:       req.Game,
		MaxPlayers: seats,
		Labels:     req.Labels,
		Hold:       3 * c.opts.TTL,
	}
	var lastErr error
	for attempt := 0; attempt < maxSeatAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return Reservation{}, err
		}
		sr.NewRoom = RoomSpec{ID: newRoomID("mm-"), Game: req.Game, Params: req.Params, MaxPlayers: seats, Labels: req.Labels}
		hctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		hold, err := c.dir.HoldSeat(hctx, sr)
		cancel()
		if err != nil {
			if errors.Is(err, ErrNoCapacity) || errors.Is(err, ErrDirectoryUnavailable) {
				return Reservation{}, err
			}
			return Reservation{}, fmt.Errorf("%w: %v", ErrDirectoryUnavailable, err)
		}
		res, outcome, err := c.reserveAt(ctx, hold, req.Player)
		sctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
		if serr := c.dir.Settle(sctx, hold, outcome); serr != nil {
			c.srv.log.Warn("cluster: could not settle a seat hold; it lapses by itself", "room", hold.Room, "outcome", outcome, "err", serr)
		}
		cancel()
		if outcome == SeatReserved {
			res.URL = hold.Process.URL
			return res, nil
		}
		// A room this request opened refused its spec: the request is
		// wrong (its params, most likely). Another request's room that
		// refused is only a room to skip.
		var re *RequestError
		if errors.As(err, &re) && hold.Create && hold.Spec.ID == sr.NewRoom.ID {
			return Reservation{}, err
		}
		lastErr = err
		if outcome == SeatAbandoned {
			sr.Exclude = append(sr.Exclude, hold.Process.ID)
		} else {
			sr.Exclude = append(sr.Exclude, hold.Process.ID+"/"+hold.Room)
		}
		c.srv.log.Debug("cluster: seat refused; trying elsewhere", "process", hold.Process.ID, "room", hold.Room, "outcome", outcome, "err", err)
	}
	return Reservation{}, fmt.Errorf("%w: no seat after %d attempts (last: %v)", ErrNoCapacity, maxSeatAttempts, lastErr)
}

// reserveAt asks the process that owns hold's room for the reservation,
// creating the room first if the hold says it may not exist yet.
func (c *cluster) reserveAt(ctx context.Context, hold SeatHold, player string) (Reservation, SeatOutcome, error) {
	if hold.Process.ID == c.self.ID {
		return c.reserveHere(hold, player)
	}
	if hold.Create {
		if err := c.fwd.createRoom(ctx, hold.Process.APIURL, hold.Spec); err != nil {
			return Reservation{}, outcomeOf(err), err
		}
	}
	res, err := c.fwd.reserve(ctx, hold.Process.APIURL, hold.Room, player)
	if err != nil {
		return Reservation{}, outcomeOf(err), err
	}
	return res, SeatReserved, nil
}

func (c *cluster) reserveHere(hold SeatHold, player string) (Reservation, SeatOutcome, error) {
	if hold.Create {
		_, err := c.srv.rooms.create(hold.Spec)
		if err != nil && !errors.Is(err, ErrRoomExists) {
			if !errors.Is(err, errTooManyRooms) && !errors.Is(err, ErrServerClosed) {
				// The game refused the room's params, as the HTTP API
				// of another process would have said with a 400.
				err = &RequestError{Field: "params", Msg: err.Error()}
			}
			return Reservation{}, outcomeOf(err), err
		}
	}
	res, err := c.srv.Reserve(hold.Room, player)
	if err != nil {
		return Reservation{}, outcomeOf(err), err
	}
	return res, SeatReserved, nil
}

// outcomeOf says what a failed reservation means for its hold.
func outcomeOf(err error) SeatOutcome {
	var re *RequestError
	switch {
	case errors.Is(err, ErrRoomFull):
		return SeatRoomFull
	case errors.Is(err, ErrRoomNotFound), errors.As(err, &re):
		// A bad request (the game refused its params) leaves a room entry
		// that will never open: gone too.
		return SeatRoomGone
	default:
		return SeatAbandoned
	}
}

// rooms lists the cluster's rooms that f selects, sorted by id.
func (c *cluster) rooms(ctx context.Context, f RoomFilter) ([]ClusterRoom, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	all, err := c.dir.Rooms(ctx)
	if err != nil {
		if errors.Is(err, ErrDirectoryUnavailable) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrDirectoryUnavailable, err)
	}
	out := []ClusterRoom{}
	for _, r := range all {
		if f.Game != "" && r.Game != f.Game {
			continue
		}
		if f.Private != nil && r.Private != *f.Private {
			continue
		}
		if !labelsInclude(r.Labels, f.Labels) || r.FreeSeats < f.MinFreeSeats {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// room returns where the room id lives: here (with its players) or
// wherever the directory says.
func (c *cluster) room(ctx context.Context, id string) (ClusterRoom, error) {
	if st, err := c.srv.Room(id); err == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		return ClusterRoom{RoomStatus: st, Process: c.self.ID, URL: c.self.URL}, nil
	}
	all, err := c.rooms(ctx, RoomFilter{})
	if err != nil {
		return ClusterRoom{}, err
	}
	for _, r := range all {
		if r.ID == id {
			return r, nil
		}
	}
	return ClusterRoom{}, fmt.Errorf("%w: %q (anywhere in the cluster)", ErrRoomNotFound, id)
}

// defaultPublicURL is the WebSocket URL of a listener at addr.
func defaultPublicURL(addr net.Addr, tls bool) string {
	scheme := "ws"
	if tls {
		scheme = "wss"
	}
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		name, err := os.Hostname()
		if err != nil || name == "" {
			name = "localhost"
		}
		host = net.JoinHostPort(name, fmt.Sprint(tcp.Port))
	}
	return scheme + "://" + host + "/ws"
}

// apiBaseURL derives the rooms API's base URL from a public WebSocket URL:
// same host, http(s), the path without its final /ws.
func apiBaseURL(public string) (string, error) {
	u, err := CheckPublicURL(public)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	path := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/ws")
	return scheme + "://" + u.Host + path, nil
}

// CheckPublicURL parses a -public-url: a ws:// or wss:// URL with a host.
func CheckPublicURL(public string) (*url.URL, error) {
	u, err := url.Parse(public)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("%q: want ws://host:port/ws or wss://...", public)
	}
	return u, nil
}

// unavailableDirectory stands in for a missing directory: every call
// fails, so matchmaking answers 503 rather than crash.
type unavailableDirectory struct{}

func (unavailableDirectory) Publish(context.Context, ProcessEntry, []RoomStatus, int64, time.Duration) (int64, error) {
	return 0, ErrDirectoryUnavailable
}
func (unavailableDirectory) Withdraw(context.Context, string) error { return nil }
func (unavailableDirectory) Rooms(context.Context) ([]ClusterRoom, error) {
	return nil, ErrDirectoryUnavailable
}
func (unavailableDirectory) HoldSeat(context.Context, SeatRequest) (SeatHold, error) {
	return SeatHold{}, ErrDirectoryUnavailable
}
func (unavailableDirectory) Settle(context.Context, SeatHold, SeatOutcome) error { return nil }
func (unavailableDirectory) Close() error                                        { return nil }

func sortClusterRooms(rs []ClusterRoom) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].ID != rs[j].ID {
			return rs[i].ID < rs[j].ID
		}
		return rs[i].Process < rs[j].Process
	})
}
