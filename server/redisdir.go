package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisDirectory is the cluster directory in one Redis (a primary, not
// Redis Cluster: the scripts touch keys they find as they go). Every write
// and every seat decision is a Lua script, so each runs alone in Redis and
// no two matchmakers, on any processes, ever hold the same last seat.
//
// Keys, under the prefix "tickwire:":
//
//	procs                   set of process ids (pruned when an entry lapsed)
//	proc:<p>                the ProcessEntry JSON, with the process's TTL
//	rooms:<p>               set of the process's room ids, with its TTL
//	room:<p>:<id>           hash: game, max, taken (seated + reserved, as the
//	                        owner last published), private, labels (JSON),
//	                        status (RoomStatus JSON), state (open, or
//	                        creating/created while a matchmaker opens it),
//	                        spec (the RoomSpec to create it with)
//	room:<p>:<id>:holds     hash: hold id -> "<expiry ms>:<settled ms or 0>"
//
// A room's free seats are max - taken - live holds. A hold lives until it
// expires or until the owner publishes rooms read after it was settled as
// a reservation (Publish's mark), whichever is first, so a seat is counted
// by the hold or by taken, and at some moments by both, never by neither.
type RedisDirectory struct {
	client *redis.Client
	prefix string
}

// OpenDirectory opens the cluster directory a URL names:
// redis://[user:password@]host:port/db or rediss:// (TLS). It checks the
// URL only; the connection is made, and retried, when the server uses it.
func OpenDirectory(rawURL string) (ClusterDirectory, error) {
	switch {
	case strings.HasPrefix(rawURL, "redis://"), strings.HasPrefix(rawURL, "rediss://"):
		return NewRedisDirectory(rawURL)
	}
	return nil, fmt.Errorf("directory %q: want redis://host:port/db (or rediss://)", rawURL)
}

// NewRedisDirectory returns a directory in the Redis at rawURL
// (redis.ParseURL syntax). Every call is bounded by its context and by 1s
// timeouts on dialing, reading and writing, and is not retried by the
// client: the server retries on its own schedule.
func NewRedisDirectory(rawURL string) (*RedisDirectory, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("directory %q: %w", rawURL, err)
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil || strings.HasPrefix(o.Addr, ":") {
		return nil, fmt.Errorf("directory %q: want a host and port", rawURL)
	}
	o.DialTimeout = time.Second
	o.ReadTimeout = time.Second
	o.WriteTimeout = time.Second
	o.PoolTimeout = time.Second
	o.MaxRetries = -1 // no retries
	o.ContextTimeoutEnabled = true
	return &RedisDirectory{client: redis.NewClient(o), prefix: "tickwire:"}, nil
}

// Close closes the Redis connections.
func (d *RedisDirectory) Close() error { return d.client.Close() }

// redisNow is the script prelude: now in ms by Redis's clock, so every
// expiry compares against one clock whatever the processes' clocks say.
const redisNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local p = ARGV[1]
`

// publishScript: ARGV prefix, proc id, proc JSON, ttl ms, mark ms, rooms
// JSON [{id, game, max, taken, private, labels, status}]. Returns now.
var publishScript = redis.NewScript(redisNow + `
local id, ttl, mark = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('SET', p..'proc:'..id, ARGV[3], 'PX', ttl)
redis.call('SADD', p..'procs', id)
local rk = p..'rooms:'..id
local seen = {}
for _, r in ipairs(cjson.decode(ARGV[6])) do
  seen[r.id] = true
  local k = p..'room:'..id..':'..r.id
  redis.call('HSET', k, 'game', r.game, 'max', r.max, 'taken', r.taken,
    'private', r.private, 'labels', r.labels, 'status', r.status, 'state', 'open')
  redis.call('HDEL', k, 'spec')
  redis.call('PEXPIRE', k, ttl)
  redis.call('SADD', rk, r.id)
  local hk = k..':holds'
  local holds = redis.call('HGETALL', hk)
  for i = 1, #holds, 2 do
    local exp, settled = string.match(holds[i+1], '^(%d+):(%d+)$')
    exp, settled = tonumber(exp), tonumber(settled)
    if exp <= now or (settled > 0 and settled < mark) then
      redis.call('HDEL', hk, holds[i])
    end
  end
end
for _, rid in ipairs(redis.call('SMEMBERS', rk)) do
  if not seen[rid] then
    local k = p..'room:'..id..':'..rid
    local st = redis.call('HGET', k, 'state')
    if st ~= 'creating' and st ~= 'created' then
      redis.call('DEL', k, k..':holds')
      redis.call('SREM', rk, rid)
    end
  end
end
if redis.call('EXISTS', rk) == 1 then redis.call('PEXPIRE', rk, ttl) end
return now
`)

// withdrawScript: ARGV prefix, proc id.
var withdrawScript = redis.NewScript(redisNow + `
local id = ARGV[2]
local rk = p..'rooms:'..id
for _, rid in ipairs(redis.call('SMEMBERS', rk)) do
  local k = p..'room:'..id..':'..rid
  redis.call('DEL', k, k..':holds')
end
redis.call('DEL', rk, p..'proc:'..id)
redis.call('SREM', p..'procs', id)
return 1
`)

// liveRooms is the part of the scripts below that walks the live
// processes and their rooms, pruning entries that lapsed.
const liveRooms = `
local function liveHolds(k)
  local hk = k..':holds'
  local n = 0
  local holds = redis.call('HGETALL', hk)
  for i = 1, #holds, 2 do
    if tonumber(string.match(holds[i+1], '^(%d+)')) <= now then
      redis.call('HDEL', hk, holds[i])
    else
      n = n + 1
    end
  end
  return n
end
-- each(visitProc, visitRoom): visitProc(id, raw, proc) returns whether to
-- walk the process's rooms; visitRoom(id, rid, key, fields) gets
-- game, max, taken, private, labels, status, state.
local function each(visitProc, visitRoom)
  for _, id in ipairs(redis.call('SMEMBERS', p..'procs')) do
    local raw = redis.call('GET', p..'proc:'..id)
    if not raw then
      redis.call('SREM', p..'procs', id)
    else
      local proc = cjson.decode(raw)
      local rk = p..'rooms:'..id
      local n = 0
      for _, rid in ipairs(redis.call('SMEMBERS', rk)) do
        local k = p..'room:'..id..':'..rid
        local f = redis.call('HMGET', k, 'game', 'max', 'taken', 'private', 'labels', 'status', 'state')
        if not f[1] then
          redis.call('SREM', rk, rid)
        else
          n = n + 1
          if visitRoom then visitRoom(id, rid, k, f, proc) end
        end
      end
      if visitProc then visitProc(id, raw, proc, n) end
    end
  end
end
`

// holdScript: ARGV prefix, game, max, wanted labels JSON, new room id, new
// room spec JSON, hold id, hold ms, exclusions JSON. Returns {"seat"|
// "create", proc id, proc JSON, room id, state, spec} or {"none"}.
var holdScript = redis.NewScript(redisNow + liveRooms + `
local game, max = ARGV[2], tonumber(ARGV[3])
local want = cjson.decode(ARGV[4])
local holdMs = tonumber(ARGV[8])
local excl = {}
for _, e in ipairs(cjson.decode(ARGV[9])) do excl[e] = true end
local best, bestFree, bestProc
local target, targetRooms, targetFree, targetRaw
local raws = {}
each(function(id, raw, proc, n)
  raws[id] = raw
  if proc.draining or excl[id] or n >= proc.capacity then return end
  if target == nil or n < targetRooms or (n == targetRooms and proc.free_seats > targetFree) then
    target, targetRooms, targetFree = id, n, proc.free_seats
  end
end, function(id, rid, k, f, proc)
  if proc.draining or excl[id] or excl[id..'/'..rid] then return end
  if f[1] ~= game or tonumber(f[2]) ~= max or f[4] ~= '0' then return end
  local labels = cjson.decode(f[5])
  for lk, lv in pairs(want) do
    if labels[lk] ~= lv then return end
  end
  local free = max - tonumber(f[3]) - liveHolds(k)
  -- Fill the fullest room first: fewer, fuller matches.
  if free > 0 and (best == nil or free < bestFree) then
    best, bestFree, bestProc = rid, free, id
  end
end)
local function hold(k)
  redis.call('HSET', k..':holds', ARGV[7], (now + holdMs)..':0')
  redis.call('PEXPIRE', k..':holds', holdMs)
end
if best then
  local k = p..'room:'..bestProc..':'..best
  hold(k)
  local st = redis.call('HMGET', k, 'state', 'spec')
  return {'seat', bestProc, raws[bestProc], best, st[1] or 'open', st[2] or ''}
end
if target == nil then return {'none'} end
local rid = ARGV[5]
local k = p..'room:'..target..':'..rid
redis.call('HSET', k, 'game', game, 'max', max, 'taken', 0, 'private', '0',
  'labels', ARGV[4], 'status', '', 'state', 'creating', 'spec', ARGV[6])
redis.call('PEXPIRE', k, holdMs)
local rk = p..'rooms:'..target
redis.call('SADD', rk, rid)
if redis.call('PTTL', rk) < holdMs then redis.call('PEXPIRE', rk, holdMs) end
hold(k)
return {'create', target, raws[target], rid, 'creating', ARGV[6]}
`)

// settleScript: ARGV prefix, proc id, room id, hold id, outcome.
var settleScript = redis.NewScript(redisNow + `
local k = p..'room:'..ARGV[2]..':'..ARGV[3]
local hk = k..':holds'
local outcome = ARGV[5]
if outcome == 'reserved' then
  local v = redis.call('HGET', hk, ARGV[4])
  if v then
    redis.call('HSET', hk, ARGV[4], string.match(v, '^(%d+)')..':'..now)
  end
  if redis.call('HGET', k, 'state') == 'creating' then
    redis.call('HSET', k, 'state', 'created')
  end
  return 1
end
redis.call('HDEL', hk, ARGV[4])
if outcome == 'full' and redis.call('EXISTS', k) == 1 then
  -- The owner knows best; its next publish corrects this.
  redis.call('HSET', k, 'taken', redis.call('HGET', k, 'max'))
elseif outcome == 'gone' then
  redis.call('DEL', k, hk)
  redis.call('SREM', p..'rooms:'..ARGV[2], ARGV[3])
end
return 1
`)

// roomsScript: ARGV prefix. Returns a JSON array of rooms.
var roomsScript = redis.NewScript(redisNow + liveRooms + `
local out = {}
each(nil, function(id, rid, k, f, proc)
  table.insert(out, cjson.encode({process = id, url = proc.url, id = rid,
    game = f[1], max = tonumber(f[2]), taken = tonumber(f[3]), private = f[4],
    labels = f[5], status = f[6] or '', state = f[7] or '', holds = liveHolds(k)}))
end)
return '[' .. table.concat(out, ',') .. ']'
`)

// redisRoom is a room as publishScript takes it: labels and status are
// JSON inside the JSON, so Lua never has to re-encode an empty object.
type redisRoom struct {
	ID      string `json:"id"`
	Game    string `json:"game"`
	Max     int    `json:"max"`
	Taken   int    `json:"taken"`
	Private string `json:"private"`
	Labels  string `json:"labels"`
	Status  string `json:"status"`
}

// Publish implements ClusterDirectory.
func (d *RedisDirectory) Publish(ctx context.Context, proc ProcessEntry, rooms []RoomStatus, mark int64, ttl time.Duration) (int64, error) {
	procJSON, err := json.Marshal(proc)
	if err != nil {
		return 0, err
	}
	rs := make([]redisRoom, 0, len(rooms))
	for _, st := range rooms {
		labels, _ := json.Marshal(nonNilLabels(st.Labels))
		status, _ := json.Marshal(st)
		rs = append(rs, redisRoom{
			ID: st.ID, Game: st.Game, Max: st.MaxPlayers, Taken: st.Seated + st.Reserved,
			Private: boolDigit(st.Private), Labels: string(labels), Status: string(status),
		})
	}
	roomsJSON, err := json.Marshal(rs)
	if err != nil {
		return 0, err
	}
	now, err := publishScript.Run(ctx, d.client, nil, d.prefix, proc.ID, procJSON, ttl.Milliseconds(), mark, roomsJSON).Int64()
	if err != nil {
		return 0, redisErr(err)
	}
	return now, nil
}

// Withdraw implements ClusterDirectory.
func (d *RedisDirectory) Withdraw(ctx context.Context, procID string) error {
	return redisErr(withdrawScript.Run(ctx, d.client, nil, d.prefix, procID).Err())
}

// HoldSeat implements ClusterDirectory.
func (d *RedisDirectory) HoldSeat(ctx context.Context, req SeatRequest) (SeatHold, error) {
	want, _ := json.Marshal(nonNilLabels(req.Labels))
	spec, err := json.Marshal(req.NewRoom)
	if err != nil {
		return SeatHold{}, err
	}
	exclude, _ := json.Marshal(append([]string{}, req.Exclude...))
	holdID := newRoomID("h-")
	vals, err := holdScript.Run(ctx, d.client, nil, d.prefix, req.Game, req.MaxPlayers, want,
		req.NewRoom.ID, spec, holdID, req.Hold.Milliseconds(), exclude).StringSlice()
	if err != nil {
		return SeatHold{}, redisErr(err)
	}
	if len(vals) == 0 || vals[0] == "none" {
		return SeatHold{}, ErrNoCapacity
	}
	if len(vals) != 6 {
		return SeatHold{}, fmt.Errorf("%w: hold script answered %d values", ErrDirectoryUnavailable, len(vals))
	}
	h := SeatHold{ID: holdID, Room: vals[3], Create: vals[4] == "creating" || vals[4] == "created"}
	if err := json.Unmarshal([]byte(vals[2]), &h.Process); err != nil {
		return SeatHold{}, fmt.Errorf("%w: process entry: %v", ErrDirectoryUnavailable, err)
	}
	if h.Create {
		if err := json.Unmarshal([]byte(vals[5]), &h.Spec); err != nil {
			return SeatHold{}, fmt.Errorf("%w: room spec: %v", ErrDirectoryUnavailable, err)
		}
	}
	return h, nil
}

// Settle implements ClusterDirectory.
func (d *RedisDirectory) Settle(ctx context.Context, h SeatHold, outcome SeatOutcome) error {
	return redisErr(settleScript.Run(ctx, d.client, nil, d.prefix, h.Process.ID, h.Room, h.ID, string(outcome)).Err())
}

// Rooms implements ClusterDirectory.
func (d *RedisDirectory) Rooms(ctx context.Context) ([]ClusterRoom, error) {
	raw, err := roomsScript.Run(ctx, d.client, nil, d.prefix).Text()
	if err != nil {
		return nil, redisErr(err)
	}
	var rows []struct {
		Process, URL, ID, Game string
		Max, Taken, Holds      int
		Private, Labels        string
		Status, State          string
	}
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		return nil, fmt.Errorf("%w: rooms: %v", ErrDirectoryUnavailable, err)
	}
	out := make([]ClusterRoom, 0, len(rows))
	for _, row := range rows {
		var st RoomStatus
		if row.Status != "" {
			json.Unmarshal([]byte(row.Status), &st)
		}
		// The directory's own counts are fresher than the status's: they
		// include seats held by matchmakers in flight.
		st.ID, st.Game, st.MaxPlayers = row.ID, row.Game, row.Max
		st.Private = row.Private == "1"
		if st.Labels == nil {
			json.Unmarshal([]byte(row.Labels), &st.Labels)
		}
		st.Labels = nonNilLabels(st.Labels)
		if st.Params == nil {
			st.Params = map[string]string{}
		}
		st.FreeSeats = max(row.Max-row.Taken-row.Holds, 0)
		st.Players = nil
		out = append(out, ClusterRoom{RoomStatus: st, Process: row.Process, URL: row.URL})
	}
	sortClusterRooms(out)
	return out, nil
}

// redisErr marks a failed Redis call as ErrDirectoryUnavailable.
func redisErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrDirectoryUnavailable, err)
}

func nonNilLabels(l map[string]string) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
