package server

import (
	"embed"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/tickwire/tickwire/sim"
)

// The live monitor: /monitor is one static page (embedded, no build step)
// that polls /monitor/data every second and draws the rooms, their players
// with RTT, tick-time percentiles and bytes per second. Both answer only a
// request from loopback or one carrying the API key (as a Bearer header, or
// ?key= on the page, which the page then sends as a header).

//go:embed monitor/index.html
var monitorFiles embed.FS

// perfWindow is how many recent ticks a room's tick-time percentiles
// cover: a few seconds at common tick rates.
const perfWindow = 256

// roomPerf is a room's recent performance; room goroutine only.
type roomPerf struct {
	took      [perfWindow]time.Duration // ring of tick durations
	n         int                       // ticks recorded, for the ring's fill
	markBytes uint64                    // snapshot bytes at the last second's mark
	perSecond uint64                    // snapshot bytes in the last full second
}

// observe records one tick that took took; every tickRate ticks it closes
// a second of snapshot bytes (bytes is the room's running total).
func (p *roomPerf) observe(t sim.Tick, tickRate int, took time.Duration, bytes uint64) {
	p.took[p.n%perfWindow] = took
	p.n++
	if tickRate > 0 && int(t)%tickRate == 0 {
		p.perSecond = bytes - p.markBytes
		p.markBytes = bytes
	}
}

// percentiles returns the p50, p95 and p99 tick times in milliseconds.
func (p *roomPerf) percentiles() (p50, p95, p99 float64) {
	n := min(p.n, perfWindow)
	if n == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(p.took[:n])
	slices.Sort(s)
	at := func(q float64) float64 {
		i := min(int(q*float64(n)), n-1)
		return float64(s[i].Microseconds()) / 1000
	}
	return at(0.50), at(0.95), at(0.99)
}

// MonitorRoom is one room on the monitor.
type MonitorRoom struct {
	RoomStatus
	TickMillisP50  float64 `json:"tick_ms_p50"`
	TickMillisP95  float64 `json:"tick_ms_p95"`
	TickMillisP99  float64 `json:"tick_ms_p99"`
	BytesPerSecond uint64  `json:"bytes_per_second"`
}

// MonitorData is what /monitor/data serves.
type MonitorData struct {
	Time        time.Time     `json:"time"`
	Uptime      float64       `json:"uptime_seconds"`
	TickRate    int           `json:"tick_rate"`
	Connections int           `json:"connections"`
	Rooms       []MonitorRoom `json:"rooms"`
}

// Monitor returns what the monitor page shows: every open room with its
// players and recent performance.
func (s *Server) Monitor() MonitorData {
	d := MonitorData{
		Time:        time.Now().UTC(),
		Uptime:      s.now().Seconds(),
		TickRate:    s.opts.TickRate,
		Connections: s.rooms.connCount(),
		Rooms:       []MonitorRoom{},
	}
	for _, r := range s.rooms.list() {
		var m MonitorRoom
		ok := r.do(func() {
			m.RoomStatus = r.status(true)
			m.TickMillisP50, m.TickMillisP95, m.TickMillisP99 = r.perf.percentiles()
			m.BytesPerSecond = r.perf.perSecond
		})
		if ok {
			d.Rooms = append(d.Rooms, m)
		}
	}
	return d
}

// mountMonitor adds /monitor and /monitor/data to mux.
func (s *Server) mountMonitor(mux *http.ServeMux) {
	page, err := monitorFiles.ReadFile("monitor/index.html")
	if err != nil {
		panic("tickwire: monitor page missing from the binary: " + err.Error())
	}
	mux.Handle("GET /monitor", s.monitorAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		// The page runs only its own script and talks only to us.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
		w.Write(page)
	})))
	mux.Handle("GET /monitor/data", s.monitorAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Monitor())
	})))
}

// monitorAccess lets through requests from loopback and requests with the
// API key (header, or ?key= for the page itself).
func (s *Server) monitorAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fromLoopback(r) || s.hasAPIKey(r) || (s.opts.APIKey != "" && keyEqual(r.URL.Query().Get("key"), s.opts.APIKey)) {
			next.ServeHTTP(w, r)
			return
		}
		if s.opts.APIKey == "" {
			writeError(w, http.StatusUnauthorized, "unauthorized", "the monitor is loopback-only on this server; start it with -api-key to open it to key holders")
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="tickwire"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "the monitor is for loopback or the API key holder: open /monitor?key=<api key>")
	})
}

// fromLoopback reports whether r came from this host. A reverse proxy on
// the same host makes everything look local, so one that forwards (and
// says so) does not count.
func fromLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
