package server

import (
	"net/http"
	"net/http/pprof"
	"strconv"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are one Server's Prometheus collectors, on a registry of its own
// so that many servers can run in one process (tests do).
type metrics struct {
	registry *prometheus.Registry

	tickDuration      prometheus.Histogram
	ticksOverrun      prometheus.Counter
	readersLate       prometheus.Counter
	snapshotBytes     prometheus.Counter
	snapshotsSent     prometheus.Counter
	snapshotsReplaced prometheus.Counter
	encodings         prometheus.Counter
	inputsLate        prometheus.Counter
	inputsRepeated    prometheus.Counter
	rtt               prometheus.Histogram
	kicks             *prometheus.CounterVec
	rejected          *prometheus.CounterVec
	roomPanics        prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.registry.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tickwire_rooms", Help: "Open rooms.",
	}, func() float64 { return float64(len(s.rooms.list())) }))
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tickwire_players", Help: "Players seated in rooms.",
	}, func() float64 {
		n := 0
		for _, r := range s.rooms.list() {
			n += int(r.count.Load())
		}
		return float64(n)
	}))
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tickwire_connections", Help: "Open WebSocket connections, seated or not.",
	}, func() float64 { return float64(s.rooms.connCount()) }))
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tickwire_connections_room_driven",
		Help: "Connections whose socket the room reads and writes once a tick (Linux, plain TCP); the rest go through Go's netpoller.",
	}, func() float64 { return float64(s.rooms.roomDrivenCount()) }))
	m.tickDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tickwire_tick_duration_seconds",
		Help:    "Time a room spends on one tick: inputs, step, encoding, hand-off to writers.",
		Buckets: prometheus.ExponentialBuckets(25e-6, 2, 14), // 25 µs .. 205 ms
	})
	m.readersLate = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_readers_late_total",
		Help: "Times a room stopped waiting for a connection's reader to parse what the room read for it (an overloaded process); its inputs count as late.",
	})
	m.ticksOverrun = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_ticks_overrun_total", Help: "Ticks dropped because a room fell behind its schedule.",
	})
	m.snapshotBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_snapshot_bytes_total", Help: "Snapshot message bytes written (or queued) to connections.",
	})
	m.snapshotsSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_snapshots_total", Help: "Snapshots written (or queued) to connections.",
	})
	m.snapshotsReplaced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_snapshots_replaced_total", Help: "Snapshots skipped because the connection still had earlier bytes to write (slow clients).",
	})
	m.encodings = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_snapshot_encodings_total", Help: "Entity delta encodings (one per distinct baseline per tick).",
	})
	m.inputsLate = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_inputs_late_total", Help: "Inputs that arrived after their tick ran.",
	})
	m.inputsRepeated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_inputs_repeated_total", Help: "Player ticks stepped with the last input repeated because none arrived.",
	})
	m.rtt = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tickwire_rtt_seconds",
		Help:    "Round-trip time samples, from protocol pings and snapshot acks.",
		Buckets: prometheus.ExponentialBuckets(0.5e-3, 2, 12), // 0.5 ms .. 1 s
	})
	m.kicks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tickwire_kicks_total", Help: "Connections the server closed, by close status.",
	}, []string{"status"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tickwire_messages_rejected_total", Help: "Client messages rejected, by reason.",
	}, []string{"reason"})
	m.roomPanics = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tickwire_room_panics_total", Help: "Rooms closed because their tick panicked.",
	})
	for _, c := range []prometheus.Collector{m.tickDuration, m.ticksOverrun, m.readersLate, m.snapshotBytes,
		m.snapshotsSent, m.snapshotsReplaced, m.encodings, m.inputsLate, m.inputsRepeated,
		m.rtt, m.kicks, m.rejected, m.roomPanics} {
		f(c)
	}
	return m
}

// kicked counts a connection the server closed with code.
func (m *metrics) kicked(code websocket.StatusCode) {
	m.kicks.WithLabelValues(strconv.Itoa(int(code))).Inc()
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// pprofHandler serves net/http/pprof under /debug/pprof/.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
